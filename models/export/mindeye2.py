"""Exports a MindEye2 checkpoint (MedARC-AI/MindEyeV2) as the voxel side of a shared-subject bundle (fmri_decoder.json
format_version 2, docs/model-bundle.md):

  subjects/subjNN/adapter_weight.npy   float32 [voxels, 4096]: the subject's "ridge" Linear, transposed (y = x·W + b)
  subjects/subjNN/adapter_bias.npy     float32 [4096]
  voxel_encoders/backbone.onnx (+ .onnx.data)
                                       shared [batch, 4096] → image_tokens [batch, 256, 1664] (backbone_linear: the
                                       OpenCLIP bigG tokens the prior / unCLIP are conditioned on), image_embedding
                                       [batch, 256·1664] (clip_proj, flattened: retrieval), latent [batch, 4, 28, 28]
                                       (the blurry branch: an SD-VAE latent × 0.18215)
  voxel_encoders/entries.json, mindeye2_subjects.json
                                       the fmri_decoder.json entries (voxel_encoders, subjects) for finish_bundle

    python3 -m models.export.mindeye2 --checkpoint train_logs/final_multisubject_subj01/last.pth \\
        --subjects subj02:14278,subj03:15226,subj04:13153,subj05:13039,subj06:17907,subj07:12682,subj08:14386 \\
        --out bundles/mindeye2
    python3 -m models.export.mindeye2 --random-full-size --out artifacts/mindeye2-random --verify

The backbone graph is written node by node from the checkpoint's tensors (onnx.helper), each weight streamed into one
external-data file, so the 1.9-billion-parameter backbone (7.6 GB in float32) exports in the memory of its largest
tensor instead of the two or three copies a traced export holds; no MindEye2 source is needed. Its forward pass is
MindEye2's BrainNetwork with seq_len 1 (models.py of MindEyeV2): four MLP-Mixer blocks (LayerNorm → Linear → GELU →
Linear, residual, over the hidden axis; the same over the length-1 sequence axis), backbone_linear, clip_proj (a
3-layer MLP projector), blin1 → GroupNorm(1, 64) → the diffusers Decoder 64 → 4 channels (block_out 32, 64, 128).
Approximate: the Decoder's mid-block attention is left out (its two resnets are kept) and the blurry branch's ConvNeXt
map projector (training only) is not exported; dropout is inference-time identity. The diffusion prior (dalle2's
PriorNetwork, 1664-d, depth 6) needs MindEye2's own classes and is not exported by this script (see
docs/real-models.md).

--random-full-size builds random weights with the published shapes (15,724 voxels → 4096, 256 × 1664 tokens) and
--verify runs the exported graph with this repository's ONNX interpreter (models/forge/zoo/onnx_eval.py) against an
independent PyTorch forward pass of the same weights, and writes the input and PyTorch's outputs as .npy beside the
bundle for the library's own check (the command is printed).
"""
from __future__ import annotations

import argparse
import time
import zlib
from pathlib import Path

import numpy as np

H, TOKENS, CLIP, BLURRY = 4096, 256, 1664, (4, 28, 28)
LATENT_SCALE = 0.18215
DECODER_CHANNELS = (32, 64, 128)
GROUPS = 32


# ---------------------------------------------------------------- the tensors a MindEye2 backbone has
def backbone_shapes(h: int = H, blocks: int = 4, tokens: int = TOKENS, clip: int = CLIP) -> dict[str, tuple]:
    """name → shape of every backbone tensor exported, with MindEye2's state-dict names (prefix 'backbone.')."""
    s: dict[str, tuple] = {}
    lin = lambda name, i, o: s.update({f"{name}.weight": (o, i), f"{name}.bias": (o,)})
    norm = lambda name, c: s.update({f"{name}.weight": (c,), f"{name}.bias": (c,)})
    for b in range(blocks):
        norm(f"mixer_blocks1.{b}.0", h)
        lin(f"mixer_blocks1.{b}.1.0", h, h)
        lin(f"mixer_blocks1.{b}.1.3", h, h)
        norm(f"mixer_blocks2.{b}.0", 1)
        lin(f"mixer_blocks2.{b}.1.0", 1, 1)
        lin(f"mixer_blocks2.{b}.1.3", 1, 1)
    lin("backbone_linear", h, tokens * clip)
    for i, k in ((0, 2), (3, 5), (6, 8)):
        norm(f"clip_proj.{i}", clip)
        lin(f"clip_proj.{k}", clip, clip)
    lin("blin1", h, 64 * 7 * 7)
    norm("bnorm", 64)
    top = DECODER_CHANNELS[-1]
    s.update({"bupsampler.conv_in.weight": (top, 64, 3, 3), "bupsampler.conv_in.bias": (top,)})
    for r in range(2):
        _resnet(s, f"bupsampler.mid_block.resnets.{r}", top, top)
    chans = list(reversed(DECODER_CHANNELS))
    prev = top
    for u, c in enumerate(chans):
        for r in range(2):
            _resnet(s, f"bupsampler.up_blocks.{u}.resnets.{r}", prev if r == 0 else c, c)
        prev = c
        if u < len(chans) - 1:
            s.update({f"bupsampler.up_blocks.{u}.upsamplers.0.conv.weight": (c, c, 3, 3),
                      f"bupsampler.up_blocks.{u}.upsamplers.0.conv.bias": (c,)})
    norm("bupsampler.conv_norm_out", chans[-1])
    s.update({"bupsampler.conv_out.weight": (4, chans[-1], 3, 3), "bupsampler.conv_out.bias": (4,)})
    return s


def _resnet(s: dict, p: str, cin: int, cout: int) -> None:
    s.update({f"{p}.norm1.weight": (cin,), f"{p}.norm1.bias": (cin,), f"{p}.conv1.weight": (cout, cin, 3, 3), f"{p}.conv1.bias": (cout,),
              f"{p}.norm2.weight": (cout,), f"{p}.norm2.bias": (cout,), f"{p}.conv2.weight": (cout, cout, 3, 3), f"{p}.conv2.bias": (cout,)})
    if cin != cout:
        s.update({f"{p}.conv_shortcut.weight": (cout, cin, 1, 1), f"{p}.conv_shortcut.bias": (cout,)})


# ---------------------------------------------------------------- where the weights come from
def _is_norm(name: str) -> bool:
    """A LayerNorm / GroupNorm tensor of the backbone (by MindEye2's module names)."""
    module = name.rsplit(".", 1)[0]
    parts = module.split(".")
    return ("norm" in module or (len(parts) == 3 and parts[0].startswith("mixer_blocks") and parts[2] == "0")
            or module in {"clip_proj.0", "clip_proj.3", "clip_proj.6"})


class RandomWeights:
    """Seeded random weights of the published shapes, drawn per tensor (the same name gives the same values, whatever
    the order): norms weight 1 / bias 0, Linear/conv weights N(0, 1/fan_in), biases N(0, 0.01)."""

    def __init__(self, shapes: dict[str, tuple], seed: int = 0):
        self.shapes, self.seed = shapes, seed

    def __getitem__(self, name: str) -> np.ndarray:
        shape = self.shapes[name]
        rng = np.random.default_rng([self.seed, zlib.crc32(name.encode())])
        if _is_norm(name):
            return (np.ones if name.endswith("weight") else np.zeros)(shape, np.float32)
        if name.endswith("bias"):
            return (rng.standard_normal(shape, np.float32) * np.float32(0.01))
        fan_in = int(np.prod(shape[1:]))
        out = np.empty(shape, np.float32)
        flat = out.reshape(shape[0], -1)
        for a in range(0, shape[0], 4096):          # in slices: a 425,984 × 4096 matrix is drawn 64 MB at a time
            flat[a:a + 4096] = rng.standard_normal(flat[a:a + 4096].shape, np.float32)
        out *= np.float32(1 / np.sqrt(fan_in))
        return out


class CheckpointWeights:
    """A MindEye2 state dict ('model_state_dict' or the dict itself, keys with or without a 'module.' prefix)."""

    def __init__(self, path: Path):
        import torch

        saved = torch.load(str(path), map_location="cpu")
        state = saved.get("model_state_dict", saved) if isinstance(saved, dict) else saved
        self.state = {k.removeprefix("module."): v for k, v in state.items()}
        self.path = path

    def tensor(self, key: str) -> np.ndarray:
        if key not in self.state:
            raise SystemExit(f"{self.path}: no tensor '{key}' (a MindEye2 MindEyeModule state dict was expected)")
        return self.state[key].float().numpy()

    def __getitem__(self, name: str) -> np.ndarray:
        return self.tensor(f"backbone.{name}")


# ---------------------------------------------------------------- the ONNX graph, written node by node
class GraphWriter:
    """Builds one graph; every weight goes to '<file>.data' at once (offsets aligned to 64 bytes), small constants inline."""

    def __init__(self, path: Path, weights, shapes: dict[str, tuple]):
        self.path, self.weights, self.shapes = path, weights, shapes
        self.nodes, self.inits, self.count = [], [], 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.data = open(path.with_name(path.name + ".data"), "wb")

    def _name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}_{self.count}"

    def init(self, name: str, value: np.ndarray | None = None) -> str:
        from onnx import TensorProto

        a = np.ascontiguousarray(self.weights[name] if value is None else value)
        if value is None and tuple(a.shape) != tuple(self.shapes[name]):
            raise SystemExit(f"backbone.{name}: shape {a.shape}, expected {self.shapes[name]}")
        pad = (-self.data.tell()) % 64
        self.data.write(b"\0" * pad)
        offset = self.data.tell()
        a = a.astype("<f4" if a.dtype.kind == "f" else "<i8", copy=False)
        self.data.write(memoryview(a).cast("B"))             # no copy: the largest tensor is 7 GB
        t = TensorProto()
        t.name = name
        t.data_type = TensorProto.FLOAT if a.dtype.kind == "f" else TensorProto.INT64
        t.dims.extend(a.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.data.name.split("/")[-1]), ("offset", str(offset)), ("length", str(a.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        self.inits.append(t)
        return name

    def const(self, value, hint: str = "c") -> str:
        """A small constant, stored inside the graph: ONNX Runtime's shape inference reads Reshape shapes and the like
        only from inline data (an external one fails the session with 'Cannot parse data from external tensors')."""
        from onnx import numpy_helper

        a = np.asarray(value)
        a = a.astype("<f4" if a.dtype.kind == "f" else "<i8", copy=False)
        self.inits.append(numpy_helper.from_array(a, self._name(hint)))
        return self.inits[-1].name

    def op(self, kind: str, inputs: list[str], hint: str | None = None, **attrs) -> str:
        from onnx import helper

        out = self._name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    # layers
    def linear(self, x: str, p: str) -> str:
        w = self.weights[f"{p}.weight"]
        wt = self.init(f"{p}.weight.T", np.ascontiguousarray(w.T))
        del w
        return self.op("Add", [self.op("MatMul", [x, wt]), self.init(f"{p}.bias")])

    def linear2d(self, x: str, p: str) -> str:
        """A Linear on a 2-D input as Gemm with transB: the weight is stored as the checkpoint holds it, never transposed
        (backbone_linear's weight alone is 7 GB)."""
        return self.op("Gemm", [x, self.init(f"{p}.weight"), self.init(f"{p}.bias")], transB=1)

    def layer_norm(self, x: str, p: str, eps: float = 1e-5) -> str:
        return self.op("LayerNormalization", [x, self.init(f"{p}.weight"), self.init(f"{p}.bias")], axis=-1, epsilon=eps)

    def gelu(self, x: str) -> str:
        erf = self.op("Erf", [self.op("Div", [x, self.const(np.float32(np.sqrt(2.0)))])])
        return self.op("Mul", [self.op("Mul", [x, self.op("Add", [erf, self.const(np.float32(1))])]), self.const(np.float32(0.5))])

    def silu(self, x: str) -> str:
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def group_norm(self, x: str, p: str, groups: int, channels: int, eps: float = 1e-6) -> str:
        g = self.op("Reshape", [x, self.const(np.array([0, groups, -1], np.int64))])
        n = self.op("InstanceNormalization", [g, self.const(np.ones(groups, np.float32)), self.const(np.zeros(groups, np.float32))],
                    epsilon=eps)
        back = self.op("Reshape", [n, self.op("Shape", [x])])
        w = self.init(f"{p}.weight.c11", self.weights[f"{p}.weight"].reshape(channels, 1, 1))
        b = self.init(f"{p}.bias.c11", self.weights[f"{p}.bias"].reshape(channels, 1, 1))
        return self.op("Add", [self.op("Mul", [back, w]), b])

    def conv(self, x: str, p: str, k: int = 3) -> str:
        pad = k // 2
        return self.op("Conv", [x, self.init(f"{p}.weight"), self.init(f"{p}.bias")], pads=[pad] * 4, kernel_shape=[k, k])

    def resnet(self, x: str, p: str, cin: int, cout: int) -> str:
        h = self.conv(self.silu(self.group_norm(x, f"{p}.norm1", GROUPS, cin)), f"{p}.conv1")
        h = self.conv(self.silu(self.group_norm(h, f"{p}.norm2", GROUPS, cout)), f"{p}.conv2")
        short = self.conv(x, f"{p}.conv_shortcut", 1) if cin != cout else x
        return self.op("Add", [short, h])

    def save(self, inputs, outputs) -> None:
        import onnx
        from onnx import helper

        self.data.close()
        graph = helper.make_graph(self.nodes, "mindeye2_backbone", inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="models.export.mindeye2")
        model.ir_version = 8
        onnx.save_model(model, str(self.path))


def write_backbone(path: Path, weights, shapes: dict, h: int = H, blocks: int = 4, tokens: int = TOKENS, clip: int = CLIP) -> None:
    from onnx import TensorProto, helper

    g = GraphWriter(path, weights, shapes)
    x = g.op("Unsqueeze", ["shared", g.const(np.array([1], np.int64))], "x")              # [B, 1, h]
    r1 = x
    r2 = g.op("Transpose", [x], perm=[0, 2, 1])                                            # [B, h, 1]
    for b in range(blocks):
        y = g.layer_norm(x, f"mixer_blocks1.{b}.0")
        y = g.linear(g.gelu(g.linear(y, f"mixer_blocks1.{b}.1.0")), f"mixer_blocks1.{b}.1.3")
        x = g.op("Add", [y, r1])
        r1 = x
        xt = g.op("Transpose", [x], perm=[0, 2, 1])
        y = g.layer_norm(xt, f"mixer_blocks2.{b}.0")
        y = g.linear(g.gelu(g.linear(y, f"mixer_blocks2.{b}.1.0")), f"mixer_blocks2.{b}.1.3")
        x2 = g.op("Add", [y, r2])
        r2 = x2
        x = g.op("Transpose", [x2], perm=[0, 2, 1])
    flat = g.op("Reshape", [x, g.const(np.array([0, -1], np.int64))])                      # [B, h]
    tok = g.op("Reshape", [g.linear2d(flat, "backbone_linear"), g.const(np.array([0, tokens, clip], np.int64))])
    c = tok
    for i, k in ((0, 2), (3, 5), (6, 8)):
        c = g.linear(g.gelu(g.layer_norm(c, f"clip_proj.{i}")), f"clip_proj.{k}")
    emb = g.op("Reshape", [c, g.const(np.array([0, -1], np.int64))])
    bl = g.op("Reshape", [g.linear2d(flat, "blin1"), g.const(np.array([0, 64, 7, 7], np.int64))])
    bl = g.group_norm(bl, "bnorm", 1, 64, eps=1e-5)
    top = DECODER_CHANNELS[-1]
    y = g.conv(bl, "bupsampler.conv_in")
    for r in range(2):
        y = g.resnet(y, f"bupsampler.mid_block.resnets.{r}", top, top)
    chans = list(reversed(DECODER_CHANNELS))
    prev = top
    for u, c_ in enumerate(chans):
        for r in range(2):
            y = g.resnet(y, f"bupsampler.up_blocks.{u}.resnets.{r}", prev if r == 0 else c_, c_)
        prev = c_
        if u < len(chans) - 1:
            y = g.op("Resize", [y, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest",
                     coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            y = g.conv(y, f"bupsampler.up_blocks.{u}.upsamplers.0.conv")
    y = g.silu(g.group_norm(y, "bupsampler.conv_norm_out", GROUPS, chans[-1]))
    latent = g.conv(y, "bupsampler.conv_out")
    names = {tok: "image_tokens", emb: "image_embedding", latent: "latent"}
    for node in g.nodes:
        node.output[:] = [names.get(o, o) for o in node.output]
        node.input[:] = [names.get(i, i) for i in node.input]
    F = TensorProto.FLOAT
    g.save([helper.make_tensor_value_info("shared", F, ["batch", h])],
           [helper.make_tensor_value_info("image_tokens", F, ["batch", tokens, clip]),
            helper.make_tensor_value_info("image_embedding", F, ["batch", tokens * clip]),
            helper.make_tensor_value_info("latent", F, ["batch", *BLURRY])])


# ---------------------------------------------------------------- an independent PyTorch forward pass
def torch_backbone(weights, x, blocks: int = 4, tokens: int = TOKENS, clip: int = CLIP):
    """MindEye2's BrainNetwork.forward (seq_len 1, inference) in PyTorch functional calls, from the same tensors."""
    import torch
    import torch.nn.functional as F

    t = lambda n: torch.from_numpy(weights[n])
    lin = lambda v, p: F.linear(v, t(f"{p}.weight"), t(f"{p}.bias"))
    ln = lambda v, p: F.layer_norm(v, v.shape[-1:], t(f"{p}.weight"), t(f"{p}.bias"))
    x = torch.from_numpy(x)[:, None, :]
    r1, r2 = x, x.permute(0, 2, 1)
    for b in range(blocks):
        x = lin(F.gelu(lin(ln(x, f"mixer_blocks1.{b}.0"), f"mixer_blocks1.{b}.1.0")), f"mixer_blocks1.{b}.1.3") + r1
        r1 = x
        x = x.permute(0, 2, 1)
        x = lin(F.gelu(lin(ln(x, f"mixer_blocks2.{b}.0"), f"mixer_blocks2.{b}.1.0")), f"mixer_blocks2.{b}.1.3") + r2
        r2 = x
        x = x.permute(0, 2, 1)
    flat = x.reshape(len(x), -1)
    tok = lin(flat, "backbone_linear").reshape(len(x), tokens, clip)
    c = tok
    for i, k in ((0, 2), (3, 5), (6, 8)):
        c = lin(F.gelu(ln(c, f"clip_proj.{i}")), f"clip_proj.{k}")
    b = F.group_norm(lin(flat, "blin1").reshape(len(x), 64, 7, 7), 1, t("bnorm.weight"), t("bnorm.bias"))
    conv = lambda v, p: F.conv2d(v, t(f"{p}.weight"), t(f"{p}.bias"), padding=t(f"{p}.weight").shape[-1] // 2)
    gn = lambda v, p: F.group_norm(v, GROUPS, t(f"{p}.weight"), t(f"{p}.bias"), eps=1e-6)

    def resnet(v, p):
        h = conv(F.silu(gn(v, f"{p}.norm1")), f"{p}.conv1")
        h = conv(F.silu(gn(h, f"{p}.norm2")), f"{p}.conv2")
        return (conv(v, f"{p}.conv_shortcut") if f"{p}.conv_shortcut.weight" in weights.shapes else v) + h

    y = conv(b, "bupsampler.conv_in")
    for r in range(2):
        y = resnet(y, f"bupsampler.mid_block.resnets.{r}")
    for u in range(len(DECODER_CHANNELS)):
        for r in range(2):
            y = resnet(y, f"bupsampler.up_blocks.{u}.resnets.{r}")
        if u < len(DECODER_CHANNELS) - 1:
            y = conv(F.interpolate(y, scale_factor=2.0, mode="nearest"), f"bupsampler.up_blocks.{u}.upsamplers.0.conv")
    y = conv(F.silu(gn(y, "bupsampler.conv_norm_out")), "bupsampler.conv_out")
    return {"image_tokens": tok.numpy(), "image_embedding": c.reshape(len(x), -1).numpy(), "latent": y.numpy()}


# ---------------------------------------------------------------- the command
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", type=Path, help="a MindEye2 checkpoint (MindEyeModule state dict: ridge.linears.N, backbone.*)")
    p.add_argument("--subjects", default="subj01:15724",
                   help="comma-separated subjNN:voxels in the order of the checkpoint's ridge.linears (its num_voxels_list)")
    p.add_argument("--random-full-size", action="store_true", help="random weights with MindEye2's published shapes instead of --checkpoint")
    p.add_argument("--hidden", type=int, default=H, help="hidden width (4096 paper models, 1024 the light model)")
    p.add_argument("--out", required=True, type=Path, help="the bundle folder (the voxel side is written into it)")
    p.add_argument("--verify", action="store_true",
                   help="run the exported backbone with the repository's ONNX interpreter against PyTorch on 2 random inputs; "
                        "write them and PyTorch's outputs as verify_*.npy beside the bundle")
    a = p.parse_args(argv)
    if (a.checkpoint is None) == (not a.random_full_size):
        p.error("give exactly one of --checkpoint and --random-full-size")
    return a


def main(argv=None) -> None:
    a = parse_args(argv)
    from .bundle_files import add_entries, sha256, write_json

    t0 = time.time()
    subjects = [(s.split(":")[0], int(s.split(":")[1])) for s in a.subjects.split(",")]
    shapes = backbone_shapes(a.hidden)
    ckpt = None if a.random_full_size else CheckpointWeights(a.checkpoint)
    weights = RandomWeights(shapes) if ckpt is None else ckpt
    weights.shapes = shapes
    entries = {}
    for i, (name, voxels) in enumerate(subjects):
        d = a.out / "subjects" / name
        d.mkdir(parents=True, exist_ok=True)
        if ckpt is None:
            w = RandomWeights({"ridge.weight": (a.hidden, voxels), "ridge.bias": (a.hidden,)}, seed=i + 1)
            weight, bias = w["ridge.weight"], w["ridge.bias"]
        else:
            weight, bias = ckpt.tensor(f"ridge.linears.{i}.weight"), ckpt.tensor(f"ridge.linears.{i}.bias")
        if weight.shape != (a.hidden, voxels):
            raise SystemExit(f"ridge.linears.{i}.weight: shape {weight.shape}, expected ({a.hidden}, {voxels}) for {name}")
        np.save(d / "adapter_weight.npy", np.ascontiguousarray(weight.T, np.float32))
        np.save(d / "adapter_bias.npy", bias.astype(np.float32))
        entries[name] = {"voxel_count": voxels, "masks": {"nsdgeneral": f"subjects/{name}/nsdgeneral.nii.gz"},
                         "adapter": {"weight": f"subjects/{name}/adapter_weight.npy", "bias": f"subjects/{name}/adapter_bias.npy"},
                         "source": "trained"}
        print(f"[{time.time() - t0:6.0f} s] {name}: adapter [{voxels}, {a.hidden}] ({(d / 'adapter_weight.npy').stat().st_size / 1e6:.0f} MB)")
    path = a.out / "voxel_encoders" / "backbone.onnx"
    write_backbone(path, weights, shapes, a.hidden)
    size = path.stat().st_size + path.with_name(path.name + ".data").stat().st_size
    print(f"[{time.time() - t0:6.0f} s] {path}: {sum(int(np.prod(s)) for s in shapes.values()) / 1e9:.3f} billion parameters, "
          f"{size / 1e9:.2f} GB")
    write_json(a.out / "voxel_encoders" / "mindeye2_subjects.json",
               {"format_version": 2, "repetition_averaging": "outputs", "subjects": entries,
                "note": "copy each subject's nsdgeneral.nii.gz into subjects/<id>/; shared_space targets come from the data"})
    add_entries(a.out, [
        {"name": "backbone_tokens", "file": "voxel_encoders/backbone.onnx", "role": "image_tokens", "input": "shared_space"},
        {"name": "backbone_lowlevel", "file": "voxel_encoders/backbone.onnx", "role": "vae_latent", "input": "shared_space"}])
    if a.verify:
        verify(a.out, path, weights, a.hidden, t0)
    print(f"[{time.time() - t0:6.0f} s] done; backbone.onnx sha256 {sha256(path)}")


def verify(out: Path, path: Path, weights, hidden: int, t0: float) -> None:
    import torch

    from ..forge.zoo.onnx_eval import Graph

    torch.set_num_threads(1)
    x = np.random.default_rng(1).standard_normal((2, hidden)).astype(np.float32)
    want = torch_backbone(weights, x)
    print(f"[{time.time() - t0:6.0f} s] PyTorch forward done")
    got = Graph(path)(shared=x)
    print(f"[{time.time() - t0:6.0f} s] ONNX interpreter forward done")
    np.save(out / "verify_shared.npy", x)
    for name, ref in want.items():
        np.save(out / f"verify_{name}.npy", ref)
        err = float(np.max(np.abs(got[name] - ref)))
        scale = float(np.max(np.abs(ref)))
        print(f"  {name} {tuple(ref.shape)}: max |ONNX − PyTorch| = {err:.3g} (max |PyTorch| {scale:.3g})")
        if got[name].shape != ref.shape or err > 1e-3 * max(1.0, scale):
            raise SystemExit(f"{path}: output {name} differs from PyTorch")
    print("The library's check of the same graph (ONNX Runtime; docs/real-models.md, MindEye2):\n"
          f"  python3 -m models.export.finish_bundle --bundle {out}\n"
          f"  FMRI2IMG_MINDEYE2_BUNDLE={out} dotnet test tests/FmriToImage.Tests -c Release --filter FullyQualifiedName~MindEye2FullSizeTests")


if __name__ == "__main__":
    main()
