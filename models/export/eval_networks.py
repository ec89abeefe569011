"""Exports the feature networks of MindEye's metric table as an evaluation bundle (docs/evaluation.md):

  evaluation.json                       format, common_size 256, pixel_size 425, each network's weights, every file's sha256
  alexnet/model.onnx                    pixel_values [B,3,256,256] -> features_4 (features.4), features_11 (features.11)
  inception_v3/model.onnx               pixel_values [B,3,342,342] -> avgpool [B,2048,1,1]
  clip_vit_l14/model.onnx               pixel_values [B,3,224,224] -> image_embeds [B,768] (encode_image)
  efficientnet_b1/model.onnx            pixel_values [B,3,255,255] -> avgpool [B,1280,1,1]
  swav_resnet50/model.onnx              pixel_values [B,3,224,224] -> avgpool [B,2048,1,1]
  <network>/preprocessor_config.json    the published code's transform: shortest edge to N (bilinear), no crop, mean/std

The transforms are those of MindEye's src/Reconstruction_Metrics.py (after every image is resized to 256x256):
AlexNet Resize(256), Inception Resize(342), CLIP Resize(224) with CLIP's mean/std, EfficientNet-B1 Resize(255),
SwAV Resize(224); ImageNet mean/std unless noted; bilinear; no crop.

Weights:
  --weights pretrained   torchvision's IMAGENET1K weights (AlexNet V1, Inception v3 and EfficientNet-B1 DEFAULT, from the
                         torch hub cache), SwAV from --swav-checkpoint (facebookresearch/swav's swav_800ep_pretrain.pth.tar;
                         SwAV is left out without it), CLIP from --clip-checkpoint (OpenAI's ViT-L-14.pt; left out without it)
  --weights random       the same architectures with torch's default initialisation from --seed: what CI builds (no weights
                         can be downloaded there), proving the protocol and the graph contracts at real size. The numbers
                         they give mean nothing about images.

    /usr/bin/python3 -m models.export.eval_networks --weights random --out artifacts/evaluation
    python3 -m models.export.eval_networks --weights pretrained --swav-checkpoint swav_800ep_pretrain.pth.tar \\
        --clip-checkpoint ViT-L-14.pt --out bundles/evaluation

Needs torch, torchvision and onnx (Debian: python3-torch python3-torchvision python3-onnx).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
CLIP_MEAN_STD = ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])

# network -> (input size after its Resize, outputs, mean/std); the order is MindEye's table's.
NETWORKS = {
    "alexnet": (256, ["features_4", "features_11"], IMAGENET),
    "inception_v3": (342, ["avgpool"], IMAGENET),
    "clip_vit_l14": (224, ["image_embeds"], CLIP_MEAN_STD),
    "efficientnet_b1": (255, ["avgpool"], IMAGENET),
    "swav_resnet50": (224, ["avgpool"], IMAGENET),
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, type=Path, help="the evaluation bundle folder")
    p.add_argument("--weights", choices=["random", "pretrained"], required=True)
    p.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    p.add_argument("--networks", default=",".join(NETWORKS), help="comma-separated subset of " + ",".join(NETWORKS))
    p.add_argument("--swav-checkpoint", type=Path, help="SwAV ResNet-50 weights (swav_800ep_pretrain.pth.tar)")
    p.add_argument("--clip-checkpoint", type=Path, help="OpenAI CLIP ViT-L/14 (ViT-L-14.pt, TorchScript or state dict)")
    return p.parse_args(argv)


def build(name: str, weights: str, args: argparse.Namespace):
    """The network as a module: pixel_values -> its outputs (a tuple in NETWORKS order), and a weights description."""
    import torch
    import torchvision
    from torchvision.models.feature_extraction import create_feature_extractor

    pretrained = weights == "pretrained"
    if name == "clip_vit_l14":
        from .clip_vision_tower import ClipVisionTower
        tower = ClipVisionTower()
        if pretrained:
            tower.load_openai(args.clip_checkpoint)
        return tower, "OpenAI CLIP ViT-L/14 (" + args.clip_checkpoint.name + ")" if pretrained else f"random (seed {args.seed})"

    if name == "alexnet":
        model = torchvision.models.alexnet(weights="IMAGENET1K_V1" if pretrained else None)
        nodes = {"features.4": "features_4", "features.11": "features_11"}
        described = "torchvision IMAGENET1K_V1"
    elif name == "inception_v3":
        # transform_input=True as torchvision's pretrained model (and so MindEye's) has it.
        model = (torchvision.models.inception_v3(weights="DEFAULT") if pretrained
                 else torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=True, init_weights=True))
        nodes = {"avgpool": "avgpool"}
        described = "torchvision Inception_V3_Weights.DEFAULT"
    elif name == "efficientnet_b1":
        model = torchvision.models.efficientnet_b1(weights="DEFAULT" if pretrained else None)
        nodes = {"avgpool": "avgpool"}
        described = "torchvision EfficientNet_B1_Weights.DEFAULT"
    else:
        model = torchvision.models.resnet50(weights=None)
        nodes = {"avgpool": "avgpool"}
        described = f"SwAV ({args.swav_checkpoint.name})" if pretrained else ""
        if pretrained:
            state = torch.load(args.swav_checkpoint, map_location="cpu")
            state = {k.removeprefix("module."): v for k, v in state.get("state_dict", state).items()}
            missing, _ = model.load_state_dict(state, strict=False)
            if [k for k in missing if not k.startswith("fc.")]:
                raise SystemExit(f"{args.swav_checkpoint}: not a SwAV ResNet-50 checkpoint (missing {missing[:4]} …)")
    model.eval()
    extractor = create_feature_extractor(model, return_nodes=nodes)

    class Outputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.extractor = extractor

        def forward(self, pixel_values):
            out = self.extractor(pixel_values)
            return tuple(out[k] for k in nodes.values())

    return Outputs().eval(), described if pretrained else f"random (seed {args.seed})"


def preprocessor_config(size: int, mean_std) -> dict:
    return {"do_resize": True, "size": {"shortest_edge": size}, "resample": 2, "do_center_crop": False,
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": mean_std[0], "image_std": mean_std[1]}


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    from .bundle_files import sha256, write_json
    from .onnx_export import export

    wanted = [n for n in args.networks.split(",") if n]
    unknown = set(wanted) - set(NETWORKS)
    if unknown:
        raise SystemExit(f"--networks: unknown {sorted(unknown)}; choose from {list(NETWORKS)}")
    if args.weights == "pretrained":
        if "swav_resnet50" in wanted and args.swav_checkpoint is None:
            print("no --swav-checkpoint: SwAV is left out (its metric is then not computed)")
            wanted.remove("swav_resnet50")
        if "clip_vit_l14" in wanted and args.clip_checkpoint is None:
            print("no --clip-checkpoint: CLIP is left out (its metric is then not computed)")
            wanted.remove("clip_vit_l14")

    networks, files = {}, {}
    for name in wanted:
        started = time.monotonic()
        torch.manual_seed(args.seed)
        module, described = build(name, args.weights, args)
        size, outputs, mean_std = NETWORKS[name]
        folder = args.out / name
        export(module, (torch.zeros(1, 3, size, size),), folder / "model.onnx", ["pixel_values"], outputs,
               {"pixel_values": {0: "batch"}, **{o: {0: "batch"} for o in outputs}})
        write_json(folder / "preprocessor_config.json", preprocessor_config(size, mean_std))
        networks[name] = {"weights": described}
        for file in ("model.onnx", "preprocessor_config.json"):
            files[f"{name}/{file}"] = sha256(folder / file)
        print(f"  {name}: {(folder / 'model.onnx').stat().st_size / 1e6:.1f} MB in {time.monotonic() - started:.1f} s")

    write_json(args.out / "evaluation.json",
               {"format": "fmri2img-evaluation/1", "common_size": 256, "pixel_size": 425, "networks": networks, "files": files})
    print(f"wrote {args.out / 'evaluation.json'}")


if __name__ == "__main__":
    main()
