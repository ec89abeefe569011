"""Training stages of the model zoo, in dependency order: VAE → tiny CLIP → low-level voxel encoders → UNet →
captioner → high-level voxel encoder. Each stage is seeded on its own, so a stage's result does not depend on how
many random numbers the earlier stages drew. CPU only, float32."""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F

from . import nets
from .sampling import alphas_cumprod


def seed_all(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def batches(n: int, size: int, g: torch.Generator):
    order = torch.randperm(n, generator=g)
    for i in range(0, n, size):
        yield order[i:i + size]


def optimiser(params, lr: float, weight_decay: float, total_steps: int, warmup: float):
    """AdamW with a one-cycle learning-rate schedule; returns update(loss) → loss value (one optimiser step)."""
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=total_steps, pct_start=warmup)

    def update(loss: torch.Tensor) -> float:
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        return loss.item()

    return update


def soft_info_nce(logits: torch.Tensor, same: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE whose targets spread evenly over every positive (same[i, j] = 1: pair i, j match)."""
    target = same / same.sum(1, keepdim=True)
    return 0.5 * (torch.sum(-target * F.log_softmax(logits, 1), 1).mean() + torch.sum(-target * F.log_softmax(logits.T, 1), 1).mean())


def log(msg: str, t0: float) -> None:
    print(f"[{time.time() - t0:7.1f} s] {msg}", flush=True)


# ---------------------------------------------------------------- VAE
def train_vae(x: np.ndarray, epochs: int, seed: int, t0: float, kl_weight: float = 1e-4):
    g = seed_all(seed)
    enc, dec = nets.VaeEncoder(), nets.VaeDecoder()
    update = optimiser(list(enc.parameters()) + list(dec.parameters()), 2e-3, 0.0, epochs * ((len(x) + 31) // 32), 0.1)
    data = torch.from_numpy(x)
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(x), 32, g):
            b = data[idx]
            params = enc(b)
            mean, logvar = params.chunk(2, dim=1)
            logvar = logvar.clamp(-30, 20)
            z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=g)
            rec = dec(z)
            kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).sum(dim=(1, 2, 3)).mean() / b[0].numel()
            loss = F.l1_loss(rec, b) + F.mse_loss(rec, b) + kl_weight * kl
            tot += update(loss) * len(idx)
        log(f"vae epoch {ep + 1}/{epochs} loss {tot / len(x):.4f}", t0)
    enc.eval()
    dec.eval()
    return enc, dec


@torch.no_grad()
def vae_latents(enc, x: np.ndarray, g: torch.Generator | None = None) -> np.ndarray:
    """Posterior means (g None) or samples, unscaled."""
    out = []
    for i in range(0, len(x), 256):
        mean, logvar = enc(torch.from_numpy(x[i:i + 256])).chunk(2, dim=1)
        out.append(mean if g is None else mean + torch.exp(0.5 * logvar.clamp(-30, 20)) * torch.randn(mean.shape, generator=g))
    return torch.cat(out).numpy()


@torch.no_grad()
def vae_decode(dec, scaled: np.ndarray, scaling: float) -> np.ndarray:
    """Scaled latents → uint8 NHWC images."""
    out = []
    for i in range(0, len(scaled), 256):
        out.append(dec(torch.from_numpy(np.ascontiguousarray(scaled[i:i + 256])) / scaling))
    img = torch.cat(out).clamp(-1, 1).numpy()
    return np.round((img.transpose(0, 2, 3, 1) + 1) * 127.5).astype(np.uint8)


# ---------------------------------------------------------------- tiny CLIP
def train_clip(pixels: np.ndarray, ids: np.ndarray, vocab: int, eos: int, epochs: int, seed: int, t0: float):
    g = seed_all(seed)
    img, txt = nets.ClipImage(), nets.ClipText(vocab, eos, ids.shape[1])
    scale = torch.nn.Parameter(torch.tensor(np.log(1 / 0.07), dtype=torch.float32))
    params = list(img.parameters()) + list(txt.parameters()) + [scale]
    size = 128
    update = optimiser(params, 1e-3, 0.05, epochs * ((len(ids) + size - 1) // size), 0.1)
    P, T = torch.from_numpy(pixels), torch.from_numpy(ids)
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(ids), size, g):
            ie, _ = img(P[idx])
            _, te = txt(T[idx])
            ie, te = F.normalize(ie, dim=-1), F.normalize(te, dim=-1)
            logits = scale.exp().clamp(max=100) * ie @ te.T
            # identical captions in one batch are all positives
            same = (T[idx][:, None, :] == T[idx][None, :, :]).all(-1).float()
            loss = soft_info_nce(logits, same)
            tot += update(loss) * len(idx)
        log(f"clip epoch {ep + 1}/{epochs} loss {tot / len(ids):.4f}", t0)
    img.eval()
    txt.eval()
    return img, txt


@torch.no_grad()
def clip_image(img, pixels: np.ndarray):
    e, h = zip(*(img(torch.from_numpy(pixels[i:i + 256])) for i in range(0, len(pixels), 256)))
    return torch.cat(e).numpy(), torch.cat(h).numpy()


@torch.no_grad()
def clip_text(txt, ids: np.ndarray):
    h, e = zip(*(txt(torch.from_numpy(ids[i:i + 256])) for i in range(0, len(ids), 256)))
    return torch.cat(h).numpy(), torch.cat(e).numpy()


# ---------------------------------------------------------------- low-level voxel encoders
def grey_ssim(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """Differentiable mean SSIM of [B,3,H,W] images in [-1,1] with MindEye's evaluation settings (grey-scale with
    skimage's rgb2gray weights, Gaussian window σ = 1.5 truncated at 3.5σ, population covariance, data range 1);
    windows cover the interior only, as skimage crops the border it pads."""
    grey = torch.tensor([0.2125, 0.7154, 0.0721]).reshape(1, 3, 1, 1)
    r = torch.arange(-5, 6, dtype=torch.float64)
    k = torch.exp(-r ** 2 / (2 * 1.5 ** 2))
    k = (k / k.sum()).to(torch.float32)
    window = (k[:, None] * k[None, :])[None, None]
    a = ((pred.clamp(-1, 1) + 1) / 2 * grey).sum(1, keepdim=True)
    b = ((truth + 1) / 2 * grey).sum(1, keepdim=True)
    f = lambda x: F.conv2d(x, window)
    ma, mb = f(a), f(b)
    va, vb, cab = f(a * a) - ma ** 2, f(b * b) - mb ** 2, f(a * b) - ma * mb
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    return (((2 * ma * mb + c1) * (2 * cab + c2)) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2))).mean()


def train_lowlevel(voxels: np.ndarray, targets: np.ndarray, keep: np.ndarray | None, epochs: int, seed: int, t0: float, name: str,
                   decoder=None, images: np.ndarray | None = None, scaling: float = 1.0, finetune_epochs: int = 0):
    """voxels: single trials [n, N]; targets: scaled VAE latents [n,4,8,8]; keep: ROI indices (others zero-filled).
    L1 to the latents (the seed study's loss); then, when finetune_epochs > 0, a short fine-tune that adds
    1 − SSIM of the frozen VAE decoder's image against the seen image [n,3,64,64] in [-1,1]: L1 alone regresses to
    latents whose decodings carry texture where the scene is flat, which SSIM punishes (docs/demo-world.md)."""
    g = seed_all(seed)
    model = nets.LowLevelEncoder(voxels.shape[1])
    mask = torch.zeros(voxels.shape[1])
    mask[torch.from_numpy(keep) if keep is not None else slice(None)] = 1
    size = 128
    update = optimiser(model.parameters(), 1e-3, 0.05, epochs * ((len(voxels) + size - 1) // size), 0.1)
    V, Y = torch.from_numpy(voxels) * mask, torch.from_numpy(targets)
    model.train()
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(V), size, g):
            loss = F.l1_loss(model(V[idx]), Y[idx])
            tot += update(loss) * len(idx)
        if ep == epochs - 1 or ep % 10 == 0:
            log(f"{name} epoch {ep + 1}/{epochs} L1 {tot / len(V):.4f}", t0)
    if finetune_epochs:
        for p in decoder.parameters():
            p.requires_grad_(False)
        X = torch.from_numpy(images)
        update = optimiser(model.parameters(), 3e-4, 0.05, finetune_epochs * ((len(voxels) + size - 1) // size), 0.1)
        for ep in range(finetune_epochs):
            tot = 0.0
            for idx in batches(len(V), size, g):
                pred = model(V[idx])
                loss = F.l1_loss(pred, Y[idx]) + (1 - grey_ssim(decoder(pred / scaling), X[idx]))
                tot += update(loss) * len(idx)
            log(f"{name} fine-tune {ep + 1}/{finetune_epochs} L1 + (1 - SSIM) {tot / len(V):.4f}", t0)
        for p in decoder.parameters():
            p.requires_grad_(True)
    model.eval()
    return model, mask


@torch.no_grad()
def run_voxels(model, voxels: np.ndarray, mask=None):
    v = torch.from_numpy(voxels)
    if mask is not None:
        v = v * mask
    out = model(v)
    return tuple(o.numpy() for o in out) if isinstance(out, tuple) else out.numpy()


# ---------------------------------------------------------------- UNet
def train_unet(latents: np.ndarray, text_ctx: np.ndarray, image_ctx: np.ndarray, text_uncond: np.ndarray, epochs: int,
               seed: int, t0: float, drop: float = 0.15):
    """Epsilon prediction; each batch: half conditioned on caption tokens, half on image tokens; each sample's
    conditioning dropped with probability drop (to the empty-caption encoding / zero image tokens)."""
    g = seed_all(seed)
    model = nets.UNet(ctx_dim=text_ctx.shape[2])
    ac = alphas_cumprod()
    size = 128
    update = optimiser(model.parameters(), 1e-3, 0.01, epochs * ((len(latents) + size - 1) // size), 0.05)
    X, TC, IC = torch.from_numpy(latents), torch.from_numpy(text_ctx), torch.from_numpy(image_ctx)
    TU = torch.from_numpy(text_uncond)
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(X), size, g):
            x0 = X[idx]
            noise = torch.randn(x0.shape, generator=g)
            t = torch.randint(0, 1000, (len(idx),), generator=g)
            a = ac[t].reshape(-1, 1, 1, 1)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
            half = len(idx) // 2
            keep = (torch.rand(len(idx), generator=g) >= drop).float().reshape(-1, 1, 1)
            tc = TC[idx[:half]] * keep[:half] + TU * (1 - keep[:half])
            ic = IC[idx[half:]] * keep[half:]
            pred = torch.cat([model(xt[:half], t[:half].float(), tc), model(xt[half:], t[half:].float(), ic)])
            loss = F.mse_loss(pred, noise)
            tot += update(loss) * len(idx)
        if ep == epochs - 1 or ep % 5 == 0:
            log(f"unet epoch {ep + 1}/{epochs} loss {tot / len(X):.4f}", t0)
    model.eval()
    return model


# ---------------------------------------------------------------- captioner
def train_captioner(pixels: np.ndarray, ids: np.ndarray, vocab: int, pad: int, epochs: int, seed: int, t0: float):
    g = seed_all(seed)
    vis, dec = nets.CapVision(), nets.CapDecoder(vocab, ids.shape[1])
    params = list(vis.parameters()) + list(dec.parameters())
    size = 64
    update = optimiser(params, 2e-3, 0.01, epochs * ((len(ids) + size - 1) // size), 0.1)
    P, T = torch.from_numpy(pixels), torch.from_numpy(ids)
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(ids), size, g):
            seq = T[idx]
            logits = dec(seq[:, :-1], vis(P[idx]))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), seq[:, 1:].reshape(-1), ignore_index=pad)
            tot += update(loss) * len(idx)
        log(f"captioner epoch {ep + 1}/{epochs} loss {tot / len(ids):.4f}", t0)
    vis.eval()
    dec.eval()
    return vis, dec


@torch.no_grad()
def caption(vis, dec, pixels: np.ndarray, bos: int, eos: int, max_length: int) -> np.ndarray:
    """Greedy decoding, whole prefix re-run each step (as the C# captioner does)."""
    emb = vis(torch.from_numpy(pixels))
    ids = torch.full((len(pixels), 1), bos, dtype=torch.int64)
    done = torch.zeros(len(pixels), dtype=torch.bool)
    while ids.shape[1] < max_length and not done.all():
        nxt = dec(ids, emb)[:, -1].argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, eos), nxt)
        ids = torch.cat([ids, nxt[:, None]], 1)
        done |= nxt == eos
    return ids.numpy()


# ---------------------------------------------------------------- high-level voxel encoder
def train_highlevel(voxels: np.ndarray, tokens: np.ndarray, embeds: np.ndarray, epochs: int, seed: int, t0: float,
                    mse_weight: float = 1.0):
    """MSE to the CLIP image tokens + symmetric InfoNCE between image_embedding and the CLIP image_embeds."""
    g = seed_all(seed)
    model = nets.HighLevelEncoder(voxels.shape[1], tokens.shape[1], tokens.shape[2], embeds.shape[1])
    size = 128
    update = optimiser(model.parameters(), 1e-3, 0.05, epochs * ((len(voxels) + size - 1) // size), 0.1)
    V, TK, E = torch.from_numpy(voxels), torch.from_numpy(tokens), F.normalize(torch.from_numpy(embeds), dim=-1)
    model.train()
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(V), size, g):
            tk, em = model(V[idx])
            logits = F.normalize(em, dim=-1) @ E[idx].T / 0.05
            same = (E[idx] @ E[idx].T > 0.9999).float()
            nce = soft_info_nce(logits, same)
            loss = nce + mse_weight * F.mse_loss(tk, TK[idx])
            tot += update(loss) * len(idx)
        if ep == epochs - 1 or ep % 10 == 0:
            log(f"highlevel epoch {ep + 1}/{epochs} loss {tot / len(V):.4f}", t0)
    model.eval()
    return model


# ---------------------------------------------------------------- diffusion prior
def train_prior(high, voxels: np.ndarray, tokens: np.ndarray, epochs: int, seed: int, t0: float, cond_drop: float = 0.2):
    """x0-prediction diffusion over image tokens conditioned on the high-level encoder's brain tokens (MindEye's
    BrainDiffusionPrior, scaled down: 100 cosine-schedule timesteps, condition dropped with probability 0.2). The
    brain tokens are recomputed every batch with the encoder's dropout active, so the prior learns from inputs as
    noisy as unseen trials' rather than from the encoder's fit to its own training set."""
    from .sampling import PRIOR_STEPS, prior_alphas_cumprod
    g = seed_all(seed)
    model = nets.DiffusionPrior(tokens.shape[1], tokens.shape[2])
    ac = prior_alphas_cumprod()
    size = 128
    update = optimiser(model.parameters(), 1e-3, 0.01, epochs * ((len(voxels) + size - 1) // size), 0.05)
    V, X = torch.from_numpy(voxels), torch.from_numpy(tokens)
    high.train()
    for ep in range(epochs):
        tot = 0.0
        for idx in batches(len(V), size, g):
            with torch.no_grad():
                cond, _ = high(V[idx])
            keep = (torch.rand(len(idx), generator=g) >= cond_drop).float().reshape(-1, 1, 1)
            x0 = X[idx]
            noise = torch.randn(x0.shape, generator=g)
            t = torch.randint(0, PRIOR_STEPS, (len(idx),), generator=g)
            a = ac[t].reshape(-1, 1, 1)
            xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
            loss = F.mse_loss(model(xt, t.float(), cond * keep), x0)
            tot += update(loss) * len(idx)
        if ep == epochs - 1 or ep % 5 == 0:
            log(f"prior epoch {ep + 1}/{epochs} loss {tot / len(V):.4f}", t0)
    high.eval()
    model.eval()
    return model
