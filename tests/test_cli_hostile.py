"""The command line under hostile input: exit status 2, one line on stderr, no traceback;
the internal worker command hidden; curves at the cap written in bounded memory."""

from __future__ import annotations

import io
import json
import math
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from schedlab import cli
from schedlab.present import table as table_module
from schedlab.errors import StoreError

S = ["--scheduler", "StepLR(optimizer, step_size=5)"]
TRAIN = ["train", *S, "--epochs", "1", "--model", "mlp"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedlab", *args], capture_output=True,
                          text=True, timeout=timeout)


def assert_one_line_error(out: subprocess.CompletedProcess, *phrases: str) -> str:
    assert "Traceback" not in out.stderr, out.stderr
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("schedlab: error:"), out.stderr
    assert len(lines[0]) < 400, "the message quotes too much of the input"
    for phrase in phrases:
        assert phrase in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def odd_paths(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("odd")
    (root / "a-file").write_text("hello, not a database and not a directory\n")
    os.mkfifo(root / "fifo")
    (root / "dir").mkdir()
    return {"file": str(root / "a-file"), "fifo": str(root / "fifo"),
            "dir": str(root / "dir"), "root": str(root)}


HOSTILE = [  # arguments, phrases the message must hold, also run as a real process
    (["curve", *S, "--steps", "9" * 5000], ["--steps", "far too large"], True),
    (["curve", *S, "--steps", "-5"], ["--steps must be 1 to 10,000,000"], False),
    (["curve", *S, "--steps", ""], ["whole number"], False),
    (["curve", "--scheduler", "", "--steps", "5"], ["no scheduler found"], False),
    (["check", *S, "--steps", "5", "--steps-per-epoch", "0"], ["steps_per_epoch"], False),
    ([*TRAIN, "--batch-size", "0"], ["batch_size", "1 to 65536"], False),
    ([*TRAIN, "--epochs", "99999999999999999999999"], ["epochs", "1 to 1000"], False),
    ([*TRAIN, "--seed", "9" * 5000], ["--seed", "far too large"], False),
    ([*TRAIN, "--data", ""], ["data must be auto, offline or a directory"], False),
    ([*TRAIN, "--data", "/dev/zero"], ["/dev/zero", "not a directory"], True),
    ([*TRAIN, "--data", "{file}"], ["not a directory"], False),
    ([*TRAIN, "--data", "{fifo}"], ["not a directory"], True),
    ([*TRAIN, "--data", "{dir}"], ["is missing", "train-images-idx3-ubyte.gz"], False),
    ([*TRAIN, "--data", "a" * 5000], ["no such directory"], False),
    ([*TRAIN, "--optimizer", "LBFGS(params, lr=1)"], ["LBFGS cannot be trained", "closure"], True),
    ([*TRAIN, "--optimizer", "SparseAdam(params)"], ["SparseAdam cannot", "sparse"], False),
    ([*TRAIN, "--optimizer", "Muon(params, lr=0.02)"], ["Muon cannot", "2-D"], False),
    ([*TRAIN, "--optimizer", "Adam(params, capturable=True)"], ["capturable=True"], False),
    (["worker", "--db", "{dir}"], ["is a directory"], True),
    (["worker", "--db", "{root}/missing/runs.sqlite3"], ["does not exist"], False),
    (["worker", "--db", "{file}/runs.sqlite3"], ["is not a directory"], False),
    (["worker", "--db", "{file}"], ["a-file", "not an SQLite database"], True),
    (["worker", "--db", "{fifo}"], ["not a regular file"], False),
    (["worker", "--db", "/dev/zero"], ["/dev/zero", "not a regular file"], False),
    (["worker", "--db", ""], ["SQLite file"], False),
    (["worker", "--db", "{root}/new.sqlite3", "--parent", "0"], ["process id"], False),
]


@pytest.mark.parametrize("args,phrases,real", HOSTILE,
                         ids=[" ".join(a)[:60] for a, _, _ in HOSTILE])
def test_hostile_arguments_exit_2_with_one_line(args, phrases, real, odd_paths,
                                                capsys) -> None:
    try:  # in this process (a real process costs seconds of imports): main() is all of it
        code = cli.main([a.format(**odd_paths) for a in args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out = capsys.readouterr()
    assert_one_line_error(subprocess.CompletedProcess(args, code, out.out, out.err), *phrases)
    assert out.out == ""


REAL = [(args, phrases) for args, phrases, real in HOSTILE if real]  # a few: seconds each


@pytest.mark.parametrize("args,phrases", REAL, ids=[" ".join(a)[:60] for a, _ in REAL])
def test_a_real_process_prints_one_line_and_no_traceback(args, phrases, odd_paths) -> None:
    out = run(*(a.format(**odd_paths) for a in args))
    assert_one_line_error(out, *phrases)
    assert out.stdout == ""


def test_a_worker_refused_creates_nothing(odd_paths) -> None:
    missing = Path(odd_paths["root"]) / "nowhere"
    assert_one_line_error(run("worker", "--db", str(missing / "runs.sqlite3")), str(missing))
    assert not missing.exists()
    before = Path(odd_paths["file"]).read_text()
    run("worker", "--db", odd_paths["file"])
    assert Path(odd_paths["file"]).read_text() == before


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs")
def test_a_store_folder_even_root_cannot_write(capsys) -> None:
    db = "/sys/kernel/schedlab-runs.sqlite3"
    if os.path.lexists(db):
        pytest.skip("sysfs holds such a file here")
    assert cli.main(["worker", "--db", db]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and db in err[0] and "writable" in err[0]


def test_a_new_store_is_accepted_and_the_worker_ends_with_its_parent(tmp_path) -> None:
    # parent 1 is not this worker's parent: it exits as soon as it has warmed up
    out = run("worker", "--db", str(tmp_path / "runs.sqlite3"), "--parent", "1",
              timeout=300)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert (tmp_path / "runs.sqlite3").read_bytes().startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize("error,phrase", [
    (StoreError("/x/runs.sqlite3 is damaged: move it away"), "move it away"),
    (sqlite3.DatabaseError("disk image is malformed"), "disk image is malformed"),
    (OSError(28, "No space left on device"), "No space left on device"),
])
def test_store_failures_inside_the_worker_are_one_line(error, phrase, tmp_path, monkeypatch,
                                                       capsys) -> None:
    import schedlab.jobs.worker

    def serve(db, parent, until_idle=None):
        raise error

    monkeypatch.setattr(schedlab.jobs.worker, "serve", serve)
    assert cli.main(["worker", "--db", str(tmp_path / "runs.sqlite3")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("schedlab: error:") and phrase in err[0]


def test_help_hides_the_worker_command() -> None:
    top = run("--help")
    assert top.returncode == 0
    assert "worker" not in top.stdout and "SUPPRESS" not in top.stdout
    assert "{app,curve,train,check,lr-find}" in top.stdout
    wrong = run("frobnicate")
    assert_one_line_error(wrong, "invalid choice")
    assert "worker" not in wrong.stderr
    own = run("worker", "--help")
    assert own.returncode == 0 and "--db" in own.stdout and "SUPPRESS" not in own.stdout


def test_an_unexpected_error_is_one_line_too(monkeypatch, capsys) -> None:
    def broken(*args, **kwargs):
        raise TypeError("something nobody expected")

    monkeypatch.setattr(cli, "compute_curve", broken)
    assert cli.main(["curve", *S, "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "internal error" in err[0] and "nobody expected" in err[0]


def odd_table() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    lr = rng.random(50) * 10.0 ** rng.integers(-300, 300, 50)
    lr[[3, 17, 40]] = [np.nan, np.inf, -np.inf]
    return pd.DataFrame({"step": np.arange(50), "lr": lr, "lr_1": lr / 3,
                         "momentum": np.full(50, 0.9)})


@pytest.mark.parametrize("rows", [1, 7, 50])
def test_chunked_output_is_the_whole_table_formatted_at_once(rows, monkeypatch) -> None:
    monkeypatch.setattr(table_module, "CHUNK_ROWS", rows)
    table = odd_table()
    csv, js = io.StringIO(), io.StringIO()
    table_module.write_table(table, "csv", csv)
    table_module.write_table(table, "json", js)
    assert csv.getvalue() == table.to_csv(index=False)
    records = [{k: None if isinstance(v, float) and not math.isfinite(v) else v
                for k, v in row.items()} for row in table.to_dict(orient="records")]
    assert js.getvalue() == json.dumps(records) + "\n"
    assert json.loads(js.getvalue())[3]["lr"] is None


def peak_rss_mb(*args: str) -> float:
    """The largest resident memory of ``python -m schedlab ARGS``, in MB."""
    probe = ("import resource, subprocess, sys; "
             "subprocess.run([sys.executable, '-m', 'schedlab', *sys.argv[1:]], check=True, "
             "stdout=subprocess.DEVNULL); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True,
                         text=True, timeout=600, check=True)
    return int(out.stdout) / 1024


@pytest.mark.slow
def test_json_at_a_million_steps_needs_no_more_memory_than_csv() -> None:
    args = ["curve", *S, "--steps", "1000000", "--format"]
    csv, js = peak_rss_mb(*args, "csv"), peak_rss_mb(*args, "json")
    assert js < csv + 100, f"json {js:.0f} MB, csv {csv:.0f} MB"
