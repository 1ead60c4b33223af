"""Re-planning the day as it happens: events, the residual batch, stitching, checks."""
