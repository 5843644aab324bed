#!/usr/bin/env python3
"""People at scale: generates a library of ITEMS photos holding FACES faces grouped into PERSONS persons (synthetic
128-D embeddings around each person's own direction, as SFace gives), starts `photosd serve` on it with the real
face models, and measures:

- `Browse.Person list` (limit 100; the first page and a middle one) and `count` latency with `hey` (8 connections);
- placing new faces: real face photos from the corpus are dropped into the library and go through the whole
  faces stage; the daemon logs how long clustering took for each photo (it loads every person's centroid from
  the database when it starts, in the background), and how long settling took once the queue drained;
- the daemon's RSS (and its workers') before, at its peak while placing, and once the workers have left after
  their idle timeout (`--idle-exit`, the daemon's `workers.idle_exit_secs`), with how long that took.

Run as root (it makes the account):

    tests/bench/people_bench.py [--items 100000] [--faces 200000] [--persons 2000] [--dir /tmp/photosd-people-bench]
                                [--requests 2000] [--photos 20] [--idle-exit 20]
"""
import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from benchlib import new_library, PHOTOSD, ROOT, SHARED, add_personal_space, descendants, start_daemon, tree_rss_kb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_bench import USER, PASSWORD, ensure_tools, hey  # noqa: E402

DIM = 128
FOLDERS = 100


def unit(v):
    n = sum(x * x for x in v) ** 0.5
    return [x / n for x in v]


def generate(base, items, faces, persons):
    homes = os.path.join(base, "homes")
    shutil.rmtree(base, ignore_errors=True)
    data, db = new_library(base)
    now = int(time.time())
    root = os.path.join(homes, USER, "Photos")
    space, folder_ids = add_personal_space(db, 60000, USER, root, now, FOLDERS)
    rng = random.Random(42)
    mtime_ns = 1_600_000_000 * 1_000_000_000
    rows = []
    for n in range(items):
        h = f"{n:064x}"
        rows.append((space, folder_ids[n % FOLDERS], f"IMG_{n:07}.jpg", 0, mtime_ns, "photo", "image/jpeg", 4000,
                     3000, 1, rng.randrange(1_300_000_000, 1_700_000_000), now, now, "ready", h, h, h))
    db.executemany(
        "INSERT INTO item (space_id, folder_id, filename, size, mtime_ns, type, mime, width, height, orientation,"
        " taken_ts, added_at, indexed_at, thumb_state, hash, thumb_hash, faces_hash)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    first_item = db.execute("SELECT min(id) FROM item").fetchone()[0]
    # Persons: a direction each; a face is its person's direction plus noise, at a cosine distance of about 0.3.
    centres = [unit([rng.gauss(0, 1) for _ in range(DIM)]) for _ in range(persons)]
    db.executemany("INSERT INTO person (space_id, name, created_at) VALUES (?, ?, ?)",
                   [(space, f"Person {p}" if p % 4 == 0 else "", now) for p in range(persons)])
    first_person = db.execute("SELECT min(id) FROM person").fetchone()[0]
    batch = []
    for k in range(faces):
        p = rng.randrange(persons)
        noisy = unit([c + rng.gauss(0, 0.06) for c in centres[p]])
        blob = struct.pack(f"<{DIM}f", *noisy)
        batch.append((first_item + k % items, space, 0.4, 0.3, 0.1, 0.15, "[]", 0.9, 120.0, blob, first_person + p))
        if len(batch) == 20000:
            db.executemany("INSERT INTO face (item_id, space_id, x, y, width, height, landmarks, score, size_px,"
                           " embedding, person_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
            batch = []
            print(f"  {k + 1} faces", file=sys.stderr)
    if batch:
        db.executemany("INSERT INTO face (item_id, space_id, x, y, width, height, landmarks, score, size_px,"
                       " embedding, person_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
    db.execute("ANALYZE")
    db.commit()
    db.close()
    for f in range(FOLDERS):
        os.makedirs(os.path.join(root, f"{f:03}"), exist_ok=True)
    for n in range(items):
        path = os.path.join(root, f"{n % FOLDERS:03}", f"IMG_{n:07}.jpg")
        open(path, "wb").close()
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return data, os.path.join(homes, "*", "Photos"), root


def face_worker_peak_mb():
    """The face worker's peak RSS (VmHWM), in MB: the worker started with the face pool's `--nice 10`; None when
    it has already left (idle)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            args = open(f"/proc/{entry}/cmdline", "rb").read().split(b"\0")
            if b"worker" in args and b"--nice" in args and args[args.index(b"--nice") + 1] == b"10":
                for line in open(f"/proc/{entry}/status"):
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except (OSError, IndexError):
            continue
    return None


def workers_of(pid):
    """The daemon's `photosd worker` processes still running (started by it, or by its launcher), by pid."""
    found = []
    for p in descendants(pid)[1:]:
        try:
            if open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")[1:2] == [b"worker"]:
                found.append(p)
        except OSError:
            pass
    return found


def call(base, sid, api, method, version, **params):
    query = urllib.parse.urlencode(dict(api=api, method=method, version=version, _sid=sid, **params))
    return json.load(urllib.request.urlopen(f"{base}?{query}"))


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--faces", type=int, default=200_000)
    ap.add_argument("--persons", type=int, default=2000)
    ap.add_argument("--dir", default="/tmp/photosd-people-bench")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--photos", type=int, default=20, help="real face photos dropped in to be placed")
    ap.add_argument("--idle-exit", type=int, default=20, help="seconds before an idle worker exits")
    args = ap.parse_args()
    ensure_tools()
    print(f"generating {args.faces} faces of {args.persons} persons in {args.items} photos", file=sys.stderr)
    data, pattern, root = generate(args.dir, args.items, args.faces, args.persons)
    daemon, port = start_daemon(args.dir, data, pattern, RUST_LOG="photosd::jobs=debug,info",
                                PHOTOSD_FACES_MODELS_DIR=os.path.join(ROOT, "target", "models"),
                                PHOTOSD_WORKERS_IDLE_EXIT_SECS=str(args.idle_exit))
    log_path = os.path.join(args.dir, "daemon.log")
    try:
        base = f"http://127.0.0.1:{port}/photo/webapi/entry.cgi"
        form = urllib.parse.urlencode({"api": "SYNO.API.Auth", "version": 7, "method": "login", "account": USER,
                                       "passwd": PASSWORD, "format": "sid"}).encode()
        sid = json.load(urllib.request.urlopen(base, form))["data"]["sid"]
        rss_idle = tree_rss_kb(daemon.pid) / 1024
        rows = []
        for label, offset in [("first page", 0), ("middle page", args.persons // 2)]:
            url = (f"{base}?api=SYNO.Foto.Browse.Person&version=1&method=list&limit=100&offset={offset}"
                   f"&_sid={sid}")
            rows.append((f"Browse.Person list, limit 100, {label} (offset {offset})", *hey(url, args.requests)))
        url = f"{base}?api=SYNO.Foto.Browse.Person&version=1&method=count&_sid={sid}"
        rows.append(("Browse.Person count", *hey(url, args.requests)))

        # New photos with real faces, through the whole faces stage.
        faces_dir = os.path.join(SHARED, "corpus", "faces")
        photos = sorted(os.path.join(d, n) for d, _, names in os.walk(faces_dir) for n in names
                        if n.lower().endswith((".jpg", ".jpeg", ".png")))[: args.photos]
        incoming = os.path.join(root, "incoming")
        os.makedirs(incoming)
        for k, path in enumerate(photos):
            shutil.copy(path, os.path.join(incoming, f"{k:03}_{os.path.basename(path)}"))
        peak = 0.0
        for _ in range(1200):
            peak = max(peak, tree_rss_kb(daemon.pid) / 1024)
            index = call(base, sid, "SYNO.Foto.Index", "get", 1)["data"]
            if index["face"]["done"] == index["face"]["total"] and index["face_extraction"] == 0 \
                    and index["face"]["total"] >= args.items + len(photos):
                break
            time.sleep(0.5)
        log = open(log_path).read()
        placed = [int(m.group(1)) / 1000 for m in re.finditer(r"faces placed.*?placed_us=(\d+)", log)]
        settled = [int(m.group(1)) / 1000 for m in re.finditer(r"persons settled.*?settle_us=(\d+)", log)]
        faces_placed = [int(m.group(1)) for m in re.finditer(r"faces placed.*?faces=(\d+)", log)]
        face_worker_peak = face_worker_peak_mb()
        # Idle again: wait for every worker to leave, then read the daemon's RSS.
        drained = time.monotonic()
        while workers_of(daemon.pid) and time.monotonic() - drained < args.idle_exit + 60:
            time.sleep(0.5)
        idle_after_s = time.monotonic() - drained
        left = not workers_of(daemon.pid)
        time.sleep(1)
        rss_after = tree_rss_kb(daemon.pid) / 1024
    finally:
        daemon.terminate()
        daemon.wait()
    print(f"\n{args.faces} faces, {args.persons} persons, {args.items} photos; "
          f"command: tests/bench/people_bench.py --items {args.items} --faces {args.faces} "
          f"--persons {args.persons} --requests {args.requests} --photos {args.photos} "
          f"--idle-exit {args.idle_exit}\n")
    print("| request | p50 ms | p99 ms | 200 answers |")
    print("|---|---|---|---|")
    for label, p50, p99, ok in rows:
        ms = lambda v: "n/a" if v is None else f"{v:.1f}"  # hey prints no percentile it has too few answers for
        print(f"| {label} | {ms(p50)} | {ms(p99)} | {ok}/{args.requests} |")
    if placed:
        rest = placed[1:] or placed
        print(f"\nplacing the faces of {len(placed)} new photos ({sum(faces_placed)} faces): first photo "
              f"{placed[0]:.1f} ms (the persons' centroids are loaded when the daemon starts, in the background), "
              f"then p50 {percentile(rest, 50):.2f} ms, p99 {percentile(rest, 99):.2f} ms, max {max(rest):.2f} ms "
              f"per photo")
    if settled:
        print(f"settling once the queue drained: {', '.join(f'{s:.1f} ms' for s in settled)}")
    print(f"daemon RSS with its workers: {rss_idle:.0f} MB before, {peak:.0f} MB peak while placing")
    if face_worker_peak is not None:
        print(f"face worker peak RSS (VmHWM): {face_worker_peak:.0f} MB")
    if left:
        print(f"idle again: the workers left {idle_after_s:.0f} s after the queue drained (idle timeout "
              f"{args.idle_exit} s); daemon RSS {rss_after:.0f} MB, against {rss_idle:.0f} MB before "
              f"({rss_after - rss_idle:+.0f} MB)")
    else:
        print(f"idle again: the workers were still there {idle_after_s:.0f} s after the queue drained (idle "
              f"timeout {args.idle_exit} s): daemon RSS {rss_after:.0f} MB, against {rss_idle:.0f} MB before")


if __name__ == "__main__":
    main()
