"""The Streamlit app's scripts: ``home.py`` (the entry point) and ``pages/`` (one script per
page, found by Streamlit next to the entry point). ``python -m schedlab app`` runs it; the
widgets the pages share are in ``schedlab.ui``."""

import os
import sys
from pathlib import Path

HOME = Path(__file__).with_name("home.py")

# Streamlit's settings for this app (as environment variables, so that the user's own
# variable or a command-line flag still wins): the pages draw their own navigation
# (schedlab/ui/page.py) with readable names and nothing is reported anywhere. It serves a
# class, not someone editing its pages, and two of Streamlit's defaults for the latter cost
# every session (measured on 2 cores): watching the source files held the event loop, so
# every session's messages, about 0.5 s at each new session's first run; and the full garbage
# collection after each script run held the GIL 45-120 ms per redraw with torch and pandas
# loaded. Python's own collector still runs (schedlab/ui/memory.py keeps the libraries'
# objects out of its sight); `--server.fileWatcherType auto` reruns on save while editing.
SETTINGS = {
    "STREAMLIT_CLIENT_SHOW_SIDEBAR_NAVIGATION": "false",
    "STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "STREAMLIT_RUNNER_POST_SCRIPT_GC": "false",
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
}


def launch(options: list[str]) -> None:
    """Become ``streamlit run home.py`` with these further options (``--server.port 8502``
    and the like): the same process, so a signal or Ctrl-C reaches the server itself."""
    for name, value in SETTINGS.items():
        os.environ.setdefault(name, value)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", str(HOME), *options])
