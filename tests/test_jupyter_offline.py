"""scripts/jupyter_offline.py: JupyterLab in the project environment neither asks about nor fetches news."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "jupyter_offline.py"
PAGE_CONFIG = "etc/jupyter/labconfig/page_config.json"
OVERRIDES = "share/jupyter/lab/settings/overrides.json"
SERVER = "etc/jupyter/jupyter_server_config.d/evalkit-offline.json"


def _expect_offline(prefix: Path) -> None:
    page = json.loads((prefix / PAGE_CONFIG).read_text(encoding="utf-8"))
    assert page["disabledExtensions"]["@jupyterlab/apputils-extension:announcements"] is True
    over = json.loads((prefix / OVERRIDES).read_text(encoding="utf-8"))
    assert over["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}
    server = json.loads((prefix / SERVER).read_text(encoding="utf-8"))
    assert server["LabApp"]["news_url"] is None
    assert server["LabApp"]["check_for_updates_class"].endswith("NeverCheckForUpdate")


def test_writes_the_three_settings_and_keeps_existing_keys(tmp_path):
    """The script writes page_config, overrides and the server config; keys already there survive; twice is once."""
    (tmp_path / PAGE_CONFIG).parent.mkdir(parents=True)
    (tmp_path / PAGE_CONFIG).write_text(json.dumps({"disabledExtensions": {"other:plugin": True}, "x": 1}),
                                        encoding="utf-8")
    for _ in range(2):
        subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], check=True, capture_output=True)
    _expect_offline(tmp_path)
    page = json.loads((tmp_path / PAGE_CONFIG).read_text(encoding="utf-8"))
    assert page["disabledExtensions"]["other:plugin"] is True and page["x"] == 1


def test_setup_runs_it_for_the_venv():
    """scripts/setup.sh writes the settings into .venv on every run."""
    assert "scripts/jupyter_offline.py" in (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")


@pytest.mark.skipif(not (Path(sys.prefix) / ".evalkit-installed").exists(),
                    reason="not the environment scripts/setup.sh made")
def test_the_environment_setup_made_is_offline():
    """In the .venv scripts/setup.sh made (the one running these tests), the settings are in place."""
    _expect_offline(Path(sys.prefix))
