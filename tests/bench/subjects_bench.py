#!/usr/bin/env python3
"""Subjects benchmark: photosd's subject stage (EfficientNet-Lite0 written with candle, in its ML worker) against
the reference implementation of the same weights (the ONNX graph tests/ml/subjects_reference.py builds from the
original PyTorch file, run by onnxruntime), on the same images in the same run, each on one thread; then the
search side (the MiniLM text model), and the ML worker's peak memory with both the face and the subject models
loaded while a library is indexed.

The input is what the subject stage reads: the `m` thumbnails (320 px on the short side) of the benchmark set's
photos and of the corpus' subject photos, made first with `photosd thumb --size m`. Both sides decode each one,
take its middle square at 224 x 224 and classify it. CPU is user + system time of the whole process tree, model
loading included; peak RSS is sampled. "Once loaded" is the CPU a photo adds: each pipeline also runs on the list
passed once, and the difference is divided by the photos it lacks, so that start-up counts for neither side.

Usage: tests/bench/subjects_bench.py [--bench-set DIR] [--repeat N]
Prints markdown tables and the exact command; docs/benchmarks.md records the results.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import PHOTOSD, ROOT, SHARED, ensure_bench_set  # noqa: E402
from faces_bench import measured  # noqa: E402
from people_bench import face_worker_peak_mb  # noqa: E402

MODELS = os.path.join(ROOT, "target", "models")
MLENV_PYTHON = os.path.join(ROOT, "target", "mlenv", "bin", "python")
QUERIES = ["dog", "puppies", "seaside", "feline", "sailboat", "birthday cake", "mountain lake", "city at night"]


def reference_run(files):
    """The reference pipeline, in this process (started by the benchmark as a child of its own)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "ml"))
    sys.path.insert(0, os.path.join(ROOT, "models"))
    import cv2
    import numpy as np
    import onnxruntime
    from fetch import legacy_pth
    from subjects_reference import reference_graph, softmax, square
    cv2.setNumThreads(1)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 1, 1, 3
    with open(os.path.join(MODELS, "efficientnet_lite0.pth"), "rb") as f:
        session = onnxruntime.InferenceSession(reference_graph(legacy_pth(f.read())), options,
                                               providers=["CPUExecutionProvider"])
    for path in files:
        pixels = square(path)
        x = ((pixels.astype(np.float32) - 127.5) / 127.5).transpose(2, 0, 1)[None]
        softmax(session.run(None, {"input": x})[0][0])
    print(len(files))


def worker_peak(files, work):
    """Indexes a library of `files` with the face and subject models; returns (the ML worker's peak RSS in MB,
    seconds until every photo was classified)."""
    # A Personal Space needs a real account: the one running the benchmark.
    import pwd
    photos = os.path.join(work, "home", pwd.getpwuid(os.getuid()).pw_name, "Photos")
    os.makedirs(photos)
    # The library's reader runs unprivileged: the folders above the space must be open to it.
    for folder in (os.path.dirname(work), work):
        os.chmod(folder, 0o755)
    for k, path in enumerate(files):
        shutil.copy(path, os.path.join(photos, f"{k:04}_{os.path.basename(path)}"))
    data = os.path.join(work, "data")
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=MODELS)
    env.pop("PHOTOSD_CONFIG", None)
    start = time.monotonic()
    proc = subprocess.Popen([PHOTOSD, "index", "--data", data, "--personal-pattern",
                             os.path.join(work, "home", "*", "Photos"), "--shared", "", "--min-uid", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, face_worker_peak_mb() or 0.0)
        time.sleep(0.05)
    return peak, time.monotonic() - start


def reference_layers(runs=50):
    """onnxruntime's time per kind of layer in one forward pass, from its own profiler: where photosd's gap is."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "ml"))
    sys.path.insert(0, os.path.join(ROOT, "models"))
    import numpy as np
    import onnxruntime
    from fetch import legacy_pth
    from subjects_reference import reference_graph
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 1, 1, 3
    options.enable_profiling = True
    options.profile_file_prefix = os.path.join(tempfile.mkdtemp(prefix="photosd-ort-profile-"), "ort")
    with open(os.path.join(MODELS, "efficientnet_lite0.pth"), "rb") as f:
        session = onnxruntime.InferenceSession(reference_graph(legacy_pth(f.read())), options,
                                               providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    for _ in range(runs):
        session.run(None, {"input": x})
    profile = session.end_profiling()
    with open(profile) as f:
        events = json.load(f)
    shutil.rmtree(os.path.dirname(profile), ignore_errors=True)
    kinds = {}
    for event in events:
        if event.get("cat") != "Node" or not event["name"].endswith("_kernel_time"):
            continue
        shapes = [next(iter(s.values())) for s in event["args"].get("input_type_shape", [])]
        weight = shapes[1] if len(shapes) > 1 and len(shapes[1]) == 4 else None
        if weight is None:
            kind = "the rest (fully connected, pooling, reordering)"
        else:
            kind = "1x1" if weight[2] == 1 else ("depthwise" if weight[1] == 1 else "stem")
        kinds[kind] = kinds.get(kind, 0) + event["dur"] / runs / 1000
    for kind, ms in sorted(kinds.items(), key=lambda kv: -kv[1]):
        print(f"| {kind} | {ms:.2f} |")
    print(f"| all | {sum(kinds.values()):.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--repeat", type=int, default=3,
                    help="each image list is passed this many times (at least 2: the CPU once loaded is measured "
                         "against the list passed once)")
    ap.add_argument("--reference-run", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--reference-layers", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reference_run is not None:
        return reference_run(args.reference_run)
    if args.reference_layers:
        return reference_layers()
    if args.repeat < 2:
        sys.exit("--repeat must be at least 2")
    for needed in (PHOTOSD, MLENV_PYTHON, os.path.join(MODELS, "efficientnet_lite0.pth")):
        if not os.path.exists(needed):
            sys.exit(f"{needed} is missing: build photosd and run tests/setup.sh first")
    ensure_bench_set(args.bench_set)
    print(f"command: {' '.join(sys.argv)}\n")
    work = tempfile.mkdtemp(prefix="photosd-subjects-bench-")
    bench = sorted(glob.glob(os.path.join(args.bench_set, "jpeg", "*"))) \
        + sorted(glob.glob(os.path.join(args.bench_set, "heic", "*")))
    photos = {
        "bench set (jpeg + heic)": bench,
        "corpus subjects": sorted(p for p in glob.glob(os.path.join(SHARED, "corpus", "subjects", "*", "*"))
                                  if p.lower().endswith((".jpg", ".jpeg", ".png"))),
    }
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=MODELS)
    print("| images | pipeline | photos/s | CPU ms/photo | peak RSS MB | CPU vs reference | once loaded: ms/photo |"
          " once loaded: vs reference |")
    print("|---|---|---|---|---|---|---|---|")
    for label, files in photos.items():
        out = os.path.join(work, label.split()[0])
        os.makedirs(out)
        subprocess.run([PHOTOSD, "thumb", "--size", "m", "--out", out, *files], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        once = sorted(glob.glob(os.path.join(out, "*_m.jpg")))
        thumbs = once * args.repeat
        n = len(thumbs)
        subprocess.run(["cat", *thumbs], stdout=subprocess.DEVNULL)
        reference = [MLENV_PYTHON, os.path.abspath(__file__), "--reference-run"]
        ref_wall, ref_cpu, ref_rss, _ = measured(reference + thumbs)
        ref_added = (ref_cpu - measured(reference + once)[1]) / (n - len(once))
        wall, cpu, rss, _ = measured([PHOTOSD, "subjects", *thumbs], env)
        added = (cpu - measured([PHOTOSD, "subjects", *once], env)[1]) / (n - len(once))
        for pipeline, (w, c, r, a), ratio, added_ratio in [
            ("onnxruntime, the same weights, 1 thread (cv2 decode and resize)", (ref_wall, ref_cpu, ref_rss, ref_added),
             "1.00", "1.00"),
            ("photosd subjects (candle, ML worker, 1 thread)", (wall, cpu, rss, added), f"**{cpu / ref_cpu:.2f}**",
             f"**{added / ref_added:.2f}**"),
        ]:
            cells = [f"{label} ({n})", pipeline, f"{n / w:.1f}", f"{1000 * c / n:.1f}", f"{r:.0f}", ratio,
                     f"{1000 * a:.1f}", added_ratio]
            print("| " + " | ".join(str(cell) for cell in cells) + " |")

    print("\nonnxruntime's forward pass by kind of layer (its own profiler, 50 passes, one thread):\n")
    print("| layers | ms a pass |")
    print("|---|---|")
    sys.stdout.flush()
    subprocess.run([MLENV_PYTHON, os.path.abspath(__file__), "--reference-layers"], check=True)

    out = subprocess.run([PHOTOSD, "subjects", "--query", *QUERIES], capture_output=True, text=True, env=env,
                         check=True)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    print("\n| search text | subject | by | ms |")
    print("|---|---|---|---|")
    for line in lines:
        by = "its words" if line["by_word"] else (f"meaning ({line['nearness']:.2f})" if line["subject"] else "-")
        print(f"| {line['query']} | {line['subject'] or 'none'} | {by} | {line['ms']:.1f} |")
    ms = sorted(line["ms"] for line in lines)
    print(f"\ntext model: {out.stderr.strip()}; a query {ms[len(ms) // 2]:.1f} ms (median), {ms[-1]:.1f} ms at most")

    peak, seconds = worker_peak(bench, os.path.join(work, "index"))
    print(f"\nML worker (faces and subjects loaded) while `photosd index` read, rendered, and looked for faces and "
          f"subjects in the {len(bench)} photos of the bench set: peak RSS {peak:.0f} MB; {seconds:.0f} s in all")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
