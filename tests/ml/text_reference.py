#!/usr/bin/env python3
"""photosd's text model (all-MiniLM-L6-v2 in candle) against a reference implementation of the same weights.

The reference is the BERT encoder written out in numpy from the model's safetensors (embeddings, 6 layers of
12-head self-attention and GELU feed-forward, layer norms with eps 1e-12), with the tokenizer of Hugging Face's
own `tokenizers` package (PyPI) reading the same tokenizer.json, mean-pooled over the tokens and L2-normalised as
sentence-transformers does. photosd runs candle-transformers' BERT and the `tokenizers` crate.

- Every text (the subjects' names and words, and the queries of the search test) must embed within COSINE of the
  reference, with the same tokens.
- The queries of the search test must mean the subject the test expects, in photosd ("seaside" -> beach).

Usage: tests/ml/text_reference.py --photosd BIN --models DIR
Prints the figures; exits 1 when a tolerance is broken, 2 when something needed is missing.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

import numpy as np
from tokenizers import Tokenizer

COSINE = 1 - 1e-4
# Words that are not in the vocabulary, and the subject they mean.
QUERIES = {"seaside": "beach", "feline": "cat", "labrador": "dog", "sailboat": "boat", "automobile": "car",
           "seashore": "beach", "kittens": "cat", "blossoms": "flower", "aircraft carrier": "boat"}


def safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, spec in header.items():
        if name == "__metadata__" or spec["dtype"] != "F32":
            continue
        start, end = spec["data_offsets"]
        out[name] = np.frombuffer(data[start:end], "<f4").reshape(spec["shape"]).astype(np.float64)
    return out


def layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def erf(x):
    """The error function to about 1e-7 (Abramowitz and Stegun 7.1.26), on arrays."""
    t = 1 / (1 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1 - poly * np.exp(-x * x))


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def embed(w, ids, heads=12):
    n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    layer = 0
    while f"encoder.layer.{layer}.attention.self.query.weight" in w:
        p = f"encoder.layer.{layer}."
        lin = lambda t, name: t @ w[p + name + ".weight"].T + w[p + name + ".bias"]  # noqa: E731
        q, k, v = (lin(x, f"attention.self.{m}") for m in ("query", "key", "value"))
        d = q.shape[1] // heads
        split = lambda t: t.reshape(n, heads, d).transpose(1, 0, 2)  # noqa: E731
        scores = split(q) @ split(k).transpose(0, 2, 1) / math.sqrt(d)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ split(v)).transpose(1, 0, 2).reshape(n, heads * d)
        x = layer_norm(x + lin(context, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"])
        hidden = lin(gelu(lin(x, "intermediate.dense")), "output.dense")
        x = layer_norm(x + hidden, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        layer += 1
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def vocabulary_texts(path):
    texts = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            fields = line.rstrip("\n").split("\t")
            texts.append(fields[0])
            texts += [w.strip().lower() for w in fields[3].split(",") if w.strip()]
    return texts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photosd", required=True)
    ap.add_argument("--models", required=True)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    files = [os.path.join(args.models, f) for f in ("minilm.safetensors", "minilm-tokenizer.json")]
    for needed in files + [args.photosd]:
        if not os.path.exists(needed):
            print(f"text reference: {needed} is missing (tests/setup.sh makes it)", file=sys.stderr)
            sys.exit(2)
    weights = safetensors(files[0])
    tokenizer = Tokenizer.from_file(files[1])
    # The file pads to 128 tokens for batches; a text alone is its own tokens.
    tokenizer.no_padding()
    texts = vocabulary_texts(os.path.join(here, "..", "..", "daemon", "src", "ml", "data", "concepts.tsv"))
    texts += list(QUERIES)
    env = dict(os.environ, PHOTOSD_FACES_MODELS_DIR=args.models)
    out = subprocess.run([args.photosd, "subjects", "--embedding", "--query", *texts], capture_output=True,
                         text=True, env=env)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or len(lines) != len(texts):
        sys.exit(f"photosd subjects --query failed ({out.returncode}): {out.stderr[-2000:]}")
    started = time.process_time()
    worst, failures = 1.0, []
    for text, line in zip(texts, lines):
        reference = embed(weights, tokenizer.encode(text).ids)
        cos = float(np.dot(reference, np.asarray(line["embedding"], np.float64)))
        worst = min(worst, cos)
        if cos < COSINE:
            failures.append(f"{text!r}: cosine {cos:.6f} with the reference")
    reference_ms = (time.process_time() - started) / len(texts) * 1000
    ours_ms = sorted(line["ms"] for line in lines)
    for line in lines:
        expected = QUERIES.get(line["query"])
        if expected and line["subject"] != expected:
            failures.append(f"{line['query']!r} means {line['subject']!r} (nearness {line['nearness']}), not {expected!r}")
    print(f"text reference: {len(texts)} texts; lowest cosine with the reference {worst:.6f} (at least {COSINE});"
          f" photosd {ours_ms[len(ours_ms) // 2]:.1f} ms a query (median), {ours_ms[-1]:.1f} ms at most;"
          f" the numpy reference {reference_ms:.1f} ms")
    for line in failures:
        print(f"  {line}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
