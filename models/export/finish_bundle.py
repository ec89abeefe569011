"""Finishes a bundle after the component exports: copies the subject's nsdgeneral mask and ROI sets into masks/, writes
model_index.json for the components present and fmri_decoder.json (subject, voxel count and order, masks, the voxel
encoders the export scripts recorded in voxel_encoders/entries.json, pipeline defaults, and the sha256 of every file),
checking first that every voxel encoder takes the mask's voxel count (docs/model-bundle.md, docs/real-models.md).

    python3 -m models.export.finish_bundle --bundle bundles/subj01-mindeye --subject subj01 \\
        --nsdgeneral /data/nsd/nsddata/ppdata/subj01/func1pt8mm/roi/nsdgeneral.nii.gz --set unclip.samples=16

A shared-subject export (models/export/mindeye2.py: voxel_encoders/mindeye2_subjects.json) is finished as format_version 2:
the subjects block and repetition rule come from that file, shared_space.width from the adapters' bias length, each
subject's mask is kept only where its file is in the bundle (--nsdgeneral with --subject copies one in), and no
top-level subject, voxel_count or masks are written:

    python3 -m models.export.finish_bundle --bundle artifacts/mindeye2-random

Run it last, and again after changing any file: the library refuses a bundle whose files do not match their sha256.
Needs numpy and nibabel (the mask), and onnx to read the voxel encoders' input widths.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

# Published settings each pipeline starts from (docs/real-models.md says where they come from); --set overrides.
DEFAULTS = {
    # The seed study: SD 1.5 img2img from the low-level image, strength 0.75, guidance 6, 50 steps, one sample per model.
    "caption_img2img": {"steps": 50, "strength": 0.75, "guidance": 6.0, "samples": 1},
    # MindEye: img2img strength 0.85 from the low-level image, guidance 3.5, best of 16; DDIM needs more steps than
    # MindEye's 20 UniPC steps; the prior runs its whole 100-step chain.
    "unclip": {"steps": 50, "strength": 0.85, "guidance": 3.5, "samples": 16, "prior_steps": 100},
}
LIBRARIES = {
    "tokenizer": ["transformers", "CLIPTokenizer"], "text_encoder": ["transformers", "CLIPTextModel"],
    "image_encoder": ["transformers", "CLIPVisionModelWithProjection"], "unet": ["diffusers", "UNet2DConditionModel"],
    "vae_encoder": ["diffusers", "AutoencoderKL"], "vae_decoder": ["diffusers", "AutoencoderKL"],
    "captioner": ["transformers", "BlipForConditionalGeneration"], "prior": ["fmri_to_image", "DiffusionPrior"],
}


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bundle", required=True, type=Path, help="the bundle folder the export scripts wrote")
    p.add_argument("--subject", help="e.g. subj01 (samples/Reconstruct's --subject must match); required but for a shared-subject bundle")
    p.add_argument("--nsdgeneral", type=Path, help="the subject's func1pt8mm roi/nsdgeneral.nii.gz (voxels > 0 are the voxel vector)")
    p.add_argument("--voxel-count", type=int, help="the voxel count when there is no mask (e.g. fsaverage vertices)")
    p.add_argument("--voxel-order", default="C order over (X, Y, Z) of the nsdgeneral mask", help="how the voxel vector is ordered, in words")
    p.add_argument("--roi-set", action="append", default=[], metavar="NAME=FILE.npy", help="an ROI set: indices into the voxel vector")
    p.add_argument("--set", action="append", default=[], metavar="PIPELINE.KEY=VALUE", help="override a pipeline default, e.g. unclip.samples=4")
    p.add_argument("--readme", type=Path, help="a README.md to include (where each component came from)")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from .bundle_files import entries_path, sha256, write_json

    bundle: Path = args.bundle
    if not bundle.is_dir():
        raise SystemExit(f"{bundle}: no such bundle folder")
    pending = entries_path(bundle)
    manifest_path = bundle / "fmri_decoder.json"
    if pending.exists():
        entries = json.loads(pending.read_text())
    elif manifest_path.exists():
        entries = json.loads(manifest_path.read_text())["voxel_encoders"]     # re-finishing: keep what is there
    else:
        raise SystemExit(f"{pending}: missing; run the voxel-encoder export (models.export.mindeye) first")
    for entry in entries:
        if not (bundle / entry["file"]).is_file():
            raise SystemExit(f"{bundle / entry['file']}: listed in {pending.name} but missing")
    shared = shared_subjects(bundle, manifest_path)
    if shared is not None:
        finish_shared(args, bundle, manifest_path, pending, entries, shared)
        return
    if args.subject is None:
        raise SystemExit("give --subject (a format 1 bundle names its one subject)")

    masks = {}
    voxel_count = args.voxel_count
    if args.nsdgeneral is not None:
        import nibabel

        target = bundle / "masks" / "nsdgeneral.nii.gz"
        target.parent.mkdir(exist_ok=True)
        if args.nsdgeneral.resolve() != target.resolve():
            shutil.copyfile(args.nsdgeneral, target)
        counted = int((nibabel.load(str(target)).get_fdata() > 0).sum())
        if voxel_count is not None and voxel_count != counted:
            raise SystemExit(f"--voxel-count {voxel_count} but {args.nsdgeneral} has {counted} voxels above 0")
        voxel_count = counted
        masks["nsdgeneral"] = "masks/nsdgeneral.nii.gz"
    if voxel_count is None:
        raise SystemExit("give --nsdgeneral (or --voxel-count when the voxels are not a volume mask)")
    roi_sets = {}
    for spec in args.roi_set:
        name, _, source = spec.partition("=")
        target = bundle / "masks" / f"{name.lower()}_indices.npy"
        target.parent.mkdir(exist_ok=True)
        if Path(source).resolve() != target.resolve():
            shutil.copyfile(source, target)
        roi_sets[name] = target.relative_to(bundle).as_posix()
    if roi_sets:
        masks["roi_sets"] = roi_sets
    check_voxel_encoders(bundle, entries, voxel_count)

    roles = {e["role"] for e in entries}
    components = ("tokenizer", "text_encoder", "image_encoder", "unet", "vae_encoder", "vae_decoder", "captioner", "scheduler", "prior")
    has = {name: (bundle / name).is_dir() for name in components}
    pipelines = {}
    caption_img2img_needs = ("captioner", "text_encoder", "tokenizer", "unet", "vae_encoder", "vae_decoder", "image_encoder")
    if "vae_latent" in roles and all(has[c] for c in caption_img2img_needs):
        pipelines["caption_img2img"] = dict(DEFAULTS["caption_img2img"])
    if "image_tokens" in roles and has["unet"] and has["vae_decoder"]:
        pipelines["unclip"] = dict(DEFAULTS["unclip"])
        if not has["prior"]:
            del pipelines["unclip"]["prior_steps"]
    for spec in args.set:
        key, _, value = spec.partition("=")
        pipeline, _, field = key.partition(".")
        if pipeline not in pipelines:
            raise SystemExit(f"--set {spec}: the bundle has no pipeline '{pipeline}' (it has: {', '.join(pipelines) or 'none'})")
        pipelines[pipeline][field] = json.loads(value)

    index = {"_class_name": "FmriToImagePipeline", "_diffusers_version": "0.30.0"}
    for name, present in has.items():
        if present and name != "scheduler":
            index[name] = LIBRARIES[name]
    if has["scheduler"]:
        scheduler = json.loads((bundle / "scheduler" / "scheduler_config.json").read_text())
        index["scheduler"] = ["diffusers", scheduler.get("_class_name", "DDIMScheduler")]
    write_json(bundle / "model_index.json", index)
    if args.readme is not None:
        shutil.copyfile(args.readme, bundle / "README.md")
    if pending.exists():
        pending.unlink()

    unconditional = {}
    if "caption_img2img" in pipelines:
        unconditional["text"] = "text_encoder last_hidden_state of the empty caption"
    if "unclip" in pipelines:
        unconditional["image_tokens"] = "zeros"
    files = {p.relative_to(bundle).as_posix(): sha256(p) for p in sorted(bundle.rglob("*"))
             if p.is_file() and p != manifest_path}
    write_json(manifest_path, {
        "format_version": 1, "subject": args.subject, "voxel_count": voxel_count, "voxel_order": args.voxel_order,
        "masks": masks, "voxel_encoders": entries, "pipelines": pipelines, "unconditional": unconditional, "files": files})
    print(f"wrote {manifest_path}: {len(files)} files hashed, pipelines {', '.join(pipelines) or 'none'}")
    subject = int(args.subject[-2:]) if args.subject[-2:].isdigit() else args.subject
    print(f"check it: dotnet run --project samples/Reconstruct -c Release -- --bundle {bundle} --subject {subject} --data <trials> --limit 2")


def shared_subjects_path(bundle: Path) -> Path:
    """Where models/export/mindeye2.py leaves the format 2 subjects block, for finish_bundle."""
    return bundle / "voxel_encoders" / "mindeye2_subjects.json"


def shared_subjects(bundle: Path, manifest_path: Path) -> dict | None:
    """The pending format 2 subjects block, or a format 2 manifest's own (re-finishing), or None for format 1."""
    pending = shared_subjects_path(bundle)
    if pending.exists():
        return json.loads(pending.read_text())
    if manifest_path.exists() and (manifest := json.loads(manifest_path.read_text())).get("format_version") == 2:
        return {"subjects": manifest["subjects"], "repetition_averaging": manifest.get("repetition_averaging", "outputs"),
                "shared_space": manifest.get("shared_space")}
    return None


def finish_shared(args, bundle: Path, manifest_path: Path, pending: Path, entries: list[dict], shared: dict) -> None:
    """Writes a format 2 fmri_decoder.json (docs/model-bundle.md): subjects, shared_space, the shared voxel encoders."""
    import numpy as np

    from .bundle_files import sha256, write_json

    subjects = shared["subjects"]
    if args.nsdgeneral is not None:
        if args.subject not in subjects:
            raise SystemExit(f"--nsdgeneral needs --subject, one of {', '.join(subjects)}")
        import nibabel

        target = bundle / "subjects" / args.subject / "nsdgeneral.nii.gz"
        if args.nsdgeneral.resolve() != target.resolve():
            shutil.copyfile(args.nsdgeneral, target)
        counted = int((nibabel.load(str(target)).get_fdata() > 0).sum())
        if counted != subjects[args.subject]["voxel_count"]:
            expected = subjects[args.subject]["voxel_count"]
            raise SystemExit(f"{args.nsdgeneral} has {counted} voxels above 0 but {args.subject}'s adapter takes {expected}")
        subjects[args.subject]["masks"] = {"nsdgeneral": target.relative_to(bundle).as_posix()}
    widths = set()
    for name, subject in subjects.items():
        mask = subject.get("masks", {}).get("nsdgeneral")
        if mask is not None and not (bundle / mask).is_file():
            print(f"  {name}: no {mask} in the bundle; its mask is left out (give --nsdgeneral with --subject {name})")
            del subject["masks"]
        if "bias" in subject["adapter"]:
            widths.add(int(np.load(bundle / subject["adapter"]["bias"], mmap_mode="r").shape[0]))
    space = dict(shared.get("shared_space") or {})
    if len(widths) > 1:
        raise SystemExit(f"the subjects' adapters give different widths {sorted(widths)}; the shared space has one")
    if widths:
        space["width"] = widths.pop()
    if "width" not in space:
        raise SystemExit("no adapter bias to take shared_space.width from")
    check_voxel_encoders(bundle, entries, space["width"])
    write_json(bundle / "model_index.json", {"_class_name": "FmriToImagePipeline", "_diffusers_version": "0.30.0"})
    for done in (pending, shared_subjects_path(bundle)):
        if done.exists():
            done.unlink()
    files = {p.relative_to(bundle).as_posix(): sha256(p) for p in sorted(bundle.rglob("*"))
             if p.is_file() and p != manifest_path}
    write_json(manifest_path, {
        "format_version": 2, "repetition_averaging": shared.get("repetition_averaging", "outputs"), "shared_space": space,
        "subjects": subjects, "voxel_encoders": entries, "pipelines": {}, "unconditional": {}, "files": files})
    print(f"wrote {manifest_path}: format 2, subjects {', '.join(subjects)}, shared width {space['width']}, {len(files)} files hashed")


def check_voxel_encoders(bundle: Path, entries: list[dict], voxel_count: int) -> None:
    """Every voxel encoder's input width must be the voxel count (or its ROI subset's), before the library says so."""
    try:
        import onnx
    except ImportError:
        print("  (onnx is not installed: voxel encoder widths not checked here; BrainDecoder.Load checks them)")
        return
    for entry in entries:
        graph = onnx.load(str(bundle / entry["file"]), load_external_data=False).graph
        dims = graph.input[0].type.tensor_type.shape.dim
        width = dims[1].dim_value if len(dims) == 2 and dims[1].HasField("dim_value") else None
        expected = entry.get("voxel_count", voxel_count)
        if width is not None and width != expected:
            raise SystemExit(f"{entry['file']}: takes {width} voxels but the bundle's voxel count is {expected}")
        print(f"  {entry['name']}: {entry['role']}, {width if width is not None else 'any'} voxels")


if __name__ == "__main__":
    main()
