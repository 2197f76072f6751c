"""Two "desktops" on one team database: two processes, two profiles, one PostgreSQL,
and the sandbox as the platforms.

A desktop is `python -m app --profile P --database-url URL …` run as a subprocess with
its own member name ($BIDDESK_MEMBER) and the sandbox keys in its environment (as on a
machine without a keyring). `Watch` runs `biddesk team watch` and collects its lines.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.domain import Platform
from app.services.container import open_services
from app.services.secrets import env_var_for
from tests.helpers.cli import sandbox_process
from tests.helpers.wait import DEFAULT_TIMEOUT

pytestmark = pytest.mark.integration

ACCOUNTS = {"gr": "gigradar", "gg": "gigiac"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, Any]]:
    with sandbox_process(seed=21, speed=600) as info:
        yield info


def control(sandbox: dict[str, Any], path: str) -> Any:
    base = httpx.URL(sandbox["sandbox"]["gigiac"]["base_url"])
    return httpx.get(f"{base.scheme}://{base.host}:{base.port}/_sandbox{path}").json()


@dataclass
class Desktop:
    name: str
    profile: Path
    url: str
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "app",
            "--profile",
            str(self.profile),
            "--database-url",
            self.url,
            *args,
        ]

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        env["BIDDESK_MEMBER"] = self.name
        env.pop("BIDDESK_DATABASE_URL", None)
        return env

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv(*args),
            env=self.environ(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


class Watch:
    """`biddesk team watch` on a desktop: its JSON lines, as they arrive."""

    def __init__(self, desktop: Desktop) -> None:
        self.proc = desktop.start("team", "watch")
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            first = self.next(lambda line: line["event"] == "listening")
        except BaseException:
            self.stop()
            raise
        assert first["member"] == desktop.name

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(json.loads(raw))

    def next(self, wanted: Any, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The first line (from now on) that `wanted(line)` accepts."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                stderr = self.proc.stderr.read() if self.proc.poll() is not None else ""
                pytest.fail(f"no wanted line within {timeout} s; saw {self.seen} {stderr}")
            self.seen.append(line)
            if wanted(line):
                return line

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def team(
    pg_url: str, tmp_path: Path, sandbox: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[Desktop, Desktop]:
    """Alice's and Bob's desktops on one fresh team database, accounts wired to the
    sandbox (the accounts are shared through the database; the keys are each
    machine's own, here from the environment)."""
    keys = {
        env_var_for(name): sandbox["sandbox"][platform]["api_key"]
        for name, platform in ACCOUNTS.items()
    }
    for var, key in keys.items():
        monkeypatch.setenv(var, key)
    services = open_services(tmp_path / "setup", url=pg_url)
    try:
        for name, platform in ACCOUNTS.items():
            services.accounts.add(
                name,
                Platform(platform),
                api_key=None,
                base_url=sandbox["sandbox"][platform]["base_url"],
                speed=600,
            )
    finally:
        services.store.close()
    alice = Desktop("alice", tmp_path / "alice", pg_url, dict(keys))
    bob = Desktop("bob", tmp_path / "bob", pg_url, dict(keys))
    return alice, bob
