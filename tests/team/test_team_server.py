"""A team server on the team database: it polls for everyone, desktops see its heartbeat,
and its outbox sends a staged proposal once, also across a kill -9 mid-send."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.postgres import free_port
from tests.helpers.wait import wait_for_sync
from tests.team.conftest import Desktop, control
from tests.team.test_two_desktops import LETTER, _bid

pytestmark = pytest.mark.integration


def _serve(server: Desktop) -> subprocess.Popen[str]:
    return server.start("serve", "--port", str(free_port()), "--tunnel", "none")


def _stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    finally:
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def roles(team: tuple[Desktop, Desktop], tmp_path: Path) -> tuple[Desktop, Desktop]:
    """The server (with the platform keys) and Bob's desktop (with none)."""
    alice, bob = team
    server = Desktop("server", tmp_path / "server", alice.url, dict(alice.env))
    keyless = Desktop("bob", bob.profile, bob.url, {})
    return server, keyless


def _status(desktop: Desktop, key: str) -> list[dict[str, Any]]:
    return list(desktop.json("status", "--no-refresh", "--json", key)["submissions"])


def _wait_server(desktop: Desktop, alive: bool) -> None:
    wait_for_sync(
        lambda: desktop.json("team", "status")["server_alive"] is alive,
        timeout=60,
        message=f"server_alive is {alive}",
    )


def _inbox_task(desktop: Desktop) -> dict[str, Any]:
    listing: list[dict[str, Any]] = []

    def has_task() -> bool:
        listing[:] = desktop.json("list", "--json", "--limit", "0")["opportunities"]
        return any(o["platform"] == "gigiac" and not o["questions"] for o in listing)

    wait_for_sync(has_task, timeout=60, message="the server's poll filled the inbox")
    return next(o for o in listing if o["platform"] == "gigiac" and not o["questions"])


def test_the_server_polls_for_everyone_and_sends_a_staged_proposal_once(
    roles: tuple[Desktop, Desktop], sandbox: dict[str, Any], tmp_path: Path
) -> None:
    server, bob = roles
    proc = _serve(server)
    try:
        _wait_server(bob, True)
        job = _inbox_task(bob)  # Bob never fetched: the server's poll brought it
        letter = tmp_path / "letter.txt"
        letter.write_text(LETTER, encoding="utf-8")
        before = control(sandbox, "/info")["state"]["gigiac_proposals"]
        done = bob.run(
            "submit", job["key"], "--cover-letter-file", str(letter), *_bid(job), "--yes"
        )
        assert done.returncode == 0, done.stderr
        assert "staged for the team server" in done.stdout
        wait_for_sync(
            lambda: _status(bob, job["key"])[0]["state"] == "submitted",
            timeout=60,
            message="the server sent it",
        )
        assert control(sandbox, "/info")["state"]["gigiac_proposals"] == before + 1
    finally:
        _stop(proc)
    _wait_server(bob, False)


def test_a_server_killed_mid_send_does_not_send_twice(
    roles: tuple[Desktop, Desktop], sandbox: dict[str, Any], tmp_path: Path
) -> None:
    server, bob = roles
    proc = _serve(server)
    second: subprocess.Popen[str] | None = None
    try:
        _wait_server(bob, True)
        job = _inbox_task(bob)
        # The platform takes the proposal, then holds its answer: the send is mid-way.
        base = httpx.URL(sandbox["sandbox"]["gigiac"]["base_url"])
        httpx.post(
            f"{base.scheme}://{base.host}:{base.port}/_sandbox/faults",
            json={
                "kind": "timeout",
                "platform": "gigiac",
                "method": "POST",
                "path_contains": "proposal",
            },
        ).raise_for_status()
        letter = tmp_path / "letter.txt"
        letter.write_text(LETTER, encoding="utf-8")
        before = control(sandbox, "/info")["state"]["gigiac_proposals"]
        done = bob.run(
            "submit", job["key"], "--cover-letter-file", str(letter), *_bid(job), "--yes"
        )
        assert done.returncode == 0, done.stderr
        wait_for_sync(
            lambda: control(sandbox, "/info")["state"]["gigiac_proposals"] == before + 1,
            timeout=60,
            message="the platform received the proposal",
        )
        assert _status(bob, job["key"])[0]["state"] == "submitting"
        _stop(proc, signal.SIGKILL)
        second = _serve(server)  # restarted: reconciles instead of sending again
        wait_for_sync(
            lambda: _status(bob, job["key"])[0]["state"] == "submitted",
            timeout=90,
            message="the restarted server reconciled it",
        )
        assert control(sandbox, "/info")["state"]["gigiac_proposals"] == before + 1
    finally:
        _stop(proc, signal.SIGKILL)
        if second is not None:
            _stop(second)
