"""`biddesk draft`: a sandbox subprocess, the CLI in-process, both ways of drafting."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.services.secrets import env_var_for
from tests.helpers.cli import run, sandbox_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox_proc() -> Iterator[dict[str, Any]]:
    with sandbox_process(seed=9, speed=20) as info:
        yield info


@pytest.fixture
def inbox(
    tmp_path: Path,
    sandbox_proc: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Path, str]:
    """A profile with a GigRadar account on the sandbox and its opportunities fetched;
    returns the profile folder and one opportunity key."""
    prof = tmp_path / "prof"
    ep = sandbox_proc["sandbox"]["gigradar"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(ep["api_key"] + "\n"))
    argv = ["--profile", str(prof), "account", "add", "gr", "--platform", "gigradar"]
    code, _, err = run([*argv, "--base-url", ep["base_url"], "--api-key-stdin"], capsys)
    assert code == 0, err
    monkeypatch.setenv(env_var_for("gr"), ep["api_key"])  # no keyring in the subprocess-free CLI
    code, _, err = run(["--profile", str(prof), "fetch"], capsys)
    assert code == 0, err
    code, out, err = run(["--profile", str(prof), "list", "--json", "--limit", "1"], capsys)
    assert code == 0, err
    return prof, json.loads(out)["opportunities"][0]["key"]


def test_sandbox_line_announces_the_model(sandbox_proc: dict[str, Any]) -> None:
    model = sandbox_proc["openai"]
    assert model["base_url"].startswith("http://127.0.0.1:") and model["base_url"].endswith(
        "/openai/v1"
    )
    assert model["api_key"].startswith("sk-sandbox-")
    assert model["model"] == "biddesk-sandbox-writer"


def test_template_draft_prints_the_filled_default_template(
    inbox: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    prof, key = inbox
    code, out, err = run(["--profile", str(prof), "draft", key], capsys)
    assert code == 0, err
    assert out.startswith("Hi ")
    assert "{" not in out and "Alex" in out  # every slot filled; the example profile signs
    code, _, err = run(["--profile", str(prof), "draft", key, "--template", "Nope"], capsys)
    assert code == 1
    assert err == ("biddesk: error: There is no template “Nope”; the templates are: Default.\n")


def test_model_draft_streams_the_sandbox_letter(
    inbox: tuple[Path, str],
    sandbox_proc: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prof, key = inbox
    model = sandbox_proc["openai"]
    monkeypatch.setenv(env_var_for("openai"), model["api_key"])
    argv = ["--profile", str(prof), "draft", key, "--model", "--base-url", model["base_url"]]
    code, out, err = run([*argv, "--model-name", model["model"], "--variant", "formal"], capsys)
    assert code == 0, err
    assert out.startswith("Dear ") and out.rstrip().endswith("Alex Morgan")
    assert "biddesk-sandbox-writer:" in err and "about $0.0000" in err
    # The model settings were remembered: the next draft needs no flags.
    code, out, err = run(["--profile", str(prof), "draft", key, "--model"], capsys)
    assert code == 0, err
    assert len(out) > 300


def test_model_errors_are_one_sentence(
    inbox: tuple[Path, str],
    sandbox_proc: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prof, key = inbox
    model = sandbox_proc["openai"]
    monkeypatch.setenv(env_var_for("openai"), "sk-not-this-one-123456")
    argv = ["--profile", str(prof), "draft", key, "--model", "--base-url", model["base_url"]]
    code, out, err = run([*argv, "--model-name", model["model"]], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "refused the API key (401)" in err
    assert "sk-not-this-one-123456" not in err
    code, _, err = run(["--profile", str(prof), "draft", key, "--variant", "shorter"], capsys)
    assert code == 2 and "add --model" in err
