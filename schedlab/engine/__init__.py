"""Curves: the vectorized models of torch's schedulers, torch as oracle and fallback."""
