"""What importing a part of schedlab costs: the package and the run store never pull in
torch (seconds of start-up for a worker, a CLI call or an app page that does not need it)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str) -> set[str]:
    code = (f"import sys\n{statement}\n"
            "print(' '.join(m for m in ('torch', 'pandas', 'plotly', 'streamlit', 'psycopg', "
            "'ray') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return set(out.stdout.split())


@pytest.mark.parametrize("statement,allowed", [
    ("import schedlab", set()),
    ("from schedlab import ScheduleError, Schedule, catalog", set()),
    ("from schedlab.jobs.store import RunStore", {"pandas"}),
    # the embedded default never loads PostgreSQL's driver, nor Ray
    ("from schedlab.jobs.manager import JobManager; import tempfile, os; "
     "JobManager(os.path.join(tempfile.mkdtemp(), 'r.sqlite3')).shutdown()",
     {"torch", "pandas"}),
    ("from schedlab import parse_schedule; parse_schedule('StepLR(optimizer, 30)', "
     "'SGD(params, lr=0.1)')", {"torch", "pandas"}),  # torch judges what it alone can
])
def test_imports_pull_in_only_what_they_need(statement: str, allowed: set[str]) -> None:
    assert loaded_after(statement) <= allowed


def test_public_names_still_resolve() -> None:
    import schedlab

    for name in schedlab.__all__:
        assert getattr(schedlab, name) is not None
    with pytest.raises(AttributeError):
        schedlab.no_such_name  # noqa: B018
