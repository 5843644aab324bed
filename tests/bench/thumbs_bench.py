#!/usr/bin/env python3
"""Thumbnail benchmark: photosd's full pipeline (sm 240 + m 320 + xl 1280, through its worker processes) against
the reference pipeline Immich uses, libvips `vipsthumbnail -s 1440` (JPEG Q80) plus `vipsthumbnail -s 250`
(WebP Q80), on the same photos in the same run. Also the peak memory (RSS of the daemon plus its workers) while
`photosd index` thumbnails the benchmark set with 2 workers.

Usage: tests/bench/thumbs_bench.py [--bench-set DIR] [--repeat N]
Prints a markdown table and the exact command; docs/benchmarks.md records the results.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from benchlib import PHOTOSD, ROOT, ensure_bench_set, timed, tree_rss_kb  # noqa: E402


def peak_rss_of_index(files, workers):
    tmp = tempfile.mkdtemp(prefix="photosd-thumb-rss-")
    # Others may pass, as through /var/lib: run as root, photosd's workers are an account of their own.
    os.chmod(tmp, 0o711)
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    space = os.path.join(tmp, "homes", user, "Photos")
    os.makedirs(space)
    for f in files:
        shutil.copy(f, space)
    proc = subprocess.Popen([PHOTOSD, "index", "--workers", str(workers), "--data", os.path.join(tmp, "data"),
                             "--personal-pattern", os.path.join(tmp, "homes", "*", "Photos"), "--shared", "",
                             "--min-uid", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.02)
    shutil.rmtree(tmp, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"photosd index failed (exit status {proc.returncode}): the peak would mean nothing")
    return peak / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--repeat", type=int, default=2, help="each file list is passed this many times")
    args = ap.parse_args()
    if not os.path.exists(PHOTOSD):
        sys.exit("build first: cargo build --release -p photosd")
    ensure_bench_set(args.bench_set)
    print(f"command: {' '.join(sys.argv)}\n")
    print("| photos | pipeline | photos/s | CPU ms/photo | CPU vs reference |")
    print("|---|---|---|---|---|")
    for label in ("jpeg", "heic"):
        d = os.path.join(args.bench_set, label)
        files = sorted(os.path.join(d, f) for f in os.listdir(d)) * args.repeat
        out = tempfile.mkdtemp(prefix="photosd-thumb-bench-")
        subprocess.run(["cat", *files], stdout=subprocess.DEVNULL)  # warm cache: this measures CPU, not the disk
        ref_wall = ref_cpu = 0.0
        for size, target in (("1440", "%s_1440.jpg[Q=80]"), ("250", "%s_250.webp[Q=80]")):
            w, c = timed(["vipsthumbnail", "-s", size, "-o", os.path.join(out, target), *files])
            ref_wall, ref_cpu = ref_wall + w, ref_cpu + c
        ours_wall, ours_cpu = timed([PHOTOSD, "thumb", "--workers", "2", "--out", out, *files])
        n = len(files)
        print(f"| {label} ({n}) | libvips: vipsthumbnail -s 1440 (JPEG Q80) + -s 250 (WebP Q80) | {n / ref_wall:.1f} | "
              f"{1000 * ref_cpu / n:.0f} | 1.00 |")
        print(f"| {label} ({n}) | photosd thumb: sm + m + xl (JPEG) | {n / ours_wall:.1f} | {1000 * ours_cpu / n:.0f} | "
              f"**{ours_cpu / ref_cpu:.2f}** |")
        shutil.rmtree(out, ignore_errors=True)
    files = [os.path.join(args.bench_set, s, f) for s in ("jpeg", "heic") for f in sorted(os.listdir(os.path.join(args.bench_set, s)))]
    peak = peak_rss_of_index(files, 2)
    print(f"\nPeak RSS of photosd index (daemon + 2 workers) over the {len(files)} JPEGs and HEICs: **{peak:.0f} MB**")


if __name__ == "__main__":
    main()
