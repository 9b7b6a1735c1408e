"""The data model: what a schedule is, checked when it is made (no torch)."""
