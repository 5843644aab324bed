#!/usr/bin/env python3
"""The web portal on a large library, measured in Debian's Chromium (playwright-core): how soon the first
thumbnails show after opening the page, and how soon thumbnails fill the screen after a fast scroll stops (wheel
scrolling, then a jump to the end of the timeline). Also the size of the portal's JavaScript and CSS, gzipped.

The library: ITEMS photos in one Personal Space, generated as tests/bench/api_bench.py does, whose thumbnails are
real: photosd renders them for 24 photos of the benchmark set, and the generated items share those thumbnails.

    tests/bench/web_bench.py [--items 100000] [--bench-set DIR] [--dir /tmp/photosd-web-bench] [--runs 5]

Run as root, after `cargo build --release -p photosd` and tests/setup.sh (Chromium, playwright-core).
"""
import argparse
import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys

from api_bench import USER, PASSWORD, ensure_tools, generate
from benchlib import PHOTOSD, ROOT, ensure_bench_set, start_daemon

REAL = 24


def real_thumbnails(base, bench_set):
    """Indexes REAL photos of the benchmark set on their own; returns their (thumb hash, width, height, orientation)."""
    home = os.path.join(base, "real", "homes", USER, "Photos")
    data = os.path.join(base, "real", "data")
    os.makedirs(home)
    for path in sorted(glob.glob(os.path.join(bench_set, "jpeg", "*")))[:REAL]:
        shutil.copy(path, home)
    subprocess.run([PHOTOSD, "index", "--data", data, "--personal-pattern", os.path.join(base, "real", "homes", "*", "Photos"),
                    "--shared", "", "--min-uid", "0"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = sqlite3.connect(os.path.join(data, "library.db"))
    rows = db.execute("SELECT thumb_hash, width, height, orientation FROM item WHERE thumb_state = 'ready'").fetchall()
    assert rows, "no thumbnails were rendered"
    return data, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--dir", default="/tmp/photosd-web-bench")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(PHOTOSD):
        sys.exit("build first: cargo build --release -p photosd")
    ensure_tools()
    ensure_bench_set(args.bench_set)
    print(f"generating {args.items} items under {args.dir}", file=sys.stderr)
    data, pattern = generate(args.dir, args.items, 1)
    real_data, thumbs = real_thumbnails(args.dir, args.bench_set)
    shutil.copytree(os.path.join(real_data, "thumbs"), os.path.join(data, "thumbs"), dirs_exist_ok=True)
    db = sqlite3.connect(os.path.join(data, "library.db"))
    for n, (thumb, width, height, orientation) in enumerate(thumbs):
        db.execute("UPDATE item SET thumb_hash = ?, width = ?, height = ?, orientation = ? WHERE id % ? = ?",
                   (thumb, width, height, orientation, len(thumbs), n))
    db.commit()
    db.close()

    daemon, port = start_daemon(args.dir, data, pattern)
    try:
        out = subprocess.run(["node", "web_bench.mjs"], cwd=os.path.join(ROOT, "tests", "e2e"), check=True,
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PHOTOSD_URL=f"http://127.0.0.1:{port}", PHOTOSD_USER=USER,
                                      PHOTOSD_PASSWORD=PASSWORD, PHOTOSD_RUNS=str(args.runs))).stdout
        figures = json.loads(out.strip().splitlines()[-1])
    finally:
        daemon.terminate()
        daemon.wait()

    ms = lambda xs: f"{sorted(xs)[len(xs) // 2]:.0f} / {max(xs):.0f}"
    print(f"command: {' '.join(sys.argv)}")
    print(f"library: {figures['items']} items over {figures['days']} days; window 1440x900; {args.runs} runs\n")
    print("| measure | median / worst ms | target |")
    print("|---|---|---|")
    print(f"| first thumbnails after opening the page (signed in, empty cache) | {ms(figures['first'])} | ≤ 1500 |")
    print(f"| screen full of thumbnails after a fast wheel scroll stops | {ms(figures['wheel'])} | ≤ 1000 |")
    print(f"| screen full of thumbnails after a jump to the end | {ms(figures['jump'])} | ≤ 1000 |")
    print(f"\nJavaScript and CSS, gzipped: {figures['bundle_gzip'] / 1024:.1f} KB (target ≤ 250 KB)")


if __name__ == "__main__":
    main()
