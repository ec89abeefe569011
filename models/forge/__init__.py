"""The forge: a seeded, deterministic simulation of an NSD-like fMRI experiment (the demo world).

Modules:
    config      -- WorldConfig: every number that shapes the world, and the seed.
    stimuli     -- procedural 64x64 scenes with captions.
    features    -- low-level image feature maps (orientation energy, colour opponency, contrast).
    subject     -- simulated subject: anatomy, NSD-named ROI volumes, voxel tuning, noise-free responses.
    experiment  -- the trial design (3 repetitions over 12 sessions x 750 trials) and noisy single-trial betas.
    writer      -- NSD file layout, byte-deterministic HDF5 / NIfTI / CSV writers and the sha256 manifest.
    validate    -- noise ceiling (NSD formula), ridge-regression identification baseline, docs/demo-world.md.
    simulate    -- the command-line entry point (python3 -m models.forge.simulate).
"""
