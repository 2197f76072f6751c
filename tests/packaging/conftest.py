"""Load the scripts under packaging/ by path: that folder is not a package, and its name
would shadow the PyPI `packaging` library that pytest plugins import."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str) -> ModuleType:
    module_name = f"biddesk_packaging_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "packaging" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def icons() -> ModuleType:
    return load_script("icons")


@pytest.fixture(scope="session")
def build() -> ModuleType:
    return load_script("build")
