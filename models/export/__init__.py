"""Scripts that turn real PyTorch checkpoints into a FmriToImage model bundle (docs/real-models.md)."""
