"""python -m schedlab curve: tables on stdout, one-line errors and exit status 2."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pandas as pd
import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedlab", *args], capture_output=True,
                          text=True, timeout=120)


def test_csv_table_matches_compute_curve() -> None:
    from schedlab import compute_curve, parse_schedule

    out = run("curve", "--optimizer", "optim.SGD(model.parameters(), lr=0.1, momentum=0.9)",
              "--scheduler", "OneCycleLR(optimizer, max_lr=0.5, total_steps=100)",
              "--steps", "101")
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(io.StringIO(out.stdout))
    expected = compute_curve(parse_schedule(
        "OneCycleLR(optimizer, max_lr=0.5, total_steps=100)",
        "optim.SGD(model.parameters(), lr=0.1, momentum=0.9)"), 101)
    assert list(table.columns) == ["step", "lr", "momentum"]
    pd.testing.assert_frame_equal(table, expected, check_exact=True)


def test_json_rows() -> None:
    out = run("curve", "--scheduler", "StepLR(optimizer, step_size=2, gamma=0.5)",
              "--steps", "5", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["lr"] for r in rows] == [0.1, 0.1, 0.05, 0.05, 0.025]
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("args,message", [
    (["curve", "--scheduler", "StepLR(optimizer, step_size=0)", "--steps", "5"], "step_size=0"),
    (["curve", "--scheduler", "StepLR(optimizer, 5)", "--steps", "0"], "--steps"),
    (["curve", "--scheduler", "StepLR(optimizer, 5)", "--steps", "ten"], "whole number"),
    (["curve", "--scheduler", "StepLR(optimizer, 5)", "--steps", "99999999"], "10,000,000"),
    (["curve", "--steps", "5"], "--scheduler"),
    (["curve", "--scheduler", "StepLR(", "--steps", "5"], "not valid Python"),
    (["curve", "--scheduler", "OneCycleLR(opt, max_lr=1, total_steps=5)", "--steps", "50"],
     "Tried to step 6 times"),
    (["curve", "--scheduler", "StepLR(o, 5)", "--optimizer", "SGD(p, lr=-1)", "--steps", "5"],
     "lr=-1"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_input_exits_2_with_one_line(args: list, message: str, capsys) -> None:
    from schedlab.cli import main

    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("schedlab: error:"), out.err
    assert message in lines[0]


def test_a_real_process_prints_no_traceback() -> None:
    out = run("curve", "--scheduler", "LambdaLR(optimizer, lambda e: 1 / (e - 3))",
              "--steps", "10")
    assert out.returncode == 2
    assert out.stderr.startswith("schedlab: error:") and "e=3" in out.stderr
    assert "Traceback" not in out.stderr
