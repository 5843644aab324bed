#!/usr/bin/env python3
"""Browser transcodes: photosd (OpenH264 through its own LGPL FFmpeg) side by side with the x264 pipeline it
replaced and that Immich runs (FFmpeg's CLI, libx264 `veryfast`, CRF 23, 720p short side, AAC 128 kbit/s), on
the same videos in one run.

photosd's transcoding CPU is `photosd index` of the videos with transcodes on, less the same index with them off
(so metadata and thumbnails are not counted). Quality is SSIM against the source scaled to the same size, by
FFmpeg's ssim filter; size is the output's mean bit rate.

Usage: tests/bench/transcode_bench.py [--videos DIR]   (default: the benchmark set's video/)
Prints a markdown table and the exact command; docs/benchmarks.md records the results.
"""
import argparse
import glob
import json
import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
import tempfile

from benchlib import PHOTOSD, ROOT, ensure_bench_set, timed  # noqa: E402


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", path],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def video_stream(info):
    return next(s for s in info["streams"] if s["codec_type"] == "video")


def ssim(output, source):
    """Mean SSIM of `output` against `source` scaled to the output's size (both as FFmpeg shows them, upright)."""
    v = video_stream(probe(output))
    w, h = int(v["width"]), int(v["height"])
    if any(abs(int(sd.get("rotation", 0))) in (90, 270) for sd in v.get("side_data_list", [])):
        w, h = h, w
    graph = f"[1:v]scale={w}:{h}:flags=bicubic,format=yuv420p[ref];[0:v]format=yuv420p[out];[out][ref]ssim"
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", output, "-i", source, "-lavfi", graph,
                          "-f", "null", "-"], capture_output=True, text=True)
    line = [l for l in run.stderr.splitlines() if "SSIM" in l and "All:" in l]
    return float(line[-1].split("All:")[1].split()[0]) if line else float("nan")


def bitrate(path):
    fmt = probe(path)["format"]
    return int(fmt["size"]) * 8 / float(fmt["duration"]) / 1e6


def index(videos, data, transcode):
    """`photosd index` of a copy of `videos`; returns (CPU seconds, {source path: transcode path})."""
    base = tempfile.mkdtemp(prefix="photosd-transcode-bench-")
    # A Personal Space is a real account's: this one's.
    photos = os.path.join(base, "homes", pwd.getpwuid(os.getuid()).pw_name, "Photos")
    shutil.copytree(videos, photos)
    os.environ["PHOTOSD_VIDEO_TRANSCODE"] = "true" if transcode else "false"
    os.environ.pop("PHOTOSD_CONFIG", None)
    cmd = [PHOTOSD, "index", "--data", data, "--personal-pattern", os.path.join(base, "homes", "*", "Photos"),
           "--shared", "", "--min-uid", "0"]
    _, cpu = timed(cmd)
    db = sqlite3.connect(os.path.join(data, "library.db"))
    made = {}
    query = """SELECT f.path, i.filename, i.hash FROM item i JOIN folder f ON f.id = i.folder_id
               WHERE i.type = 'video' AND i.video_state = 'ready'"""
    for folder, name, digest in db.execute(query):
        found = glob.glob(os.path.join(data, "video", "**", f"{digest}*.mp4"), recursive=True)
        if found:
            made[os.path.join(videos, folder, name)] = found[0]
    return cpu, made


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", default=None)
    args = ap.parse_args()
    if not os.path.exists(PHOTOSD):
        sys.exit("build first: cargo build --release -p photosd")
    videos = args.videos
    if videos is None:
        bench = os.path.join(ROOT, "target", "bench-set")
        ensure_bench_set(bench)
        videos = os.path.join(bench, "video")
    print(f"command: {' '.join(sys.argv)}")
    work = tempfile.mkdtemp(prefix="photosd-transcode-bench-")
    cpu_off, _ = index(videos, os.path.join(work, "off"), transcode=False)
    cpu_on, made = index(videos, os.path.join(work, "on"), transcode=True)
    photosd_cpu = cpu_on - cpu_off
    rows, x264_cpu = [], 0.0
    for source, ours in sorted(made.items()):
        ref = os.path.join(work, os.path.basename(source) + ".x264.mp4")
        # The pipeline photosd had before (and Immich's default): 720p on the short side, never upscaled.
        fit = "min(1,720/min(iw,ih))"
        scale = f"scale='trunc({fit}*iw/2)*2':'trunc({fit}*ih/2)*2'"
        _, cpu = timed(["ffmpeg", "-nostdin", "-y", "-i", source, "-vf", scale, "-c:v", "libx264", "-preset",
                        "veryfast", "-crf", "23", "-threads", "2", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
                        "-movflags", "+faststart", ref], check=False)
        if not os.path.exists(ref) or os.path.getsize(ref) == 0:
            print(f"FFmpeg with x264 cannot transcode {source}; left out")
            continue
        x264_cpu += cpu
        rows.append((os.path.basename(source), ssim(ours, source), ssim(ref, source), bitrate(ours), bitrate(ref)))
    total = sum(len(names) for _, _, names in os.walk(videos))
    print(f"\n{len(rows)} videos transcoded by both (of {total} files in {videos})\n")
    print("| video | SSIM photosd (OpenH264) | SSIM x264 veryfast CRF 23 | Mbit/s photosd | Mbit/s x264 |")
    print("|---|---|---|---|---|")
    for name, s_ours, s_ref, b_ours, b_ref in rows:
        print(f"| {name} | {s_ours:.3f} | {s_ref:.3f} | {b_ours:.2f} | {b_ref:.2f} |")
    def mean(values):
        values = [v for v in values if v == v]  # SSIM is NaN where FFmpeg could not compare the two
        return sum(values) / max(len(values), 1)
    print(f"| **mean** | {mean([r[1] for r in rows]):.3f} | {mean([r[2] for r in rows]):.3f} | "
          f"{mean([r[3] for r in rows]):.2f} | {mean([r[4] for r in rows]):.2f} |")
    print(f"\nCPU for all transcodes: photosd {photosd_cpu:.1f} s, FFmpeg CLI with x264 {x264_cpu:.1f} s "
          f"({photosd_cpu / max(x264_cpu, 1e-9):.2f}x)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
