"""The networks of a model bundle (e.g. models/demo) as the forge's PyTorch modules (models/forge/zoo/nets.py), with the
bundle's own weights read from the ONNX initializers — the forge keeps no PyTorch checkpoints.

torch.onnx.export keeps a parameter's name unless constant folding rewrote it. Two rewrites occur in these exports,
both resolved through the node that consumes the renamed initializer (node names carry the module scope, e.g.
"/a2/block/a1/q/MatMul" is module "a2.block.a1.q"):
  - Linear applied to a 3-D input exports as MatMul with the transposed weight ("onnx::MatMul_N"): weight = W.T;
  - GroupNorm exports as InstanceNormalization followed by Mul/Add with its affine parameters reshaped to [C, 1, 1]
    ("onnx::Mul_N", "onnx::Add_N"): weight/bias = reshape(-1).
Every module parameter must receive exactly one initializer of exactly its shape, and every floating-point
initializer must be used; anything else fails with the names involved. Architecture sizes come from the bundle's
configs where they are stated correctly and otherwise from the initializer shapes (noted where).
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for models.forge
from models.forge.zoo import nets  # noqa: E402
from models.forge.zoo.export import _First  # noqa: E402
from models.forge.zoo.tokenizers import SPECIAL, Bpe  # noqa: E402


class WeightMappingError(RuntimeError):
    """A module parameter got no initializer, two, or one of another shape; or an initializer went unused."""


def module_scope(node_name: str) -> str:
    """'/a2/block/mlp/mlp.0/MatMul' -> 'a2.block.mlp.0' (a Sequential/ModuleList child's scope repeats its parent's name)."""
    path: list[str] = []
    for part in node_name.split("/")[1:-1]:
        if path and part.startswith(path[-1] + "."):
            path[-1] = part
        else:
            path.append(part)
    return ".".join(path)


def load_onnx_weights(module: torch.nn.Module, path: Path) -> dict[str, str]:
    """Copies the initializers of the ONNX file into module (strict); returns parameter -> initializer name."""
    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state = module.state_dict()
    submodules = dict(module.named_modules())
    chosen: dict[str, tuple[np.ndarray, str]] = {}
    problems: list[str] = []

    def take(key: str, value: np.ndarray, source: str) -> None:
        if key in chosen and chosen[key][1] != source:
            problems.append(f"{key}: both {chosen[key][1]} and {source}")
        chosen[key] = (value, source)

    for name, value in inits.items():
        if name in state:
            take(name, value, name)
    for node in graph.node:
        for name in node.input:
            if name not in inits or name in state:
                continue
            scope, value = module_scope(node.name), inits[name]
            target = submodules.get(scope)
            if node.op_type == "MatMul" and isinstance(target, torch.nn.Linear):
                take(f"{scope}.weight", value.T, name)
            elif node.op_type == "Mul" and isinstance(target, torch.nn.GroupNorm):
                take(f"{scope}.weight", value.reshape(-1), name)
            elif node.op_type == "Add" and isinstance(target, torch.nn.GroupNorm):
                take(f"{scope}.bias", value.reshape(-1), name)

    for key, tensor in state.items():
        if key not in chosen:
            problems.append(f"{key} {tuple(tensor.shape)}: no initializer")
        elif tuple(chosen[key][0].shape) != tuple(tensor.shape):
            problems.append(f"{key}: module {tuple(tensor.shape)}, initializer {chosen[key][1]} {chosen[key][0].shape}")
    used = {source for _, source in chosen.values()}
    for name, value in inits.items():
        if name not in used and np.issubdtype(value.dtype, np.floating):
            problems.append(f"initializer {name} {value.shape} ({value.dtype}): maps to no parameter")
    if problems:
        raise WeightMappingError(f"{path}: " + "; ".join(problems))
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, (v, _) in chosen.items()}, strict=True)
    module.eval()
    return {k: source for k, (_, source) in chosen.items()}


def _inits(path: Path) -> dict[str, tuple[int, ...]]:
    return {i.name: tuple(i.dims) for i in onnx.load(str(path)).graph.initializer}


def _blocks(shapes: dict[str, tuple[int, ...]], prefix: str) -> int:
    return len({m.group(1) for n in shapes if (m := re.match(rf"{re.escape(prefix)}(\d+)\.", n))})


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


@dataclass
class LowLevelModel:
    name: str
    net: torch.nn.Module
    mask: torch.Tensor | None  # 1 inside the ROI set, 0 outside (roi_zero_filled); None for all voxels


@dataclass
class Preprocess:
    scale: float
    mean: torch.Tensor  # [1, 3, 1, 1]
    std: torch.Tensor

    @staticmethod
    def load(path: Path) -> "Preprocess":
        c = _json(path)
        if c.get("do_resize") or c.get("do_center_crop"):
            raise NotImplementedError(f"{path}: resizing/cropping is not implemented by this comparison (the demo needs none)")
        return Preprocess(float(c["rescale_factor"]), torch.tensor(c["image_mean"]).reshape(1, 3, 1, 1),
                          torch.tensor(c["image_std"]).reshape(1, 3, 1, 1))

    def to(self, device: torch.device) -> "Preprocess":
        return Preprocess(self.scale, self.mean.to(device), self.std.to(device))

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 NHWC -> normalised float NCHW."""
        return (images.permute(0, 3, 1, 2).to(torch.float32) * self.scale - self.mean) / self.std


@dataclass
class TorchBundle:
    lowlevel: list[LowLevelModel]
    vae_decoder: torch.nn.Module
    scaling_factor: float
    cap_vision: torch.nn.Module
    cap_decoder: torch.nn.Module
    cap_bos: int
    cap_eos: int
    cap_max_length: int
    cap_vocab: list[str]
    cap_preprocess: Preprocess
    text_encoder: torch.nn.Module
    bpe: Bpe
    text_length: int
    unet: torch.nn.Module
    image_encoder: torch.nn.Module
    clip_preprocess: Preprocess
    scheduler: dict
    pipeline: dict  # fmri_decoder.json pipelines.caption_img2img
    sources: dict[str, dict[str, str]]  # network -> parameter -> initializer
    device: torch.device = torch.device("cpu")

    def to(self, device: str | torch.device) -> "TorchBundle":
        """Moves every network, mask and normalisation constant to device (e.g. "cuda"), in place."""
        self.device = torch.device(device)
        for m in self.lowlevel:
            m.net.to(self.device)
            m.mask = None if m.mask is None else m.mask.to(self.device)
        for net in (self.vae_decoder, self.cap_vision, self.cap_decoder, self.text_encoder, self.unet, self.image_encoder):
            net.to(self.device)
        self.cap_preprocess, self.clip_preprocess = self.cap_preprocess.to(self.device), self.clip_preprocess.to(self.device)
        return self

    def decode_caption(self, ids: list[int]) -> str:
        words = []
        for i in ids[1:]:
            if i == self.cap_eos:
                break
            if self.cap_vocab[i] not in SPECIAL:
                words.append(self.cap_vocab[i])
        return " ".join(words)


def load(bundle: str | Path) -> TorchBundle:
    root = Path(bundle)
    manifest = _json(root / "fmri_decoder.json")
    n_vox = int(manifest["voxel_count"])
    sources: dict[str, dict[str, str]] = {}

    def build(name: str, module: torch.nn.Module, relative: str) -> torch.nn.Module:
        sources[name] = load_onnx_weights(module, root / relative)
        return module

    vae_cfg = _json(root / "vae_decoder/config.json")
    side = int(vae_cfg["sample_size"]) // 2 ** (len(vae_cfg["block_out_channels"]) - 1)
    latent = (int(vae_cfg["latent_channels"]), side, side)
    lowlevel = []
    for entry in manifest["voxel_encoders"]:
        if entry["role"] != "vae_latent":
            continue
        path = root / entry["file"]
        shapes = _inits(path)
        net = _First(nets.LowLevelEncoder(n_vox, hidden=shapes["m.inp.0.weight"][0], blocks=_blocks(shapes, "m.blocks."), latent=latent))
        mask = None
        if entry["input"] == "roi_zero_filled":
            mask = torch.zeros(n_vox)
            mask[torch.from_numpy(np.load(root / manifest["masks"]["roi_sets"][entry["roi_set"]]).astype(np.int64))] = 1
        elif entry["input"] != "nsdgeneral":
            raise NotImplementedError(f"voxel encoder {entry['name']}: input '{entry['input']}' is not implemented here")
        lowlevel.append(LowLevelModel(entry["name"], build(entry["name"], net, entry["file"]), mask))

    vae = build("vae_decoder", nets.VaeDecoder(vae_cfg["latent_channels"], tuple(vae_cfg["block_out_channels"])), "vae_decoder/model.onnx")

    cap_cfg = _json(root / "captioner/config.json")
    vis_shapes = _inits(root / "captioner/vision.onnx")
    dec_shapes = _inits(root / "captioner/decoder.onnx")
    cap_vision = build("captioner/vision", nets.CapVision(cap_cfg["hidden_size"], _blocks(vis_shapes, "blocks.")), "captioner/vision.onnx")
    cap_decoder = build("captioner/decoder", nets.CapDecoder(cap_cfg["vocab_size"], dec_shapes["pos"][1], cap_cfg["hidden_size"],
                                                             _blocks(dec_shapes, "blocks.")), "captioner/decoder.onnx")
    cap_vocab = (root / "captioner/vocab.txt").read_text().splitlines()

    txt_cfg = _json(root / "text_encoder/config.json")
    text = build("text_encoder", nets.ClipText(txt_cfg["vocab_size"], txt_cfg["eos_token_id"], txt_cfg["max_position_embeddings"],
                                               txt_cfg["hidden_size"], txt_cfg["projection_dim"], txt_cfg["num_hidden_layers"]),
                 "text_encoder/model.onnx")
    merges = [tuple(line.split(" ")) for line in (root / "tokenizer/merges.txt").read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("#version")]
    bpe = Bpe(merges)
    vocab = json.loads((root / "tokenizer/vocab.json").read_text(encoding="utf-8"))
    if bpe.vocab != vocab:
        raise WeightMappingError("tokenizer/vocab.json differs from the vocabulary the forge's Bpe builds from merges.txt")

    img_cfg = _json(root / "image_encoder/config.json")
    image = build("image_encoder", nets.ClipImage(img_cfg["hidden_size"], img_cfg["projection_dim"], img_cfg["num_hidden_layers"]),
                  "image_encoder/model.onnx")

    unet_cfg = _json(root / "unet/config.json")
    unet_shapes = _inits(root / "unet/model.onnx")
    # unet/config.json's block_out_channels is not what the network has; its widths are read from the weights.
    widths = (unet_shapes["conv_in.weight"][0], unet_shapes["d2.c1.weight"][0])
    unet = build("unet", nets.UNet(unet_cfg["in_channels"], unet_cfg["cross_attention_dim"], widths), "unet/model.onnx")

    return TorchBundle(
        lowlevel=lowlevel, vae_decoder=vae, scaling_factor=float(vae_cfg["scaling_factor"]),
        cap_vision=cap_vision, cap_decoder=cap_decoder, cap_bos=int(cap_cfg["bos_token_id"]), cap_eos=int(cap_cfg["eos_token_id"]),
        cap_max_length=int(cap_cfg.get("max_length", 20)), cap_vocab=cap_vocab,
        cap_preprocess=Preprocess.load(root / "captioner/preprocessor_config.json"),
        text_encoder=text, bpe=bpe, text_length=int(txt_cfg["max_position_embeddings"]), unet=unet, image_encoder=image,
        clip_preprocess=Preprocess.load(root / "image_encoder/preprocessor_config.json"),
        scheduler=_json(root / "scheduler/scheduler_config.json"), pipeline=manifest["pipelines"]["caption_img2img"], sources=sources)
