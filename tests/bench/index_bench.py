#!/usr/bin/env python3
"""Indexing benchmark for photosd, side by side with the reference tools, in one run.

1. Metadata stage alone: `photosd inspect --no-hash` against `exiftool -j -n` on the same files
   (the benchmark set from ../shared/bench/make-bench-set.sh, plus the corpus).
2. Full `photosd index` (hash + metadata + database) on a copy of the benchmark set, from a cold page cache,
   against the disk's read speed for the same files (`cat`, cold cache).

Usage: tests/bench/index_bench.py [--bench-set DIR] [--repeat N]
Prints a markdown table and the exact command; docs/benchmarks.md records the results.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import PHOTOSD, ROOT, SHARED, ensure_bench_set, timed  # noqa: E402


def files_under(d):
    out = []
    for base, _, names in os.walk(d):
        for n in sorted(names):
            if not n.endswith((".json", ".tsv", ".md")) and "/ffprobe" not in base:
                out.append(os.path.join(base, n))
    return sorted(out)


def drop_caches():
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--repeat", type=int, default=10, help="each file list is passed this many times")
    ap.add_argument("--copies", type=int, default=5, help="copies of the benchmark set in the indexed space")
    args = ap.parse_args()
    if not os.path.exists(PHOTOSD):
        sys.exit("build first: cargo build --release -p photosd")
    ensure_bench_set(args.bench_set)
    bench = files_under(args.bench_set)
    corpus = files_under(os.path.join(SHARED, "corpus"))
    print(f"command: {' '.join(sys.argv)}")
    print(f"bench set: {args.bench_set} ({len(bench)} files); corpus: {len(corpus)} files; repeat {args.repeat}\n")

    print("## Metadata stage (no content hash)\n")
    print("| files | tool | files/s | CPU ms/file | speed vs exiftool |")
    print("|---|---|---|---|---|")
    data = tempfile.mkdtemp(prefix="photosd-bench-")
    for label, files in (("benchmark set", bench), ("corpus", corpus)):
        work = files * args.repeat
        # Both tools read from a warm page cache (this stage measures parsing, not the disk); best of two runs.
        timed(["cat", *files])
        ex_wall, ex_cpu = min(timed(["exiftool", "-j", "-n", "-q", "-q", *work], check=False) for _ in range(2))
        pd_wall, pd_cpu = min(timed([PHOTOSD, "inspect", "--no-hash", "--data", data, *work]) for _ in range(2))
        n = len(work)
        print(f"| {label} ({n}) | exiftool -j -n | {n / ex_wall:.0f} | {1000 * ex_cpu / n:.2f} | 1.0x |")
        print(f"| {label} ({n}) | photosd inspect --no-hash | {n / pd_wall:.0f} | {1000 * pd_cpu / n:.2f} | "
              f"{ex_wall / pd_wall:.1f}x |")

    print("\n## Full index (hash + metadata + database), cold page cache\n")
    tmp = tempfile.mkdtemp(prefix="photosd-bench-index-")
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    space = os.path.join(tmp, "homes", user, "Photos")
    for k in range(args.copies):
        shutil.copytree(args.bench_set, os.path.join(space, f"copy{k}"))
    files = files_under(space)
    total = sum(os.path.getsize(f) for f in files)
    cold = drop_caches()
    read_wall, _ = timed(["cat", *files])
    drop_caches()
    index_out = []
    idx_wall, idx_cpu = timed(output=index_out, cmd=[PHOTOSD, "index", "--data", os.path.join(tmp, "data"), "--personal-pattern",
                               os.path.join(tmp, "homes", "*", "Photos"), "--shared", "", "--min-uid", "0"])
    mb = total / 1e6
    print(f"{len(files)} files, {mb:.0f} MB; page cache {'dropped before each run' if cold else 'NOT dropped (not root)'}\n")
    print("| what | files/s | MB/s | CPU ms/file |")
    print("|---|---|---|---|")
    print(f"| disk read (`cat`) | {len(files) / read_wall:.0f} | {mb / read_wall:.0f} | |")
    print(f"| photosd index, whole command (start, folder walk, workers, hash, metadata, database) | "
          f"{len(files) / idx_wall:.0f} | {mb / idx_wall:.0f} | {1000 * idx_cpu / len(files):.1f} |")
    reported = next((l for l in index_out[0].splitlines() if l.startswith("indexed")), "")
    print(f"\nphotosd's own report of its read phase: `{reported.strip()}`")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
