"""Scaled-linear noise schedule (Stable Diffusion's) and a DDIM img2img sampler with classifier-free guidance, used
to train the UNet and to choose the pipeline defaults on the validation split."""
from __future__ import annotations

import torch

STEPS, BETA_START, BETA_END = 1000, 0.00085, 0.012


def alphas_cumprod() -> torch.Tensor:
    betas = torch.linspace(BETA_START ** 0.5, BETA_END ** 0.5, STEPS, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0).to(torch.float32)


@torch.no_grad()
def img2img(unet, init: torch.Tensor, cond: torch.Tensor, uncond: torch.Tensor, steps: int, strength: float,
            guidance: float, generator: torch.Generator) -> torch.Tensor:
    """DDIM (eta 0, steps_offset 1, set_alpha_to_one false) from the scaled latents init, noised to strength."""
    ac = alphas_cumprod()
    ratio = STEPS // steps
    timesteps = (torch.arange(steps - 1, -1, -1) * ratio + 1).tolist()
    start = max(steps - min(int(steps * strength), steps), 0)
    timesteps = timesteps[start:]
    if not timesteps:
        return init
    t0 = timesteps[0]
    x = ac[t0].sqrt() * init + (1 - ac[t0]).sqrt() * torch.randn(init.shape, generator=generator)
    for t in timesteps:
        eps = unet(torch.cat([x, x]), torch.tensor(float(t)), torch.cat([uncond, cond]))
        e_u, e_c = eps.chunk(2)
        e = e_u + guidance * (e_c - e_u)
        prev = t - ratio
        a_t, a_p = ac[t], (ac[prev] if prev >= 0 else ac[0])
        x0 = (x - (1 - a_t).sqrt() * e) / a_t.sqrt()
        x = a_p.sqrt() * x0 + (1 - a_p).sqrt() * e
    return x


# ---------------------------------------------------------------- diffusion prior (image tokens)
PRIOR_STEPS = 100   # training timesteps, as MindEye's BrainDiffusionPrior


def prior_alphas_cumprod(steps: int = PRIOR_STEPS) -> torch.Tensor:
    """diffusers' squaredcos_cap_v2 (the DALLE-2 / MindEye prior schedule): betas from the cosine ᾱ(t), capped at 0.999."""
    import math
    bar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = torch.tensor([min(1 - bar((i + 1) / steps) / bar(i / steps), 0.999) for i in range(steps)], dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).to(torch.float32)


@torch.no_grad()
def prior_sample(prior, cond: torch.Tensor, steps: int, generator: torch.Generator) -> torch.Tensor:
    """DDIM (eta 0, leading spacing, steps_offset 0, set_alpha_to_one true, prediction_type sample) from Gaussian
    noise, conditioned on the brain tokens, no guidance (MindEye's cond_scale 1) — the loop the C# pipeline runs."""
    ac = prior_alphas_cumprod()
    ratio = PRIOR_STEPS // steps
    x = torch.randn(cond.shape, generator=generator)
    for t in (torch.arange(steps - 1, -1, -1) * ratio).tolist():
        x0 = prior(x, torch.tensor(float(t)), cond)
        prev = t - ratio
        a_t, a_p = ac[t], (ac[prev] if prev >= 0 else torch.tensor(1.0))
        e = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        x = a_p.sqrt() * x0 + (1 - a_p).sqrt() * e
    return x
