"""The `biddesk` command against `biddesk sandbox` and `biddesk sandbox --strict` (documents
only): sandboxes and `serve` as subprocesses, the other commands in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.ingest.webhooks import HookCredentials
from tests.helpers.cli import run, sandbox_process

pytestmark = pytest.mark.integration

LETTER = (
    "Hello, I have shipped several projects very close to this one and I can start this "
    "week. I would begin with a short call to confirm scope, then deliver a first working "
    "version within days, with weekly milestones you can review. Best regards, Alex"
)
PLATFORMS = (("gr", "gigradar"), ("uh", "uphunt"), ("gg", "gigiac"))


@pytest.fixture(scope="module", params=["default", "strict"])
def sandbox_proc(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    with sandbox_process(seed=9, speed=600, strict=request.param == "strict") as info:
        yield info


def control(info: dict[str, Any], method: str, path: str, body: object = None) -> Any:
    root = info["sandbox"]["gigradar"]["base_url"].split("/gigradar")[0]
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{root}/_sandbox{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=5) as answer:
        return json.loads(answer.read())


def add_accounts(
    info: dict[str, Any], prof: Path, capsys: Any, monkeypatch: Any, speed: str = "600"
) -> None:
    for name, platform in PLATFORMS:
        ep = info["sandbox"][platform]
        code, _, err = run(
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
                speed,
            ],
            capsys,
            stdin=ep["api_key"] + "\n",
            monkeypatch=monkeypatch,
        )
        assert code == 0, err


@pytest.fixture
def profile(tmp_path: Path, sandbox_proc: dict[str, Any], capsys: Any, monkeypatch: Any) -> Path:
    prof = tmp_path / "prof"
    add_accounts(sandbox_proc, prof, capsys, monkeypatch)
    return prof


def serve_env(info: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",  # never a real keyring
        **{f"BIDDESK_API_KEY_{n.upper()}": info["sandbox"][p]["api_key"] for n, p in PLATFORMS},
        **extra,
    }


class Serve:
    """`biddesk serve` in its own process, read until it says it is polling."""

    def __init__(self, profile: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--profile", str(profile), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.lines: list[str] = []
        while not any(line.startswith("Polling") for line in self.lines):
            line = self.proc.stdout.readline()
            assert line, "".join(self.lines) + (self.proc.stderr.read() if self.proc.stderr else "")
            self.lines.append(line)

    def line_for(self, account: str) -> str:
        return next(line for line in self.lines if line.strip().startswith(f"{account} ("))

    def stop(self) -> tuple[str, str]:
        self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert self.proc.returncode == 0, err
        assert "Traceback" not in err
        return "".join(self.lines) + out, err


def eventually(probe: Any, within: float = 20.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_fetch_and_account_test_say_how_gigradar_works(
    profile: Path, sandbox_proc: dict[str, Any], capsys: Any
) -> None:
    strict = bool(sandbox_proc.get("strict"))
    code, out, err = run(["--profile", str(profile), "fetch"], capsys)
    assert code == 0, err
    gr = next(line for line in out.splitlines() if line.startswith("gr:"))
    assert ("arrive by webhook" in gr) is strict
    assert err == ""
    code, out, err = run(["--profile", str(profile), "account", "test", "gr"], capsys)
    assert code == 0, err
    if strict:
        assert "key is accepted" in out and "arrive by webhook" in out
    else:
        assert "scanners" in out


def test_a_base_url_with_the_api_path_is_fixed_and_said(
    tmp_path: Path, sandbox_proc: dict[str, Any], capsys: Any, monkeypatch: Any
) -> None:
    prof = tmp_path / "p"
    ep = sandbox_proc["sandbox"]["uphunt"]
    code, _, err = run(
        [
            "--profile",
            str(prof),
            "account",
            "add",
            "uh",
            "--platform",
            "uphunt",
            "--base-url",
            ep["base_url"] + "/api/auto-apply-v2",
            "--api-key-stdin",
        ],
        capsys,
        stdin=ep["api_key"] + "\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    code, out, err = run(["--profile", str(prof), "account", "test", "uh"], capsys)
    assert code == 0, err
    assert "UpHunt:" in out and "freelancer" in out
    assert "already ends in /api/auto-apply-v2" in out


def test_serve_registers_once_per_start_and_receives(
    profile: Path, sandbox_proc: dict[str, Any], capsys: Any
) -> None:
    before = control(sandbox_proc, "GET", "/webhooks")["gigradar_registrations"]
    for start in (1, 2):
        serve = Serve(profile, serve_env(sandbox_proc))
        try:
            assert "[registered]" in serve.line_for("gr"), serve.lines
            registrations = control(sandbox_proc, "GET", "/webhooks")["gigradar_registrations"]
            assert registrations == before + start
            if start == 2:
                # Every delivery authenticates (one registration, one set of credentials).
                opp_id = control(sandbox_proc, "POST", "/opportunities", {})["id"]

                def arrived(opp_id: str = opp_id) -> bool:
                    _, out, _ = run(
                        ["--profile", str(profile), "list", "--json", "--limit", "0"], capsys
                    )
                    keys = {o["key"] for o in json.loads(out)["opportunities"]}
                    return f"gigradar:{opp_id}" in keys

                assert eventually(arrived), "the webhook's opportunity never arrived"
        finally:
            out, _ = serve.stop()
        assert "refused the webhook" not in out
    # Still exactly one registration per start after both stopped.
    assert control(sandbox_proc, "GET", "/webhooks")["gigradar_registrations"] == before + 2


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_submit_wait_on_gigiac_ends_at_the_201(
    tmp_path: Path, capsys: Any, monkeypatch: Any, strict: bool
) -> None:
    """At speed 1 the commissioner decides minutes later: --wait must not wait for it."""
    with sandbox_process(seed=4, speed=1, strict=strict) as info:
        prof = tmp_path / "p"
        add_accounts(info, prof, capsys, monkeypatch, speed="1")
        code, out, err = run(["--profile", str(prof), "fetch", "--account", "gg"], capsys)
        assert code == 0, err
        code, out, _ = run(
            ["--profile", str(prof), "list", "--json", "--platform", "gigiac", "--limit", "0"],
            capsys,
        )
        task = next(
            o
            for o in json.loads(out)["opportunities"]
            if o.get("budget") and "on_site" not in json.dumps(o)
        )
        letter = tmp_path / "letter.txt"
        letter.write_text(LETTER)
        started = time.monotonic()
        code, out, err = run(
            [
                "--profile",
                str(prof),
                "submit",
                task["key"],
                "--cover-letter-file",
                str(letter),
                "--yes",
                "--wait",
                "--timeout",
                "60",
            ],
            capsys,
        )
        took = time.monotonic() - started
    assert code == 0, err
    assert "submitted" in out
    assert took < 30, f"--wait waited {took:.0f} s for the commissioner"


def test_submit_wait_sees_a_result_serve_received_by_webhook(
    tmp_path: Path, sandbox_proc: dict[str, Any], capsys: Any, monkeypatch: Any
) -> None:
    """UpHunt's result reaches only `serve` (its status endpoint fails for everyone), and
    the waiting `submit --wait` in another process learns it from the profile."""
    prof = tmp_path / "p"
    add_accounts(sandbox_proc, prof, capsys, monkeypatch)
    # The default sandbox signs UpHunt deliveries when given a secret (an extra check the
    # user may configure); the documents-only one sends plain POSTs, which the token in
    # the URL authenticates on its own.
    secret = None if sandbox_proc.get("strict") else "s3cret-for-uphunt-webhooks"
    env = serve_env(
        sandbox_proc,
        BIDDESK_API_KEY_WEBHOOK_UH=HookCredentials(secret=secret).to_json(),
    )
    serve = Serve(prof, env)
    try:
        url = next(w for w in serve.line_for("uh").split() if w.startswith("http"))
        control(
            sandbox_proc,
            "POST",
            "/webhooks",
            {"platform": "uphunt", "url": url, **({"secret": secret} if secret else {})},
        )
        control(
            sandbox_proc,
            "POST",
            "/faults",
            {
                "kind": "500",
                "platform": "uphunt",
                "method": "GET",
                "path_contains": "/status",
                "count": 100_000,
            },
        )
        # A job without screening questions: answering them is not what this is about.
        job = {"job": {"questions": []}}
        cipher = control(sandbox_proc, "POST", "/opportunities", job)["jobId"]
        letter = tmp_path / "letter.txt"
        letter.write_text(LETTER + " [[sim:applied]]")
        code, out, err = run(
            [
                "--profile",
                str(prof),
                "submit",
                f"https://www.upwork.com/jobs/{cipher}",
                "--via",
                "uphunt",
                "--auto-answer",
                "--cover-letter-file",
                str(letter),
                "--yes",
                "--wait",
                "--timeout",
                "60",
            ],
            capsys,
        )
    finally:
        control(sandbox_proc, "DELETE", "/faults")
        serve.stop()
    assert code == 0, out + err
    assert "submitted" in out


def test_submit_through_a_scanner_with_its_auto_bidder_on_needs_yes(
    profile: Path, sandbox_proc: dict[str, Any], capsys: Any, tmp_path: Path
) -> None:
    if sandbox_proc.get("strict"):
        pytest.skip("GigRadar lists no scanners in the documents: the setting is unknown")
    code, out, err = run(["--profile", str(profile), "fetch", "--account", "gr"], capsys)
    assert code == 0, err
    code, out, _ = run(
        ["--profile", str(profile), "list", "--json", "--platform", "gigradar", "--limit", "0"],
        capsys,
    )
    opps = [
        o
        for o in json.loads(out)["opportunities"]
        if o["state"] == "new" and not o.get("questions") and o.get("kind") == "hourly"
    ]
    key = opps[0]["key"]
    ep = sandbox_proc["sandbox"]["gigradar"]
    listing = urllib.request.Request(
        f"{ep['base_url']}/opportunities?limit=100", headers={"X-API-Key": ep["api_key"]}
    )
    with urllib.request.urlopen(listing, timeout=5) as answer:
        items = json.loads(answer.read())["items"]
    scanner = next(i["scannerId"] for i in items if f"gigradar:{i['id']}" == key)
    control(sandbox_proc, "POST", f"/scanners/{scanner}", {"autoBidder": True})
    try:
        code, out, err = run(["--profile", str(profile), "account", "test", "gr"], capsys)
        assert code == 0
        assert "double charges" in err and "double charges" not in out
        letter = tmp_path / "letter.txt"
        letter.write_text(LETTER)
        argv = ["--profile", str(profile), "submit", key, "--cover-letter-file", str(letter)]
        code, out, err = run(argv, capsys)
        assert code == 1
        assert "duplicate applications and double charges" in err and "--yes" in err
        assert len(err.strip().splitlines()) == 1
        code, out, _ = run(["--profile", str(profile), "status", "--json"], capsys)
        assert json.loads(out)["submissions"] == []  # nothing stored, nothing sent
        code, out, err = run([*argv, "--yes"], capsys)
        assert code == 0, err
        assert "double charges" in err  # confirmed, and still said
    finally:
        control(sandbox_proc, "POST", f"/scanners/{scanner}", {"autoBidder": False})
