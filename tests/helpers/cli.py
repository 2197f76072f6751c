"""Running BidDesk's command line in tests: the sandbox as a subprocess, the CLI in-process."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.cli import main


@contextmanager
def sandbox_process(*, seed: int, speed: float, strict: bool = False) -> Iterator[dict[str, Any]]:
    """`biddesk sandbox` on a free port (`--strict`: documents only); yields the one line
    of JSON it prints (its URLs and keys) and stops it afterwards."""
    options = ["--port", "0", "--seed", str(seed), "--speed", str(speed)]
    if strict:
        options.append("--strict")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "sandbox", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            proc.stdout.close()
            proc.stderr.close()


def run(
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    stdin: str | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> tuple[int, str, str]:
    """`biddesk argv…` in this process: (exit code, stdout, stderr)."""
    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
