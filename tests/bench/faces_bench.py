#!/usr/bin/env python3
"""Face benchmark: photosd's face stage (YuNet detection and SFace embeddings written with candle, in its face
worker) against the reference implementation of the same models, OpenCV's FaceDetectorYN (the original YuNet
file) and onnxruntime (the original SFace file), on the same images in the same run, each on one thread.

The input is what the faces stage reads: the xl thumbnails (1280 px on the short side) of the benchmark set's
photos and of the corpus' face photos, made first with `photosd thumb --size xl`. Both sides bring each image to
640 px on the long side, detect with a score of at least 0.6, align every face onto the ArcFace template and
embed it. CPU is user + system time of the whole process tree, model loading included; peak RSS is sampled.

Usage: tests/bench/faces_bench.py [--bench-set DIR] [--repeat N]
Prints a markdown table and the exact command; docs/benchmarks.md records the results.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib import PHOTOSD, ROOT, SHARED, ensure_bench_set, tree_rss_kb  # noqa: E402

MODELS = os.path.join(ROOT, "target", "models")
MLENV_PYTHON = os.path.join(ROOT, "target", "mlenv", "bin", "python")


def measured(cmd, env=None):
    """Runs cmd, sampling the RSS of its process tree; returns (wall s, CPU s of the tree, peak RSS MiB, stdout)."""
    out = tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.01)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed with status {proc.returncode}")
    out.seek(0)
    return wall, usage.ru_utime + usage.ru_stime, max(peak, usage.ru_maxrss) / 1024, out.read().decode()


def reference_run(files):
    """The reference pipeline, in this process (started by the benchmark as a child of its own)."""
    import cv2
    import numpy as np
    import onnxruntime
    cv2.setNumThreads(1)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = 1, 1, 3
    sface = onnxruntime.InferenceSession(os.path.join(MODELS, "sface.onnx"), options,
                                         providers=["CPUExecutionProvider"])
    name = sface.get_inputs()[0].name
    # The original SFace file lists leftovers of its quantisation as inputs: zeros, which nothing reads.
    feeds = {i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape],
                              np.float32 if "float" in i.type else np.int8) for i in sface.get_inputs()[1:]}
    detector = cv2.FaceDetectorYN.create(os.path.join(MODELS, "yunet.onnx"), "", (320, 320), 0.6, 0.3, 5000)
    template = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                         [70.7299, 92.2041]], np.float32)
    faces = 0
    for path in files:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        h, w = image.shape[:2]
        scale = min(1.0, 640 / max(h, w))
        small = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        detector.setInputSize((small.shape[1], small.shape[0]))
        found = detector.detect(small)[1]
        for row in [] if found is None else found:
            marks = row[4:14].reshape(5, 2) / scale
            matrix = cv2.estimateAffinePartial2D(marks, template, method=cv2.LMEDS)[0]
            crop = cv2.warpAffine(image, matrix, (112, 112))
            rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32)
            vector = sface.run(None, {name: rgb, **feeds})[0][0]
            vector /= np.linalg.norm(vector)
            faces += 1
    print(faces)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench-set", default=os.path.join(ROOT, "target", "bench-set"))
    ap.add_argument("--repeat", type=int, default=2, help="each image list is passed this many times")
    ap.add_argument("--reference-run", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reference_run is not None:
        return reference_run(args.reference_run)
    for needed in (PHOTOSD, MLENV_PYTHON, os.path.join(MODELS, "yunet.onnx")):
        if not os.path.exists(needed):
            sys.exit(f"{needed} is missing: build photosd and run tests/setup.sh first")
    ensure_bench_set(args.bench_set)
    print(f"command: {' '.join(sys.argv)}\n")
    work = tempfile.mkdtemp(prefix="photosd-faces-bench-")
    photos = {
        "bench set (jpeg + heic)": sorted(glob.glob(os.path.join(args.bench_set, "jpeg", "*")))
        + sorted(glob.glob(os.path.join(args.bench_set, "heic", "*"))),
        "corpus faces": sorted(p for p in glob.glob(os.path.join(SHARED, "corpus", "faces", "*", "*"))
                               if p.lower().endswith((".jpg", ".jpeg", ".png"))),
    }
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=MODELS)
    print("| images | pipeline | faces | photos/s | CPU ms/photo | peak RSS MB | CPU vs reference |")
    print("|---|---|---|---|---|---|---|")
    for label, files in photos.items():
        out = os.path.join(work, label.split()[0])
        os.makedirs(out)
        subprocess.run([PHOTOSD, "thumb", "--size", "xl", "--out", out, *files], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        xl = sorted(glob.glob(os.path.join(out, "*_xl.jpg"))) * args.repeat
        n = len(xl)
        subprocess.run(["cat", *xl], stdout=subprocess.DEVNULL)
        ref_wall, ref_cpu, ref_rss, ref_out = measured(
            [MLENV_PYTHON, os.path.abspath(__file__), "--reference-run", *xl])
        wall, cpu, rss, ours = measured([PHOTOSD, "faces", "--embedding", *xl], env)
        faces = sum(line.count('"embedding"') for line in ours.splitlines())
        for pipeline, found, (w, c, r), ratio in [
            ("OpenCV FaceDetectorYN + onnxruntime SFace, 1 thread", ref_out.strip(), (ref_wall, ref_cpu, ref_rss), "1.00"),
            ("photosd faces (candle, face worker, 1 thread)", faces, (wall, cpu, rss), f"**{cpu / ref_cpu:.2f}**"),
        ]:
            cells = [f"{label} ({n})", pipeline, found, f"{n / w:.1f}", f"{1000 * c / n:.0f}", f"{r:.0f}", ratio]
            print("| " + " | ".join(str(cell) for cell in cells) + " |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
