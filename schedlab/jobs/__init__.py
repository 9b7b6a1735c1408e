"""Training runs in the background: the manager, the worker, the run store."""
