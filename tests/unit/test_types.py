"""The whole of `app/` type-checks under `mypy --strict` (pyproject's [tool.mypy]).

mypy runs in a child process, with the project's config and its incremental cache in the
repository's `.mypy_cache/` (as `mypy app` by hand): about 4 s once that cache is warm,
about 15 s of CPU from cold, hence `slow`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_app_is_clean_under_mypy_strict() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(ROOT / "app"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_the_config_makes_all_of_app_strict() -> None:
    """Strictness is for the whole package, not per-module overrides that can be dropped."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    assert config["mypy"]["strict"] is True
    assert config["mypy"]["files"] == ["app"]
    for override in config["mypy"].get("overrides", []):
        assert override.get("strict", True) is True, override
