#!/usr/bin/env python3
"""photosd's subject classifier against a reference implementation of the same weights, on the corpus' photos.

The reference is EfficientNet-Lite0 written as a plain ONNX graph from the original PyTorch file (the registry
package's `.pth`, read by models/fetch.py's legacy reader): each convolution, its batch norm unfolded (eps 1e-3),
ReLU6 as Clip, TensorFlow "SAME" padding as explicit pads, the residual adds, global average pooling and the fully
connected layer, run by onnxruntime. photosd folds the batch norms, runs its own convolution kernels in candle,
and decodes and resizes with its own code.

- Same pixels: each photo is brought to the network's 224x224 square here (the middle square, cv2 INTER_AREA),
  saved as PNG, and given to both. Every class photosd keeps must have the reference's score within SCORE, and
  the best class must be the same.
- Originals: `photosd subjects` on the photos themselves (its own decoding, orientation and resizing) must give
  the reference's best class for most photos (the two resizers differ, so a close second may swap).

Usage: tests/ml/subjects_reference.py --photosd BIN --models DIR --corpus DIR [--json OUT]
Prints the figures; exits 1 when a tolerance is broken, 2 when something needed is missing.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models"))
from fetch import legacy_pth  # noqa: E402  (the one reader of the legacy PyTorch format)

SIDE = 224
STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1]
SCORE = 2e-3          # the same float32 network on the same pixels, two implementations
SAME_TOP1_ORIGINALS = 0.85


def reference_graph(weights):
    """EfficientNet-Lite0 as ONNX, from the unconverted state dict."""
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    def conv(x, conv_name, bn, stride, size, depthwise=False, relu6=True):
        w = weights[conv_name + ".weight"]
        k = w.shape[2]
        out = -(-size // stride)
        total = max((out - 1) * stride + k - size, 0)
        before, after = total // 2, total - total // 2
        y = conv_name + ":conv"
        nodes.append(helper.make_node("Conv", [x, const(conv_name + ".weight", w)], [y], strides=[stride, stride],
                                      pads=[before, before, after, after], group=w.shape[0] if depthwise else 1))
        z = bn + ":bn"
        nodes.append(helper.make_node("BatchNormalization",
                                      [y] + [const(f"{bn}.{p}", weights[f"{bn}.{p}"])
                                             for p in ("weight", "bias", "running_mean", "running_var")],
                                      [z], epsilon=1e-3))
        if relu6:
            nodes.append(helper.make_node("Clip", [z, const(bn + ":lo", 0.0), const(bn + ":hi", 6.0)], [bn + ":relu6"]))
            z = bn + ":relu6"
        return z, out

    x, size = conv("input", "_conv_stem", "_bn0", 2, SIDE)
    channels, stage, previous = weights["_conv_stem.weight"].shape[0], 0, None
    n = 0
    while f"_blocks.{n}._project_conv.weight" in weights:
        b = f"_blocks.{n}."
        out_channels = weights[b + "_project_conv.weight"].shape[0]
        if previous is not None and previous != out_channels:
            stage += 1
        stride = STAGE_STRIDES[stage] if previous != out_channels else 1
        previous, block_input = out_channels, x
        if b + "_expand_conv.weight" in weights:
            x, _ = conv(x, b + "_expand_conv", b + "_bn0", 1, size)
        x, new_size = conv(x, b + "_depthwise_conv", b + "_bn1", stride, size, depthwise=True)
        x, _ = conv(x, b + "_project_conv", b + "_bn2", 1, new_size, relu6=False)
        if stride == 1 and out_channels == channels:
            nodes.append(helper.make_node("Add", [x, block_input], [b + ":sum"]))
            x = b + ":sum"
        channels, size, n = out_channels, new_size, n + 1
    x, _ = conv(x, "_conv_head", "_bn1", 1, size)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["flat"]))
    nodes.append(helper.make_node("Gemm", ["flat", const("fc.weight", weights["_fc.weight"]),
                                           const("fc.bias", weights["_fc.bias"])], ["logits"], transB=1))
    graph = helper.make_graph(nodes, "efficientnet_lite0",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 3, SIDE, SIDE])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [None, 1000])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def square(path):
    """The network's square of a photo, RGB: upright (cv2 applies EXIF orientation), the middle, 224x224."""
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return None
    h, w = image.shape[:2]
    s = min(h, w)
    image = image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    return cv2.resize(image, (SIDE, SIDE), interpolation=cv2.INTER_AREA)[:, :, ::-1]


def softmax(logits):
    e = np.exp(logits - logits.max())
    return e / e.sum()


def run_photosd(args, files):
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=args.models)
    out = subprocess.run([args.photosd, "subjects", *files], capture_output=True, text=True, env=env)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or len(lines) != len(files):
        sys.exit(f"photosd subjects failed ({out.returncode}): {out.stderr[-2000:]}")
    return {line["file"]: line for line in lines}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photosd", required=True)
    ap.add_argument("--models", required=True, help="the folder models/fetch.py --keep-originals wrote")
    ap.add_argument("--corpus", required=True, help="the corpus' subjects folder")
    args = ap.parse_args()
    original = os.path.join(args.models, "efficientnet_lite0.pth")
    for needed in (original, args.photosd):
        if not os.path.exists(needed):
            print(f"subjects reference: {needed} is missing (tests/setup.sh makes it)", file=sys.stderr)
            sys.exit(2)
    photos = sorted(p for p in glob.glob(os.path.join(args.corpus, "*", "*"))
                    if p.lower().endswith((".jpg", ".jpeg", ".png")))
    if len(photos) < 40:
        sys.exit(f"subjects reference: only {len(photos)} photos under {args.corpus}")
    with open(original, "rb") as f:
        graph = reference_graph(legacy_pth(f.read()))
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    work = tempfile.mkdtemp(prefix="photosd-subjects-ref-")
    os.chmod(work, 0o755)
    inputs = []
    for k, photo in enumerate(photos):
        pixels = square(photo)
        if pixels is None:
            continue
        path = os.path.join(work, f"{k:03d}.png")
        cv2.imwrite(path, pixels[:, :, ::-1])
        inputs.append((photo, path, pixels))

    started = time.process_time()
    reference = {}
    for photo, path, pixels in inputs:
        x = ((pixels.astype(np.float32) - 127.5) / 127.5).transpose(2, 0, 1)[None]
        reference[photo] = softmax(session.run(None, {"input": x})[0][0])
    reference_cpu = (time.process_time() - started) / len(inputs)

    same = run_photosd(args, [p for _, p, _ in inputs])
    worst, top1_same, failures = 0.0, 0, []
    for photo, path, _ in inputs:
        ref, ours = reference[photo], same[path]["classes"]
        for c in ours:
            worst = max(worst, abs(c["score"] - float(ref[c["class"]])))
        best = int(np.argmax(ref))
        # Two classes within the tolerance of each other may come in either order.
        if ours and (ours[0]["class"] == best or ref[ours[0]["class"]] >= ref[best] - SCORE):
            top1_same += 1
        else:
            failures.append(f"{os.path.relpath(photo, args.corpus)}: best class {ours[0]['class'] if ours else None},"
                            f" the reference's {best} ({ref[best]:.3f})")
    originals = run_photosd(args, [photo for photo, _, _ in inputs])
    top1_originals = sum(1 for photo, _, _ in inputs
                         if originals[photo]["classes"]
                         and originals[photo]["classes"][0]["class"] == int(np.argmax(reference[photo])))

    n = len(inputs)
    print(f"subjects reference: {n} photos; same pixels: largest score difference {worst:.2e} (tolerance {SCORE}),"
          f" same best class {top1_same}/{n}; originals (photosd decodes and resizes): same best class"
          f" {top1_originals}/{n} (at least {SAME_TOP1_ORIGINALS:.0%}); reference CPU {reference_cpu * 1000:.1f} ms"
          " a photo (onnxruntime, 1 thread)")
    for line in failures:
        print(f"  differs: {line}")
    broken = worst > SCORE or top1_same < n or top1_originals < SAME_TOP1_ORIGINALS * n
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
