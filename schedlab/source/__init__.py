"""Pasted PyTorch code -> Schedule."""
