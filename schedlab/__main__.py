"""Command line: ``python -m schedlab curve|check|train ...``.

Bad input exits with status 2 and one line on stderr naming the problem; never a traceback.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from typing import Sequence

from schedlab.curve import MAX_STEPS, compute_curve
from schedlab.errors import DataError, ScheduleError
from schedlab.parse import DEFAULT_OPTIMIZER, parse_schedule
from schedlab.train import DEVICES, TrainConfig, train


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
    train = sub.add_parser("train", help="train a small MNIST model, printing JSON lines")
    train.add_argument("--scheduler", required=True, help="scheduler code")
    train.add_argument("--optimizer", default=DEFAULT_OPTIMIZER, help="optimizer code")
    train.add_argument("--epochs", type=_whole, default=TrainConfig.epochs)
    train.add_argument("--batch-size", type=_whole, default=TrainConfig.batch_size)
    train.add_argument("--model", choices=("cnn", "mlp"), default=TrainConfig.model)
    train.add_argument("--device", choices=DEVICES, default=TrainConfig.device)
    train.add_argument("--step-per", choices=("batch", "epoch"), default=TrainConfig.step_per,
                       help="call scheduler.step() after every batch or every epoch")
    train.add_argument("--data", default=TrainConfig.data,
                       help="auto (download or offline subset), offline, or a directory")
    train.add_argument("--log-every", type=_whole, default=TrainConfig.log_every,
                       help="optimizer steps between two step lines")
    train.add_argument("--seed", type=_whole, default=TrainConfig.seed)
    check = sub.add_parser("check", help="report schedule mistakes; exit 1 on errors")
    check.add_argument("--scheduler", required=True, help="scheduler code")
    check.add_argument("--optimizer", default=DEFAULT_OPTIMIZER, help="optimizer code")
    check.add_argument("--steps", required=True, type=_steps,
                       help="scheduler.step() calls in the run (epochs, or batches)")
    check.add_argument("--steps-per-epoch", type=_whole, default=None,
                       help="batches per epoch (reveals lengths counted in the wrong unit)")
    check.add_argument("--step-per", choices=("epoch", "batch"), default="epoch",
                       help="scheduler.step() is called once per epoch (default) or batch")
    check.add_argument("--format", choices=("text", "json"), default="text")
    worker = sub.add_parser("worker", help=argparse.SUPPRESS)  # started by the app itself
    worker.add_argument("--db", required=True)
    worker.add_argument("--parent", type=int, default=None)
    return parser


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None


def _steps(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--steps must be a whole number, not {text!r}") \
            from None
    if not 1 <= value <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"--steps must be 1 to {MAX_STEPS:,}, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.command == "check":
        return _check(args)
    if args.command == "worker":
        from schedlab.worker import serve

        serve(args.db, args.parent)
        return 0
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


def _train(args: argparse.Namespace) -> int:
    try:
        schedule = parse_schedule(args.scheduler, args.optimizer)
        config = TrainConfig(args.epochs, args.batch_size, args.model, args.device,
                             args.step_per, args.data, args.log_every, args.seed)
        events = train(schedule, config)
        first = next(events)  # data and schedule problems surface before any output
    except (ScheduleError, DataError) as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    try:
        for event in itertools.chain([first], events):
            _print_json(event)
    except (ScheduleError, DataError, RuntimeError) as exc:  # e.g. a loss that overflows
        _print_json({"event": "done", "status": "failed", "error": str(exc)})
        return 1
    except BrokenPipeError:
        sys.stderr.close()
    except KeyboardInterrupt:
        _print_json({"event": "done", "status": "stopped"})
        return 130
    return 0


def _check(args: argparse.Namespace) -> int:
    from schedlab.checks import check_schedule

    try:
        schedule = parse_schedule(args.scheduler, args.optimizer)
        findings = check_schedule(schedule, args.steps, args.steps_per_epoch, args.step_per)
    except ScheduleError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        json.dump([f.to_dict() for f in findings], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for f in findings:
            print(f"{f.severity}: {f.message}\n  fix: {f.fix}\n  steps {f.start}-{f.end - 1}")
        counts = {s: sum(f.severity == s for f in findings) for s in ("error", "warning",
                                                                        "info")}
        print(", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}"
                        for s, n in counts.items()) if findings else "no problems found")
    return 1 if any(f.severity == "error" for f in findings) else 0


def _print_json(event: dict) -> None:
    print(json.dumps({k: _json_number(v) for k, v in event.items()}), flush=True)


def _json_number(v: float | int) -> float | int | None:
    """JSON has no NaN or infinity; such values (from odd lambdas) become null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


if __name__ == "__main__":
    sys.exit(main())
