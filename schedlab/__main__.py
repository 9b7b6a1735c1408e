"""Command line: ``python -m schedlab curve --scheduler "..." --steps N``.

Bad input exits with status 2 and one line on stderr naming the problem; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Sequence

from schedlab.curve import MAX_STEPS, compute_curve
from schedlab.errors import ScheduleError
from schedlab.parse import DEFAULT_OPTIMIZER, parse_schedule


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        self.exit(2, f"schedlab: error: {message} (see python -m schedlab --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m schedlab",
                     description="See exactly what a PyTorch lr schedule does.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    curve = sub.add_parser("curve", help="print the lr (and momentum) at every step")
    curve.add_argument("--scheduler", required=True,
                       help='scheduler code, e.g. "StepLR(optimizer, step_size=30)"')
    curve.add_argument("--optimizer", default=DEFAULT_OPTIMIZER,
                       help=f'optimizer code (default: "{DEFAULT_OPTIMIZER}")')
    curve.add_argument("--steps", required=True, type=_steps,
                       help=f"number of optimizer steps, 1 to {MAX_STEPS:,}")
    curve.add_argument("--format", choices=("csv", "json"), default="csv",
                       help="csv (default) or json (a list of row objects)")
    return parser


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--steps must be a whole number, not {text!r}")
    if not 1 <= value <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"--steps must be 1 to {MAX_STEPS:,}, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        schedule = parse_schedule(args.scheduler, args.optimizer)
        table = compute_curve(schedule, args.steps)
    except ScheduleError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.format == "csv":
            table.to_csv(sys.stdout, index=False)
        else:
            rows = table.to_dict(orient="records")
            json.dump([{k: _json_number(v) for k, v in row.items()} for row in rows],
                      sys.stdout)
            sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        sys.stderr.close()
    return 0


def _json_number(v: float | int) -> float | int | None:
    """JSON has no NaN or infinity; such values (from odd lambdas) become null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


if __name__ == "__main__":
    sys.exit(main())
