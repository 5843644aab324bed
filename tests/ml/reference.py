#!/usr/bin/env python3
"""photosd's face networks against a reference implementation of the same weights, on the corpus' face photos.

- Detection: OpenCV's cv2.FaceDetectorYN runs the original YuNet file (int8, from the registry package) on the
  very pixels photosd sees: each photo, turned upright and brought to at most 640 px, saved as PNG. Every face
  OpenCV finds must be found by `photosd faces` with the same box, landmarks and score, and no other.
- Embedding: each face is aligned onto the ArcFace template from OpenCV's landmarks (Umeyama's similarity, as
  cv2.FaceRecognizerSF.alignCrop does, then cv2.warpAffine) and saved as a 112x112 PNG. onnxruntime runs the
  original SFace file on it; `photosd faces --aligned` embeds the same PNG. The two vectors must agree.
- End to end: `photosd faces --embedding` on the photo (its own alignment and sampling) must give a vector close
  to the reference's.
- Originals: `photosd faces` on the photos themselves (its own decoding, orientation and downscaling, and the
  faces mapped back to the upright image it reports) finds the faces OpenCV finds, at the same places (the two
  downscalers differ, so the tolerance is an overlap).

Usage: tests/ml/reference.py --photosd BIN --models DIR --corpus DIR [--config FILE]
Prints the figures; exits 1 when a tolerance is broken, 2 when something needed is missing.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import cv2
import numpy as np
import onnxruntime

TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655],
                     [70.7299, 92.2041]], np.float64)
MIN_SCORE, MAX_OVERLAP, DETECT_SIDE = 0.6, 0.3, 640
# Tolerances: the same float32 network on the same pixels, run by two implementations.
BOX_PX, SCORE, COSINE_ALIGNED, COSINE_END_TO_END = 0.01, 1e-4, 1 - 1e-5, 1 - 1e-3
ORIGINAL_IOU = 0.7


def umeyama(src, dst):
    """The least-squares similarity (no reflection) mapping src onto dst, as a 2x3 matrix."""
    n = src.shape[0]
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    a = d.T @ s / n
    u, sv, vt = np.linalg.svd(a)
    sign = np.ones(2)
    if np.linalg.det(a) < 0:
        sign[1] = -1
    r = u @ np.diag(sign) @ vt
    scale = (sv * sign).sum() / s.var(0).sum()
    m = np.zeros((2, 3))
    m[:, :2] = scale * r
    m[:, 2] = md - scale * r @ ms
    return m


def run_photosd(args, files, *flags):
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=args.models)
    out = subprocess.run([args.photosd, "faces", *flags, *files], capture_output=True, text=True, env=env)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or len(lines) != len(files):
        sys.exit(f"photosd faces failed ({out.returncode}): {out.stderr[-2000:]}")
    return {line["file"]: line for line in lines}


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photosd", required=True)
    ap.add_argument("--models", required=True, help="the folder models/fetch.py --keep-originals wrote")
    ap.add_argument("--corpus", required=True, help="the corpus' faces folder")
    args = ap.parse_args()
    yunet_onnx, sface_onnx = (os.path.join(args.models, f) for f in ("yunet.onnx", "sface.onnx"))
    for needed in (yunet_onnx, sface_onnx, args.photosd):
        if not os.path.exists(needed):
            print(f"reference: {needed} is missing (tests/setup.sh makes it)", file=sys.stderr)
            sys.exit(2)
    photos = sorted(p for p in glob.glob(os.path.join(args.corpus, "*", "*"))
                    if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if len(photos) < 20:
        sys.exit(f"reference: only {len(photos)} face photos under {args.corpus}")
    work = tempfile.mkdtemp(prefix="photosd-faces-ref-")
    os.chmod(work, 0o755)

    # The pixels both see: upright (cv2.imread applies EXIF orientation), at most 640 px, lossless.
    inputs = []
    for k, photo in enumerate(photos):
        image = cv2.imread(photo, cv2.IMREAD_COLOR)
        if image is None:
            continue
        h, w = image.shape[:2]
        scale = min(1.0, DETECT_SIDE / max(h, w))
        if scale < 1.0:
            image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))),
                               interpolation=cv2.INTER_AREA)
        path = os.path.join(work, f"{k:03d}.png")
        cv2.imwrite(path, image)
        inputs.append((photo, path, image))

    detector = cv2.FaceDetectorYN.create(yunet_onnx, "", (320, 320), MIN_SCORE, MAX_OVERLAP, 5000)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    sface = onnxruntime.InferenceSession(sface_onnx, options, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.zeros([d if isinstance(d, int) else 1 for d in i.shape],
                              np.float32 if "float" in i.type else np.int8)
             for i in sface.get_inputs()[1:]}
    main_input = sface.get_inputs()[0].name

    ours = run_photosd(args, [p for _, p, _ in inputs], "--short-side", "100000")
    faces_ref, worst_box, worst_score, missed, extra, crops = 0, 0.0, 0.0, [], [], []
    for photo, path, image in inputs:
        h, w = image.shape[:2]
        detector.setInputSize((w, h))
        found = detector.detect(image)[1]
        found = [] if found is None else found
        mine = ours[path].get("faces", [])
        faces_ref += len(found)
        used = set()
        for row in found:
            box, marks, score = row[:4], row[4:14].reshape(5, 2), float(row[14])
            match = max(range(len(mine)), key=lambda j: iou(box, mine[j]["bbox"]), default=None)
            if match is None or match in used or iou(box, mine[match]["bbox"]) < 0.5:
                # A face at the threshold may fall on either side of it.
                if score - MIN_SCORE > SCORE:
                    missed.append((photo, score))
                continue
            used.add(match)
            face = mine[match]
            diff = max(np.abs(np.array(face["bbox"]) - box).max(),
                       np.abs(np.array(face["landmarks"]) - marks).max())
            worst_box, worst_score = max(worst_box, diff), max(worst_score, abs(face["score"] - score))
            crop = cv2.warpAffine(image, umeyama(marks.astype(np.float64), TEMPLATE), (112, 112))
            crop_path = os.path.join(work, f"crop-{len(crops):03d}.png")
            cv2.imwrite(crop_path, crop)
            rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[None].astype(np.float32)
            reference = sface.run(None, {main_input: rgb, **feeds})[0][0]
            crops.append((crop_path, path, match, reference / np.linalg.norm(reference)))
        extra += [(photo, f["score"]) for j, f in enumerate(mine)
                  if j not in used and f["score"] - MIN_SCORE > SCORE]

    # Originals: the OpenCV faces of the 640 px image, scaled into the frame photosd reports for the photo.
    originals = run_photosd(args, [photo for photo, _, _ in inputs])
    clear, overlaps = 0, []
    for photo, path, image in inputs:
        found = originals[photo]
        frame = found["width"] / image.shape[1]
        detector.setInputSize((image.shape[1], image.shape[0]))
        reference = detector.detect(image)[1]
        for row in [] if reference is None else reference:
            if row[14] < 0.8:
                continue  # a face near the threshold may fall either side of it after another downscaler
            clear += 1
            box = row[:4] * frame
            overlaps.append(max((iou(box, f["bbox"]) for f in found["faces"]), default=0.0))

    aligned = run_photosd(args, [c for c, _, _, _ in crops], "--aligned")
    end_to_end = run_photosd(args, [p for _, p, _ in inputs], "--short-side", "100000", "--embedding")
    cos_aligned = [float(np.dot(aligned[c]["faces"][0]["embedding"], ref)) for c, _, _, ref in crops]
    cos_end = [float(np.dot(end_to_end[p]["faces"][j]["embedding"], ref)) for _, p, j, ref in crops]

    print(f"photos: {len(inputs)}; faces found by OpenCV's FaceDetectorYN: {faces_ref}; matched by photosd: "
          f"{len(crops)}")
    print(f"detection: worst box/landmark difference {worst_box:.2e} px (tolerance {BOX_PX:.0e}), worst score "
          f"difference {worst_score:.2e} (tolerance {SCORE:.0e}); missed {len(missed)}, extra {len(extra)}")
    print(f"embedding of the same aligned crop (onnxruntime on the original SFace vs photosd): 1 - cosine at most "
          f"{1 - min(cos_aligned):.2e}, mean {1 - np.mean(cos_aligned):.2e} (tolerance {1 - COSINE_ALIGNED:.0e})")
    print(f"end to end (photosd's own alignment vs OpenCV landmarks + warpAffine): 1 - cosine at most "
          f"{1 - min(cos_end):.2e}, mean {1 - np.mean(cos_end):.2e} (tolerance {1 - COSINE_END_TO_END:.0e})")
    print(f"originals (photosd's decoding and scaling): {sum(o >= ORIGINAL_IOU for o in overlaps)} of the {clear} "
          f"faces OpenCV finds with a score of at least 0.8 found at the same place (IoU ≥ {ORIGINAL_IOU}); "
          f"median IoU {np.median(overlaps):.3f}")
    failures = []
    if clear < 20 or sum(o >= ORIGINAL_IOU for o in overlaps) < 0.97 * clear:
        failures.append("faces of the originals are missed or misplaced")
    if len(crops) < 20:
        failures.append(f"only {len(crops)} faces compared")
    if missed or extra:
        failures.append(f"faces missed {missed[:5]} or extra {extra[:5]}")
    if worst_box > BOX_PX or worst_score > SCORE:
        failures.append("detections differ")
    if min(cos_aligned) < COSINE_ALIGNED:
        failures.append("embeddings of the same crop differ")
    if min(cos_end) < COSINE_END_TO_END:
        failures.append("end-to-end embeddings differ")
    for failure in failures:
        print(f"FAILED: {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
