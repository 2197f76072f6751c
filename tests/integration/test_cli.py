"""The `biddesk` command end to end: a sandbox subprocess, the CLI in-process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run, sandbox_process
from tests.helpers.wait import wait_for_sync

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox_proc() -> Iterator[dict]:
    with sandbox_process(seed=5, speed=600) as info:
        yield info


def test_sandbox_prints_one_line_of_json(sandbox_proc: dict) -> None:
    platforms = sandbox_proc["sandbox"]
    assert set(platforms) >= {"gigradar", "uphunt", "gigiac"}
    for name, ep in platforms.items():
        if name in ("gigradar", "uphunt", "gigiac"):
            assert ep["base_url"].startswith("http://127.0.0.1:")
            assert ep["api_key"]


@pytest.fixture
def profile(tmp_path: Path, sandbox_proc: dict, capsys, monkeypatch) -> Path:
    prof = tmp_path / "prof"
    for name, platform in (("gr", "gigradar"), ("uh", "uphunt"), ("gg", "gigiac")):
        ep = sandbox_proc["sandbox"][platform]
        code, out, err = run(
            [
                "--profile",
                str(prof),
                "account",
                "add",
                name,
                "--platform",
                platform,
                "--base-url",
                ep["base_url"],
                "--api-key-stdin",
                "--speed",
                "600",
            ],
            capsys,
            stdin=ep["api_key"] + "\n",
            monkeypatch=monkeypatch,
        )
        assert code == 0, err
        assert ep["api_key"] not in out + err
    return prof


def test_fetch_list_submit_status(profile: Path, tmp_path: Path, capsys, memory_keyring) -> None:
    p = ["--profile", str(profile)]
    code, out, err = run([*p, "fetch"], capsys)
    assert code == 0, err
    assert "gr:" in out and "new" in out
    code, out, _ = run([*p, "list", "--json", "--platform", "gigradar", "--limit", "0"], capsys)
    assert code == 0
    listing = json.loads(out)
    assert listing["count"] == len(listing["opportunities"]) > 0
    job = next(o for o in listing["opportunities"] if not o["questions"])
    assert set(job) >= {
        "key",
        "platform",
        "title",
        "kind",
        "budget",
        "client",
        "state",
        "match_score",
        "connects_price",
        "competition",
    }
    # Depth as the full sandbox serves it: the competition and the client's history.
    assert job["competition"]["proposals_tier"] and job["connects_price"] > 0
    assert job["client"]["member_since"] and job["client"]["jobs_posted"] is not None
    letter = tmp_path / "letter.txt"
    letter.write_text(
        "Hello, I have delivered several projects like this one and can start this week. "
        "I will confirm the scope with you first and then ship in small reviewed steps. "
        "Best regards, Alex [[sim:sent]]",
        encoding="utf-8",
    )
    bid = ["--bid", "900"] if job["kind"] == "fixed" else ["--bid", "60"]
    code, out, err = run(
        [
            *p,
            "submit",
            job["key"],
            "--cover-letter-file",
            str(letter),
            *bid,
            "--wait",
            "--timeout",
            "30",
        ],
        capsys,
    )
    assert code == 0, err
    assert "submitted" in out
    code, out, _ = run([*p, "status", "--json"], capsys)
    status = json.loads(out)
    (sub,) = status["submissions"]
    assert sub["state"] == "submitted" and sub["opportunity_key"] == job["key"]
    assert [h["state"] for h in sub["history"]][-1] == "submitted"
    code, out, err = run([*p, "status", "--no-refresh"], capsys)
    assert code == 0, err
    assert sub["id"][:8] in out and "submitted" in out
    assert job["title"][:20] in out
    # The same job again: one sentence, non-zero exit, nothing sent.
    code, out, err = run(
        [*p, "submit", job["key"], "--cover-letter-file", str(letter), *bid, "--via", "uphunt"],
        capsys,
    )
    assert code == 1
    assert err.startswith("biddesk: error: A proposal for this job is already submitted")
    assert "Traceback" not in err
    # All keys stay out of what BidDesk writes on disk.
    keys = [v for v in memory_keyring.store.values()]
    for path in profile.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(k.encode() in data for k in keys), path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["submit", "nope", "--cover-letter-file", "/nonexistent/letter.txt"],
            "There is no cover-letter file",
        ),
        (["status", "gigradar:doesnotexist"], "There is no opportunity"),
        (["account", "remove", "ghost"], "There is no account named"),
        (["account", "test", "ghost"], "There is no account named"),
    ],
)
def test_errors_are_one_sentence(tmp_path: Path, capsys, argv, message) -> None:
    code, _, err = run(["--profile", str(tmp_path / "p"), *argv], capsys)
    assert code != 0
    assert err.startswith("biddesk: error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_wrong_key_is_one_sentence(tmp_path: Path, sandbox_proc: dict, capsys, monkeypatch) -> None:
    prof = ["--profile", str(tmp_path / "p")]
    ep = sandbox_proc["sandbox"]["gigradar"]
    run(
        [
            *prof,
            "account",
            "add",
            "bad",
            "--platform",
            "gigradar",
            "--base-url",
            ep["base_url"],
            "--api-key-stdin",
        ],
        capsys,
        stdin="gr_live_not_the_key\n",
        monkeypatch=monkeypatch,
    )
    code, out, err = run([*prof, "fetch"], capsys)
    assert code == 1
    # An error is a sentence on stderr, never on stdout.
    assert "bad:" in err and "bad:" not in out and "gr_live_not_the_key" not in out + err


def test_corrupt_database_is_a_sentence(tmp_path: Path, capsys) -> None:
    prof = tmp_path / "p"
    prof.mkdir()
    (prof / "biddesk.sqlite3").write_bytes(b"this is not a database" * 100)
    code, _, err = run(["--profile", str(prof), "list"], capsys)
    assert code == 1
    assert err.startswith("biddesk: error: ") and "Traceback" not in err


def test_no_keyring_account_add_explains_the_environment(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    code, out, err = run(
        [
            "--profile",
            str(tmp_path / "p"),
            "account",
            "add",
            "x",
            "--platform",
            "gigiac",
            "--api-key-stdin",
        ],
        capsys,
        stdin="gig_secret\n",
        monkeypatch=monkeypatch,
    )
    # Nothing is stored half-way: no account row without its key.
    assert code == 1
    assert err.startswith("biddesk: error: No system keyring is available")
    assert "BIDDESK_API_KEY_X" in err
    assert "gig_secret" not in out + err
    code, out, _ = run(["--profile", str(tmp_path / "p"), "account", "list"], capsys)
    assert code == 0 and "No accounts yet" in out
    for path in (tmp_path / "p").rglob("*"):
        if path.is_file():
            assert b"gig_secret" not in path.read_bytes()


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "BIDDESK_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "app", "demo", "--speed", "600"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Final states:" in result.stdout
    assert "refused:" in result.stdout
    assert "Traceback" not in result.stderr


def test_gui_without_a_display_is_one_sentence(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["BIDDESK_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--sandbox"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("biddesk: error: There is no display")
    assert "Traceback" not in result.stderr


def test_gui_screenshot_renders_and_quits(tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "BIDDESK_HOME": str(tmp_path / "home")}
    result = subprocess.run(
        [sys.executable, "-m", "app", "--sandbox", "--screenshot", str(shot), "--quit-after", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_serve_receives_webhooks_until_terminated(
    profile: Path, sandbox_proc: dict, capsys
) -> None:
    """`biddesk serve` in its own process: registers with GigRadar, receives the sandbox's
    deliveries over loopback, stores them, and stops cleanly on SIGTERM."""
    import signal
    import urllib.request

    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never a real keyring
        "BIDDESK_API_KEY_GR": sandbox_proc["sandbox"]["gigradar"]["api_key"],
        "BIDDESK_API_KEY_UH": sandbox_proc["sandbox"]["uphunt"]["api_key"],
        "BIDDESK_API_KEY_GG": sandbox_proc["sandbox"]["gigiac"]["api_key"],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--profile", str(profile), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lines: list[str] = []
        while not any(line.startswith("Polling") for line in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines) + proc.stderr.read()
            lines.append(line)
        receiver = next(line.split()[1] for line in lines if line.startswith("Receiver:"))
        assert receiver.startswith("http://127.0.0.1:")
        assert any("gr (GigRadar):" in line and "[registered]" in line for line in lines)
        uh = next(line for line in lines if line.strip().startswith("uh (UpHunt)"))
        assert "/hooks/uphunt/uh" in uh
        root = sandbox_proc["sandbox"]["gigradar"]["base_url"].split("/gigradar")[0]
        control = f"{root}/_sandbox/opportunities"
        request = urllib.request.Request(control, data=b"{}", method="POST")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as answer:
            opp_id = json.loads(answer.read())["id"]
        listing = ["--profile", str(profile), "list", "--json", "--platform", "gigradar"]

        def listed() -> bool:
            _, out, _ = run([*listing, "--limit", "0"], capsys)
            return any(o["key"] == f"gigradar:{opp_id}" for o in json.loads(out)["opportunities"])

        wait_for_sync(listed, message="the webhook's opportunity never reached the inbox")
        # Marked processed soon after being applied.
        status: dict[str, Any] = {}

        def processed() -> bool:
            code, out, _ = run(["--profile", str(profile), "webhooks", "status", "--json"], capsys)
            assert code == 0
            status.update(json.loads(out))
            return status["pending"] == 0

        wait_for_sync(processed, message="the delivery stayed pending")
        assert any(d["event"] == "GIGRADAR.OPPORTUNITY.CREATE" for d in status["deliveries"])
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert "Stopping" in out
    assert "Traceback" not in err
    for key in ("gigradar", "uphunt", "gigiac"):
        assert sandbox_proc["sandbox"][key]["api_key"] not in out + err
