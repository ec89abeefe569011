"""Full-size stand-ins of the published networks (random weights, published layer shapes) for real-scale checks."""
