"""Keep JupyterLab from reaching the network for news and updates, in one Python environment.

Analysts open the notebooks offline, and JupyterLab 4 asks on first start “Would you like to
receive official Jupyter news?” and then fetches a feed and checks for updates. This writes,
under the environment's prefix (default: the running interpreter's ``sys.prefix``, the .venv
that scripts/setup.sh made), the three settings that turn this off for every user of it:

* ``etc/jupyter/labconfig/page_config.json``: the announcements plugin
  (``@jupyterlab/apputils-extension:announcements``, which asks the question) is disabled;
* ``share/jupyter/lab/settings/overrides.json``: the notification settings say never fetch
  news (``fetchNews: "false"``) and never check for updates;
* ``etc/jupyter/jupyter_server_config.d/evalkit-offline.json``: the server has no news URL
  and never checks for updates.

Existing keys of these files are kept; running it twice changes nothing.

    python scripts/jupyter_offline.py [PREFIX]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: Path under the prefix -> the settings evalkit needs in that file (merged into what is there).
SETTINGS: dict[str, dict] = {
    "etc/jupyter/labconfig/page_config.json": {
        "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True},
    },
    "share/jupyter/lab/settings/overrides.json": {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    },
    "etc/jupyter/jupyter_server_config.d/evalkit-offline.json": {
        "LabApp": {"news_url": None,
                   "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate"},
    },
}


def _merge(into: dict, extra: dict) -> dict:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def write_offline_settings(prefix: Path) -> list[Path]:
    """Write (merge) ``SETTINGS`` under ``prefix``; returns the files written."""
    written = []
    for rel, wanted in SETTINGS.items():
        path = Path(prefix) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        except ValueError:
            current = {}  # an unreadable file is replaced: JupyterLab could not read it either
        if not isinstance(current, dict):
            current = {}
        merged = _merge(current, wanted)
        text = json.dumps(merged, ensure_ascii=False, indent=2) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    prefix = Path(argv[0]) if argv else Path(sys.prefix)
    for path in write_offline_settings(prefix):
        print(f"[setup] JupyterLab offline: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
