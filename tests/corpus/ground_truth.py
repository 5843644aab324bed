#!/usr/bin/env python3
"""Expected metadata values for the real-media corpus, derived ONLY from
exiftool.json (`exiftool -j -n -G`, exiftool 12.57) and ffprobe/*.json.

Usage:  python3 ground_truth.py [CORPUS_DIR] > expected.jsonl
        python3 ground_truth.py [CORPUS_DIR] --summary   (bucket counts to stderr too)

One JSON object per corpus file (sorted by path).  The rules are documented in
tests/corpus/README.md; every rule below is a plain lookup/priority list so
it can be ported to Rust line by line.  Standard library only.
"""
import json, os, re, sys

# ---------------------------------------------------------------- classification
VIDEO_EXTS = {".mov", ".mp4", ".m4v", ".3gp", ".3g2", ".avi", ".mts", ".m2ts",
              ".mkv", ".wmv", ".dv"}
SIDECAR_EXTS = {".xmp", ".aae", ".exif"}          # metadata-only files, not pictures
HEIF_TYPES = {"HEIC", "HEIF", "HEIFS", "AVIF"}     # File:FileType values
RAW_TYPES = {"DNG", "CR2", "CR3", "CRW", "NEF", "NRW", "ARW", "SR2", "SRF", "RAF",
             "ORF", "RW2", "RAW", "RWL", "PEF", "X3F", "KDC", "DCR", "MRW", "IIQ",
             "3FR", "ERF", "MEF", "MOS", "SRW"}


def kind_of(path):
    ext = os.path.splitext(path)[1].lower()
    if ext in VIDEO_EXTS:
        return "video"
    if ext in SIDECAR_EXTS:
        return "sidecar"
    return "photo"


def family_of(kind, ftype):
    """Which width/height/orientation rules apply (decided by exiftool's
    File:FileType, i.e. by content, not by extension)."""
    if kind == "video":
        return "video"
    if kind == "sidecar" or ftype is None:
        return "none"
    if ftype in HEIF_TYPES or ftype in ("MP4", "MOV"):   # .heic/.avif/.avifs with moov or odd ftyp
        return "heif"
    if ftype in RAW_TYPES:
        return "raw"
    return "image"        # JPEG, THM, PNG, WEBP, GIF, BMP, ICO, TIFF, BTF, JP2, JXL, EXV ...


# ---------------------------------------------------------------- helpers
def s(v):
    """Normalise a text value: must be a JSON string; strip whitespace/NULs;
    empty -> None.  Numbers (e.g. H264:Make 259, a corrupt EXIF:Make 12336) -> None."""
    if not isinstance(v, str):
        return None
    v = v.strip(" \t\r\n\0")
    return v or None


def num(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    return None


DT_RE = re.compile(r"^\s*(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?")
OFF_RE = re.compile(r"(Z|[+\-]\d{1,2}:\d{2})\s*$")


def parse_dt(v):
    """'YYYY:MM:DD HH:MM[:SS][.fff][+-HH:MM|Z]' (':' or '-' date separators,
    ' ' or 'T') -> ('YYYY-MM-DDTHH:MM:SS', offset or None).  Missing seconds
    -> :00.  Fractions are dropped (no rounding).  Date-only values, zero dates
    ('0000:00:00 00:00:00') and out-of-range fields -> None."""
    if not isinstance(v, str):
        return None
    m = DT_RE.match(v)
    if not m:
        return None
    y, mo, d, h, mi = (int(x) for x in m.groups()[:5])
    sec = int(m.group(6) or 0)
    if not (1 <= y <= 9999 and 1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and sec <= 59):
        return None
    if y < 1900:            # QuickTime/epoch garbage ('1904:01:01 ...') is not a capture time
        return None
    off = OFF_RE.search(v[m.end():])
    return ("%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, d, h, mi, sec),
            off.group(1) if off else None)


# ---------------------------------------------------------------- taken time
# First key that parses wins.  Value is the wall-clock time AS WRITTEN in that
# tag: any offset is reported separately (taken_offset) and NOT applied.
TAKEN_KEYS = [
    "EXIF:DateTimeOriginal",      # 0x9003 ExifIFD
    "XMP:DateTimeOriginal",       # exif:DateTimeOriginal (XMP copy)
    "EXIF:CreateDate",            # 0x9004 DateTimeDigitized
    "XMP:CreateDate",             # xmp:CreateDate
    "XMP:DateCreated",            # photoshop:DateCreated / Iptc4xmpCore
    "IPTC+",                      # IPTC:DateCreated (2:55) + IPTC:TimeCreated (2:60)
    "MakerNotes:DateTimeOriginal",  # CRW CIFF, Kyocera RAW, Leaf/PhaseOne
    "SigmaRaw:DateTimeOriginal",  # X3F header
    "PNG:CreateDate",             # PNG tEXt 'Creation Time'
    "QuickTime:CreationDate",     # Apple mdta com.apple.quicktime.creationdate (local + offset)
    "QuickTime:DateTimeOriginal", # 3GP/MP4 udta date (local + offset)
    "QuickTime:CreateDate",       # mvhd creation_time: UTC by spec, zero = unset
    "Matroska:DateTimeOriginal",  # Segment DateUTC
    "Matroska:CreationTime",      # Tags 'creation_time' (ffmpeg)
    "RIFF:DateTimeOriginal",      # AVI IDIT / Pentax
    "ASF:CreationDate",           # WMV file properties (UTC)
    "H264:DateTimeOriginal",      # AVCHD MDPM SEI
    "DV:DateTimeOriginal",
]


def taken_of(e):
    for k in TAKEN_KEYS:
        if k == "IPTC+":
            d = e.get("IPTC:DateCreated")
            t = e.get("IPTC:TimeCreated")
            if isinstance(d, str):
                r = parse_dt(d)                       # some writers put a full timestamp here
                if r is None and isinstance(t, str):
                    r = parse_dt(d.strip() + " " + t.strip())
                if r:
                    return r + ("IPTC:DateCreated+TimeCreated",)
            continue
        r = parse_dt(e.get(k))
        if r:
            if k == "QuickTime:CreateDate" and r[1] is None:
                r = (r[0], "Z")                      # mvhd is UTC by definition
            return r + (k,)
    return (None, None, None)


# ---------------------------------------------------------------- make / model
MAKE_GROUPS = ["EXIF", "XMP", "MakerNotes", "QuickTime", "SigmaRaw", "PNG"]


def make_model_of(e):
    out = []
    for tag in ("Make", "Model"):
        val = None
        for g in MAKE_GROUPS:
            val = s(e.get(g + ":" + tag))
            if val:
                break
        out.append(val)
    return out


# ---------------------------------------------------------------- GPS
def gps_of(e):
    """Composite:GPSLatitude/Longitude are signed decimal degrees (exiftool
    applies GPSLatitudeRef 'S'/GPSLongitudeRef 'W'; XMP and QuickTime ISO-6709
    values are already signed).  Empty strings, (0,0) and out-of-range -> None."""
    lat = num(e.get("Composite:GPSLatitude"))
    lon = num(e.get("Composite:GPSLongitude"))
    if lat is None or lon is None:
        return None
    if abs(lat) < 1e-9 and abs(lon) < 1e-9:
        return None
    if abs(lat) > 90 or abs(lon) > 180:
        return None
    return [round(lat, 7), round(lon, 7)]


# ---------------------------------------------------------------- orientation
def orientation_of(e):
    for k in ("EXIF:Orientation", "XMP:Orientation"):
        v = e.get(k)
        if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 8:
            return v
    return None


# ---------------------------------------------------------------- size
MAX_DIM = 100000   # larger values only come from fuzzed headers: treated as "no size"


def ok_dim(w, h):
    return 0 < w <= MAX_DIM and 0 < h <= MAX_DIM


def pair(e, kw, kh):
    w, h = e.get(kw), e.get(kh)
    if isinstance(w, int) and isinstance(h, int) and not isinstance(w, bool) and ok_dim(w, h):
        return (w, h)
    return None


def pair_str(e, k):
    v = e.get(k)
    if isinstance(v, str):
        p = v.split()
        if len(p) == 2 and all(re.fullmatch(r"\d+", x) for x in p):
            w, h = int(p[0]), int(p[1])
            if ok_dim(w, h):
                return (w, h)
    return None


def stored_size(e, family):
    """(w, h, source) of the pixels as stored, before any rotation."""
    if family == "heif":
        # File:ImageWidth/Height = 'ispe' of the primary item (never rotated by exiftool)
        p = pair(e, "File:ImageWidth", "File:ImageHeight")
        if p:
            return p + ("File:ImageWidth/Height(ispe)",)
        p = pair_str(e, "Composite:ImageSize")       # image sequence without a primary item (msf1)
        return p + ("Composite:ImageSize",) if p else (None, None, None)
    if family == "raw":
        ft = e.get("File:FileType")
        cands = []
        if ft == "X3F":
            cands.append(("SigmaRaw:ImageWidth/Height", pair(e, "SigmaRaw:ImageWidth", "SigmaRaw:ImageHeight")))
        if ft == "DNG":
            cands.append(("EXIF:DefaultCropSize", pair_str(e, "EXIF:DefaultCropSize")))
        cands.append(("Composite:ImageSize", pair_str(e, "Composite:ImageSize")))
        cands.append(("EXIF:ExifImageWidth/Height", pair(e, "EXIF:ExifImageWidth", "EXIF:ExifImageHeight")))
        for src, p in cands:
            if p:
                return p + (src,)
        return (None, None, None)
    if family == "image":
        # exiftool's Composite:ImageSize = the container's own header
        # (JPEG SOF, PNG IHDR, WebP VP8/VP8L/VP8X, GIF LSD, BMP, JP2 ihdr, TIFF IFD0)
        p = pair_str(e, "Composite:ImageSize")
        return p + ("Composite:ImageSize",) if p else (None, None, None)
    return (None, None, None)


def displayed_size(w, h, family, orientation, irot):
    if w is None:
        return (None, None)
    if family == "heif":
        swap = irot in (90, 270)            # irot/imir are normative; EXIF Orientation is ignored
    else:
        swap = orientation in (5, 6, 7, 8)
    return (h, w) if swap else (w, h)


# ---------------------------------------------------------------- video (ffprobe)
def load_ffprobe(corpus):
    out = {}
    d = os.path.join(corpus, "ffprobe")
    if os.path.isdir(d):
        for f in os.listdir(d):
            if f.endswith(".json"):
                j = json.load(open(os.path.join(d, f)))
                p = j.get("_corpus", {}).get("path") or f[:-5].replace("__", "/")
                out[p] = j
    return out


def ffnum(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if x > 0 else None


def video_stream(j):
    for st in j.get("streams", []):
        if st.get("codec_type") == "video" and not st.get("disposition", {}).get("attached_pic"):
            return st
    return None


def video_facts(j, ext):
    """-> dict(ffprobe_ok, duration, duration_src, rotation, vw, vh)."""
    ok = bool(j) and j.get("_corpus", {}).get("ffprobe_rc", 1) == 0 and "format" in j
    r = {"ffprobe_ok": ok, "duration": None, "duration_src": None, "rotation": None,
         "vw": None, "vh": None}
    if not ok:
        return r
    st = video_stream(j)
    dur, src = None, None
    if ext == ".avi" and st:
        # AVI has no container duration: use the declared video length
        # (strh frame count / frame rate == avih TotalFrames*MicroSecPerFrame).
        nb = ffnum(st.get("nb_frames"))
        fr = st.get("r_frame_rate", "0/0").split("/")
        fps = (float(fr[0]) / float(fr[1])) if len(fr) == 2 and float(fr[1] or 0) else None
        if nb and fps:
            dur, src = nb / fps, "video nb_frames/r_frame_rate"
    if dur is None:
        dur = ffnum(j["format"].get("duration"))
        src = "format.duration" if dur else None
    r["duration"] = round(dur, 6) if dur else None
    r["duration_src"] = src
    rot = 0
    if st:
        tag = st.get("tags", {}).get("rotate")            # old ffprobe: clockwise degrees
        if tag is not None:
            rot = int(float(tag))
        for sd in st.get("side_data_list", []):
            if sd.get("side_data_type") == "Display Matrix" and "rotation" in sd:
                rot = -int(round(float(sd["rotation"])))  # ffprobe: counter-clockwise
        r["vw"], r["vh"] = st.get("width"), st.get("height")
    r["rotation"] = rot % 360
    return r


# ---------------------------------------------------------------- main
def expected(e, ff):
    path = e["SourceFile"]
    ext = os.path.splitext(path)[1].lower()
    kind = kind_of(path)
    ftype = e.get("File:FileType")
    ok = ("ExifTool:Error" not in e) and (ftype is not None)
    family = family_of(kind, ftype)
    rec = {"path": path, "kind": kind, "exiftool_ok": ok, "file_type": ftype, "family": family,
           "taken": None, "taken_offset": None, "taken_src": None,
           "make": None, "model": None, "gps": None, "orientation": None,
           "width": None, "height": None, "size_src": None, "heif_rotation": None,
           "ffprobe_ok": None, "duration": None, "duration_src": None, "rotation": None}
    if ok:
        rec["taken"], rec["taken_offset"], rec["taken_src"] = taken_of(e)
        rec["make"], rec["model"] = make_model_of(e)
        rec["gps"] = gps_of(e)
        if kind != "video":
            rec["orientation"] = orientation_of(e)
            irot = e.get("QuickTime:Rotation") if family == "heif" else None
            rec["heif_rotation"] = irot if isinstance(irot, int) else None
            w, h, src = stored_size(e, family)
            rec["width"], rec["height"] = displayed_size(w, h, family, rec["orientation"], rec["heif_rotation"])
            rec["size_src"] = src
    if kind == "video":
        v = video_facts(ff.get(path), ext)
        rec["ffprobe_ok"] = v["ffprobe_ok"]
        rec["duration"] = v["duration"]
        rec["duration_src"] = v["duration_src"]
        rec["rotation"] = v["rotation"]
        if v["ffprobe_ok"] and v["vw"] and v["vh"]:
            w, h = v["vw"], v["vh"]
            rec["width"], rec["height"] = (h, w) if v["rotation"] in (90, 270) else (w, h)
            rec["size_src"] = "ffprobe stream width/height"
    return rec


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    corpus = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus")
    ex = json.load(open(os.path.join(corpus, "exiftool.json")))
    ff = load_ffprobe(corpus)
    recs = [expected(e, ff) for e in sorted(ex, key=lambda e: e["SourceFile"])]
    for r in recs:
        print(json.dumps(r, ensure_ascii=False, sort_keys=False))
    if "--summary" in argv:
        summary(recs, sys.stderr)


def summary(recs, out):
    from collections import Counter
    okr = [r for r in recs if r["exiftool_ok"]]
    p = lambda *a: print(*a, file=out)
    p("files:", len(recs), " exiftool_ok:", len(okr), " not ok:", len(recs) - len(okr))
    p("kind:", dict(Counter(r["kind"] for r in recs)), " ok by kind:", dict(Counter(r["kind"] for r in okr)))
    p("family (ok):", dict(Counter(r["family"] for r in okr)))
    p("taken present:", sum(1 for r in okr if r["taken"]), " by source:", dict(Counter(r["taken_src"] for r in okr if r["taken"])))
    p("taken with offset:", sum(1 for r in okr if r["taken_offset"]))
    p("make present:", sum(1 for r in okr if r["make"]), " model present:", sum(1 for r in okr if r["model"]))
    p("gps present:", sum(1 for r in okr if r["gps"]))
    p("orientation:", dict(Counter(r["orientation"] for r in okr if r["kind"] != "video")))
    p("size present:", sum(1 for r in okr if r["width"]), " by source:", dict(Counter(r["size_src"] for r in okr if r["width"])))
    vids = [r for r in recs if r["kind"] == "video"]
    p("videos:", len(vids), " ffprobe_ok:", sum(1 for r in vids if r["ffprobe_ok"]),
      " with duration:", sum(1 for r in vids if r["duration"]),
      " rotation:", dict(Counter(r["rotation"] for r in vids if r["ffprobe_ok"])))


if __name__ == "__main__":
    main(sys.argv)
