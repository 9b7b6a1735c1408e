"""What a curve means: the sanity checks, its events, its length."""
