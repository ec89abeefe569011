"""ONNX export the way a bundle needs it: the TorchScript exporter, opset 17, dynamic batch axes, weights over the
2 GiB protobuf limit moved into one external-data file beside the graph, and a numeric check against PyTorch."""
from __future__ import annotations

import inspect
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

OPSET = 17
TWO_GIB = 2 ** 31


def export(module: torch.nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str], dynamic_axes: dict) -> None:
    """Exports module(*args) to path. Graphs above 2 GiB keep their weights in '<name>.onnx.data' beside them (ONNX
    Runtime reads it when the session is opened from the file path, which is how the library opens bundles)."""
    import onnx

    path.parent.mkdir(parents=True, exist_ok=True)
    # A new export replaces the old files instead of writing through them: onnx appends external data to an existing
    # '<name>.onnx.data', and a graph hard-linked into several bundles (models/scale) would be rewritten in all of them.
    # (A failed export therefore leaves no graph behind, never a half-old one.)
    data = path.with_name(path.name + ".data")
    for old in (path, data):
        if old.exists():
            old.unlink()
    module.eval()
    options = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False                 # PyTorch 2.9 made the dynamo exporter the default; keep TorchScript
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / path.name
        with torch.no_grad():
            torch.onnx.export(module, args, str(staged), opset_version=OPSET, input_names=inputs, output_names=outputs,
                              dynamic_axes=dynamic_axes, do_constant_folding=True, **options)
        size = sum(f.stat().st_size for f in Path(scratch).iterdir())
        if size < TWO_GIB:
            shutil.move(str(staged), path)
        else:
            # torch writes one file per initializer when the model is large; collect them into one file.
            model = onnx.load(str(staged), load_external_data=True)
            onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                            location=data.name, size_threshold=1024, convert_attribute=False)
    print(f"wrote {path} ({', '.join(inputs)} -> {', '.join(outputs)})")


def can_verify() -> bool:
    """Whether onnxruntime is installed, so verify can compare a graph with PyTorch."""
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


def verify(path: Path, module: torch.nn.Module, feeds: dict[str, torch.Tensor], atol: float = 1e-3, rtol: float = 1e-3,
           expected=None) -> None:
    """Runs the exported graph with onnxruntime (when installed) on feeds and compares every output with PyTorch's:
    module(*feeds), or `expected` when given (outputs computed before the module was changed for export, e.g. diffusers'
    own attention before the fused processor replaced it)."""
    if not can_verify():
        print(f"  (onnxruntime is not installed: {path.name} was not compared with PyTorch; pip install onnxruntime to do so)")
        return
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    if expected is None:
        with torch.no_grad():
            expected = module(*feeds.values())
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    got = session.run(None, {name: value.numpy() for name, value in feeds.items()})
    for name, want, have in zip([o.name for o in session.get_outputs()], expected, got):
        want = want.float().cpu().numpy()
        have = have.astype(np.float32)
        worst = float(np.max(np.abs(want - have) - rtol * np.abs(want))) if want.size else 0.0
        if want.shape != have.shape or worst > atol:
            raise SystemExit(f"{path}: output '{name}' differs from PyTorch (shape {have.shape} vs {want.shape}, "
                             f"max excess error {worst:.3g} over atol {atol})")
        print(f"  {path.name}:{name} {tuple(have.shape)} matches PyTorch")
