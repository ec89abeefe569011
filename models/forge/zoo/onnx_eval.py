"""A small ONNX interpreter over PyTorch tensors, for the few operators the zoo's exported graphs use.

onnxruntime is not installed on Debian's Python here, yet the shared-subject forge (models/forge/shared.py) needs the
committed demo graphs' outputs (the tiny CLIP's image tokens and the VAE encoder's latents are the targets the shared
model is trained on) and models/export/mindeye2.py needs an independent forward pass of what it exported. This runs a
graph node by node in float32 (float64 where asked); it supports exactly the operators listed in OPS and refuses
anything else by name.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def _attr(node, name, default=None):
    import onnx

    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _conv(node, x, w, b=None):
    pads = _attr(node, "pads", [0, 0, 0, 0])
    strides = _attr(node, "strides", [1, 1])
    dil = _attr(node, "dilations", [1, 1])
    group = _attr(node, "group", 1)
    if pads[0] != pads[2] or pads[1] != pads[3]:
        x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
        pads = [0, 0, 0, 0]
    return F.conv2d(x, w, b, stride=strides, padding=(pads[0], pads[1]), dilation=dil, groups=group)


def _instance_norm(node, x, scale, bias):
    eps = _attr(node, "epsilon", 1e-5)
    mean = x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
    var = ((x - mean) ** 2).mean(dim=tuple(range(2, x.dim())), keepdim=True)
    shape = (1, -1) + (1,) * (x.dim() - 2)
    return (x - mean) / torch.sqrt(var + eps) * scale.reshape(shape) + bias.reshape(shape)


def _layer_norm(node, x, scale, bias=None):
    axis = _attr(node, "axis", -1)
    eps = _attr(node, "epsilon", 1e-5)
    dims = tuple(range(axis % x.dim(), x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps) * scale
    return y if bias is None else y + bias


def _slice(node, x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else axes.tolist()
    steps = [1] * len(axes) if steps is None else steps.tolist()
    index = [slice(None)] * x.dim()
    for a, s, e, st in zip(axes, starts.tolist(), ends.tolist(), steps):
        n = x.shape[a]
        s = max(min(s + n if s < 0 else s, n), 0)
        e = max(min(e + n if e < 0 else e, n), 0)
        index[a] = slice(s, e, st)
    return x[tuple(index)]


def _resize(node, x, roi=None, scales=None, sizes=None):
    if _attr(node, "mode", b"nearest") != b"nearest" or _attr(node, "coordinate_transformation_mode") != b"asymmetric":
        raise ValueError(f"Resize {node.name}: only nearest / asymmetric is supported")
    size = sizes.tolist()[2:] if sizes is not None and sizes.numel() else [
        int(d * s) for d, s in zip(x.shape[2:], scales.tolist()[2:])]
    return F.interpolate(x, size=size, mode="nearest")


def _reshape(x, shape):
    shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape.tolist())]
    return x.reshape(shape)


def _gemm(node, a, b, c=None):
    if _attr(node, "transA", 0):
        a = a.T
    if _attr(node, "transB", 0):
        b = b.T
    y = _attr(node, "alpha", 1.0) * (a @ b)
    return y if c is None else y + _attr(node, "beta", 1.0) * c


def _constant(node):
    import onnx.numpy_helper

    return torch.from_numpy(onnx.numpy_helper.to_array(_attr(node, "value")).copy())


def _unsqueeze(x, axes):
    for a in sorted(a % (x.dim() + len(axes)) for a in axes.tolist()):
        x = x.unsqueeze(a)
    return x


def _reduce_mean(node, x, axes=None):
    axes = _attr(node, "axes") if axes is None else axes.tolist()
    return x.mean(dim=tuple(axes), keepdim=bool(_attr(node, "keepdims", 1)))


_INT = torch.int64
_CAST = {1: torch.float32, 6: torch.int32, 7: torch.int64, 9: torch.bool, 11: torch.float64}

OPS = {
    "Add": lambda n, a, b: a + b,
    "Sub": lambda n, a, b: a - b,
    "Mul": lambda n, a, b: a * b,
    "Div": lambda n, a, b: a / b if a.is_floating_point() else torch.div(a, b, rounding_mode="trunc"),
    "Pow": lambda n, a, b: a ** b,
    "Sqrt": lambda n, a: torch.sqrt(a),
    "Cos": lambda n, a: torch.cos(a),
    "Sin": lambda n, a: torch.sin(a),
    "MatMul": lambda n, a, b: a @ b,
    "Gemm": _gemm,
    "Sigmoid": lambda n, a: torch.sigmoid(a),
    "Tanh": lambda n, a: torch.tanh(a),
    "Relu": lambda n, a: torch.relu(a),
    "Erf": lambda n, a: torch.erf(a),
    "Softmax": lambda n, a: torch.softmax(a, dim=_attr(n, "axis", -1)),
    "Conv": _conv,
    "InstanceNormalization": _instance_norm,
    "LayerNormalization": _layer_norm,
    "ReduceMean": _reduce_mean,
    "Resize": _resize,
    "Reshape": lambda n, x, s: _reshape(x, s),
    "Transpose": lambda n, x: x.permute(*_attr(n, "perm", list(range(x.dim()))[::-1])),
    "Shape": lambda n, x: torch.tensor(x.shape, dtype=_INT),
    "Gather": lambda n, x, i: torch.index_select(x, _attr(n, "axis", 0), i.reshape(-1).long()).reshape(
        x.shape[:_attr(n, "axis", 0) % x.dim()] + i.shape + x.shape[_attr(n, "axis", 0) % x.dim() + 1:]),
    "Unsqueeze": lambda n, x, a: _unsqueeze(x, a),
    "Squeeze": lambda n, x, a=None: x.squeeze() if a is None else x.squeeze(*[int(v) for v in a.tolist()]),
    "Concat": lambda n, *xs: torch.cat(xs, dim=_attr(n, "axis")),
    "Cast": lambda n, x: x.to(_CAST[_attr(n, "to")]),
    "Slice": _slice,
    "ConstantOfShape": lambda n, s: torch.full(tuple(s.tolist()), _constant(n).reshape(-1)[0].item()
                                               if _attr(n, "value") is not None else 0.0),
    "Equal": lambda n, a, b: a == b,
    "Where": lambda n, c, a, b: torch.where(c, a, b),
    "Expand": lambda n, x, s: x * torch.ones(tuple(s.tolist()), dtype=x.dtype),
    "Flatten": lambda n, x: x.reshape(int(np.prod(x.shape[:_attr(n, "axis", 1)])), -1),
    "Identity": lambda n, x: x,
}


def _external(path: Path, t) -> np.ndarray:
    """An external-data initializer, memory-mapped read-only (a 7 GB weight is paged in, not copied)."""
    import warnings

    import onnx

    info = {e.key: e.value for e in t.external_data}
    dtype = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64}[t.data_type]
    arr = np.memmap(path.parent / info["location"], dtype=dtype, mode="r", offset=int(info.get("offset", 0)), shape=tuple(t.dims))
    warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
    return arr


class Graph:
    """One ONNX file, runnable: Graph(path)(name=array, ...) -> {output name: float32 numpy array}."""

    def __init__(self, path: str | Path, dtype: torch.dtype = torch.float32):
        import onnx
        import onnx.numpy_helper

        self.model = onnx.load(str(path), load_external_data=False)
        self.dtype = dtype
        self.init = {}
        for t in self.model.graph.initializer:
            a = torch.from_numpy(_external(Path(path), t) if t.data_location == onnx.TensorProto.EXTERNAL
                                 else onnx.numpy_helper.to_array(t).copy())
            self.init[t.name] = a.to(dtype) if a.is_floating_point() else a
        unknown = sorted({n.op_type for n in self.model.graph.node} - set(OPS) - {"Constant"})
        if unknown:
            raise ValueError(f"{path}: operators not supported by this interpreter: {', '.join(unknown)}")
        self.outputs = [o.name for o in self.model.graph.output]
        self.inputs = [i.name for i in self.model.graph.input if i.name not in self.init]

    @torch.no_grad()
    def __call__(self, **feeds: np.ndarray) -> dict[str, np.ndarray]:
        env = dict(self.init)
        for k, v in feeds.items():
            t = torch.from_numpy(np.ascontiguousarray(v))
            env[k] = t.to(self.dtype) if t.is_floating_point() else t
        for node in self.model.graph.node:
            if node.op_type == "Constant":
                c = _constant(node)
                env[node.output[0]] = c.to(self.dtype) if c.is_floating_point() else c
                continue
            args = [env[i] if i else None for i in node.input]
            while args and args[-1] is None:
                args.pop()
            out = OPS[node.op_type](node, *args)
            env[node.output[0]] = out
        return {k: env[k].to(torch.float32).numpy() if env[k].is_floating_point() else env[k].numpy()
                for k in self.outputs}


def run_batched(graph: Graph, name: str, x: np.ndarray, size: int = 256) -> dict[str, np.ndarray]:
    """Runs graph over x in batches along axis 0 and concatenates every output."""
    parts = [graph(**{name: x[i:i + size]}) for i in range(0, len(x), size)]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
