"""The README's two set-up commands are the ones CI runs and the ones that work."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, re.S)


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_test_one() -> None:
    start, test = _setup_commands()
    assert start.endswith("python -m schedlab app") and "requirements.txt" in start
    assert test.endswith("python -m pytest")
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()
    assert (ROOT / "requirements-dev.txt").exists() and (ROOT / "requirements-timm.txt").exists()


def test_the_transformers_and_timm_examples_print_what_the_readme_shows() -> None:
    """Each Python block of that section, run in turn, prints the block after it."""
    import contextlib
    import io
    import re

    text = (ROOT / "README.md").read_text()
    section = text.split("## transformers and timm schedules")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```\n```\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    namespace: dict = {}
    for code, printed in blocks:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<README>", "exec"), namespace)  # the README's own example
        assert out.getvalue() == printed
