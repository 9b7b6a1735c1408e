"""``python -m schedlab``: the command line (schedlab/cli.py)."""

from schedlab.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
