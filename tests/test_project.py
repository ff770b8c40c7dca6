"""Project hygiene: the two dependency lists agree, and the README and CI agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from the PyPI names
CONDA_ONLY = {"python", "pip", "font-ttf-noto-cjk"}


def _name(spec: str) -> str:
    return re.split(r"[<>=!~ \[]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    """environment.yml lists exactly the dependencies of pyproject.toml (runtime and every extra)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(d) for d in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(d) for d in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = set()
    pip_block = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_block = dep["pip"]
        else:
            conda.add(_name(dep))
    assert conda - CONDA_ONLY == wanted, (
        f"only in environment.yml: {sorted(conda - CONDA_ONLY - wanted)}; "
        f"only in pyproject.toml: {sorted(wanted - conda)}"
    )
    assert pip_block == ["-e ."]


def test_ci_runs_the_readme_test_command():
    """.ci/run calls the README's test command verbatim."""
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = [line for line in ci if line and not line.startswith(("#", "set ", "cd "))][-1]
    assert command in (ROOT / "README.md").read_text()
