"""Command line: ``python -m schedlab app|curve|check|train|lr-find ...``.

Bad input exits with status 2 and one line on stderr naming the problem; never a traceback.
``worker`` (the training process the app starts itself) is internal: it is answered before
the public parser, so neither the help nor an error message lists it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sqlite3
import sys
from typing import Iterator, Sequence

from schedlab.analysis.rangetest import MODES
from schedlab.engine.curve import compute_curve
from schedlab.errors import SchedlabError, StoreError, quote
from schedlab.messages import Text
from schedlab.present.table import write_table
from schedlab.source.parse import DEFAULT_OPTIMIZER, parse_optimizer, parse_schedule
from schedlab.spec.horizon import MAX_STEPS
from schedlab.training.loop import DEVICES, TrainConfig, describe_error, train
from schedlab.training.lrfind import MAX_SWEEP_STEPS, RangeTest, lr_find


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not argparse's usage block
        self.exit(2, f"schedlab: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m schedlab",
                     description="See exactly what a PyTorch lr schedule does.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser,
                                metavar="{app,curve,train,check,lr-find}")
    sub.add_parser("app", help="start the web app; further options go to `streamlit run`, "
                   "e.g. --server.port 8502", add_help=False)
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
                       help="auto (download or offline subset), offline, or a directory "
                            "holding the four MNIST .gz files (symbolic links to them are "
                            "fine; FIFOs, devices and directories are refused)")
    train.add_argument("--log-every", type=_whole, default=TrainConfig.log_every,
                       help="optimizer steps between two step lines")
    train.add_argument("--seed", type=_whole, default=TrainConfig.seed)
    train.add_argument("--submit", action="store_true",
                       help="queue the run in the run store (SCHEDLAB_STORE) for the "
                            "workers (SCHEDLAB_JOBS) instead of training here; prints "
                            '{"event": "submitted", "run_id": N}')
    runs = sub.add_parser("runs", help="list the runs in the run store (SCHEDLAB_STORE): "
                          "status, steps stored, final accuracy")
    runs.add_argument("--format", choices=("text", "json"), default="text",
                      help="text (default) or json (a list of run objects)")
    check = sub.add_parser("check", help="report schedule mistakes; exit 1 on errors")
    check.add_argument("--scheduler", required=True, help="scheduler code")
    check.add_argument("--optimizer", default=DEFAULT_OPTIMIZER, help="optimizer code")
    check.add_argument("--steps", required=True, type=_steps,
                       help="scheduler.step() calls in the run (epochs, or batches)")
    check.add_argument("--steps-per-epoch", type=_whole, default=None,
                       help="batches per epoch (reveals lengths counted in the wrong unit; "
                            "len(train_loader) in the code stands for it)")
    check.add_argument("--step-per", choices=("epoch", "batch"), default="epoch",
                       help="scheduler.step() is called once per epoch (default) or batch")
    check.add_argument("--format", choices=("text", "json"), default="text")
    find = sub.add_parser("lr-find", help="the LR range test: sweep the lr over a short "
                          "MNIST run, printing JSON lines and two suggestions")
    find.add_argument("--optimizer", required=True,
                      help='optimizer code, e.g. "Adam(model.parameters(), lr=1e-3)"')
    find.add_argument("--start-lr", type=_positive, default=RangeTest.start_lr)
    find.add_argument("--end-lr", type=_positive, default=RangeTest.end_lr)
    find.add_argument("--steps", type=_whole, default=RangeTest.steps,
                      help=f"optimizer steps of the sweep, 2 to {MAX_SWEEP_STEPS:,} (it stops "
                           "early once the smoothed loss exceeds 4x its best)")
    find.add_argument("--mode", choices=MODES, default=RangeTest.mode,
                      help="the lr rises exponentially (default) or linearly")
    find.add_argument("--data", default=RangeTest.data, help="as for train")
    find.add_argument("--model", choices=("cnn", "mlp"), default=RangeTest.model)
    find.add_argument("--batch-size", type=_whole, default=RangeTest.batch_size)
    find.add_argument("--seed", type=_whole, default=RangeTest.seed)
    find.add_argument("--device", choices=DEVICES, default=RangeTest.device)
    return parser


def build_worker_parser() -> argparse.ArgumentParser:
    """The internal ``worker`` command's own parser (the app starts workers itself)."""
    parser = _Parser(prog="python -m schedlab worker",
                     description="(internal) run queued training runs from a run store")
    parser.add_argument("--db", required=True,
                        help="the run store: an SQLite file, or 'env' for the PostgreSQL "
                             "server that SCHEDLAB_STORE names")
    parser.add_argument("--parent", type=_process_id, default=None,
                        help="exit when this process (the app) is gone")
    parser.add_argument("--until-idle", type=_positive, default=None, metavar="SECONDS",
                        help="exit once the queue has been empty this long")
    return parser


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        pass
    if text.strip().lstrip("+-").isdecimal():  # more digits than int() takes
        raise argparse.ArgumentTypeError(f"'{quote(text, 30)}' is far too large")
    raise argparse.ArgumentTypeError(f"expected a whole number, not '{quote(text, 30)}'")


def _steps(text: str) -> int:
    value = _whole(text)
    if not 1 <= value <= MAX_STEPS:
        raise argparse.ArgumentTypeError(f"--steps must be 1 to {MAX_STEPS:,}, not "
                                         f"{quote(value, 30)}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 1e-7, not "
                                         f"'{quote(text, 30)}'") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {quote(text, 30)}")
    return value


def _process_id(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a process id (1 or more), not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the exit status (0, 1 for check errors or a failed run, 2 for bad
    input). Nothing escapes as a traceback, not even a bug: it is one line too."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["app"]:  # everything after it is Streamlit's
            from schedlab.app import launch

            launch(argv[1:])
        if argv[:1] == ["worker"]:
            return _worker(build_worker_parser().parse_args(argv[1:]))
        args = build_parser().parse_args(argv)
        return {"train": _train, "check": _check, "curve": _curve,
                "lr-find": _lr_find, "runs": _runs}[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop writing, quietly
        _drop_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001 (the promise above)
        print(f"schedlab: error: internal error ({type(exc).__name__}: {quote(exc, 200)}); "
              "please report it with the command line", file=sys.stderr)
        return 2


def _curve(args: argparse.Namespace) -> int:
    try:
        schedule = parse_schedule(args.scheduler, args.optimizer)
        table = compute_curve(schedule, args.steps)
    except SchedlabError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    write_table(table, args.format, sys.stdout)
    sys.stdout.flush()
    return 0


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit cannot fail on a closed pipe."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _worker(args: argparse.Namespace) -> int:
    from schedlab.jobs.pgstore import is_server
    from schedlab.jobs.storefile import store_problem

    if args.db == "env":  # a server's URL, password included, is kept out of ps
        args.db = os.environ.get("SCHEDLAB_STORE", "")
        if not is_server(args.db):
            print("schedlab: error: worker --db env: SCHEDLAB_STORE must be a PostgreSQL "
                  "URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)", file=sys.stderr)
            return 2
    problem = None if is_server(args.db) else store_problem(args.db)
    if problem:
        shown = quote(args.db) or "''"
        print(f"schedlab: error: worker --db {shown}: {problem}", file=sys.stderr)
        return 2
    from schedlab.jobs.worker import serve

    try:
        serve(args.db, args.parent, args.until_idle)
    except StoreError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as exc:
        print(f"schedlab: error: worker --db {quote(args.db)}: the run store cannot be used "
              f"({quote(exc, 120)}); give an SQLite file in a writable folder",
              file=sys.stderr)
        return 2
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        schedule = parse_schedule(args.scheduler, args.optimizer)
        config = TrainConfig(args.epochs, args.batch_size, args.model, args.device,
                             args.step_per, args.data, args.log_every, args.seed)
        if args.submit:
            return _submit(schedule, config)
        events = train(schedule, config)
        first = next(events)  # data and schedule problems surface before any output
    except SchedlabError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    return _stream(first, events)


def _stream(first: dict, events: Iterator[dict]) -> int:
    """Print a run's events as JSON lines; a failure part-way ends with a failed ``done``
    line and status 1, Ctrl-C with a stopped one and 130."""
    try:
        for event in itertools.chain([first], events):
            _print_json(event)
    except (SchedlabError, RuntimeError) as exc:  # e.g. a loss that overflows
        _print_json({"event": "done", "status": "failed", "error": describe_error(exc)
                     if hasattr(exc, "stopped_at") else str(exc)})
        return 1
    except BrokenPipeError:
        _drop_stdout()
    except Exception as exc:  # noqa: BLE001 (as the worker does: a run fails, stated)
        _print_json({"event": "done", "status": "failed", "error": describe_error(exc)})
        return 1
    except KeyboardInterrupt:
        _print_json({"event": "done", "status": "stopped"})
        return 130
    return 0


def _lr_find(args: argparse.Namespace) -> int:
    try:
        optimizer = parse_optimizer(args.optimizer)
        test = RangeTest(args.start_lr, args.end_lr, args.steps, args.mode, args.data,
                         args.model, args.batch_size, args.seed, args.device)
        events = lr_find(optimizer, test)
        first = next(events)  # the optimizer, the data and torch's checks come first
    except SchedlabError as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    return _stream(first, events)


def _submit(schedule, config: TrainConfig) -> int:
    """Queue the run through the configured store and backend; its id as one JSON line."""
    from schedlab.jobs.backends import cli_session, dispatch
    from schedlab.jobs.manager import caps_setting, default_store_path
    from schedlab.jobs.store import connect
    from schedlab.training.loop import check_trainable

    try:
        check_trainable(schedule)
        location = default_store_path()
        caps = caps_setting()
        store = connect(location)
        dispatch(location, store)  # first: a run is queued only where something trains it
        label = f"{schedule.scheduler.label()} · {schedule.optimizer.name}"
        run_id = store.submit(label[:200], schedule.to_json(), config.to_dict(),
                              session=cli_session(), caps=caps)
    except (SchedlabError, StoreError) as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    _print_json({"event": "submitted", "run_id": run_id})
    return 0


def _runs(args: argparse.Namespace) -> int:
    """The runs in the store, newest first (an SQLite store not made yet has none)."""
    from schedlab.jobs.manager import default_store_path
    from schedlab.jobs.pgstore import is_server
    from schedlab.jobs.store import connect
    from schedlab.messages import unstored

    try:
        location = default_store_path()
        rows = [] if not is_server(location) and not os.path.exists(location) else \
            connect(location, readonly=not is_server(location)).summaries()
    except (SchedlabError, StoreError) as exc:
        print(f"schedlab: error: {exc}", file=sys.stderr)
        return 2
    for row in rows:
        row["error"] = None if row["error"] is None else str(unstored(row["error"]))
        row["test_acc"] = _json_number(row["test_acc"])
    if args.format == "json":
        json.dump(rows, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("no runs yet")
        return 0
    print(f"{'id':>6}  {'status':<11} {'steps':>7}  {'accuracy':>8}  {'device':<6}  label")
    for r in rows:
        acc = "-" if r["test_acc"] is None else f"{r['test_acc']:.4f}"
        print(f"{r['id']:>6}  {r['status']:<11} {r['steps']:>7}  {acc:>8}  "
              f"{r['device'] or '-':<6}  {r['label'][:60]}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from schedlab.analysis.checks import check_schedule

    try:
        schedule = parse_schedule(args.scheduler, args.optimizer,
                                  steps_per_epoch=args.steps_per_epoch)
        findings = check_schedule(schedule, args.steps, args.steps_per_epoch, args.step_per)
    except SchedlabError as exc:
        hint = " (give it with --steps-per-epoch)" if "steps per epoch, unknown" in str(exc) \
            else ""
        print(f"schedlab: error: {exc}{hint}", file=sys.stderr)
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
    print(json.dumps({k: str(v) if isinstance(v, Text) else _json_number(v)
                      for k, v in event.items()}), flush=True)


def _json_number(v: float | int) -> float | int | None:
    """JSON has no NaN or infinity; such values (from odd lambdas) become null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


if __name__ == "__main__":
    sys.exit(main())
