"""Tunnel providers: settings, statuses, and cloudflared's life against a stand-in binary."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from app.ingest.tunnel import (
    CloudflaredTunnel,
    NgrokTunnel,
    QuickTunnelUrlParser,
    TunnelError,
    TunnelSpec,
    TunnelState,
    TunnelStatus,
    create_tunnel,
    parse_tunnel_spec,
)
from tests.helpers.wait import wait_for
from tests.ingest import fake_cloudflared

LOCAL = "http://127.0.0.1:8765"
STAND_IN = Path(fake_cloudflared.__file__)


# --- settings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", TunnelSpec("none")),
        (" NONE ", TunnelSpec("none")),
        ("ngrok", TunnelSpec("ngrok")),
        ("cloudflared", TunnelSpec("cloudflared")),
        (
            "cloudflared:/opt/cf/cloudflared",
            TunnelSpec("cloudflared", binary="/opt/cf/cloudflared"),
        ),
        (
            "manual:https://hooks.example.com/biddesk/",
            TunnelSpec("manual", url="https://hooks.example.com/biddesk"),
        ),
        ("manual:http://10.0.0.5:8080", TunnelSpec("manual", url="http://10.0.0.5:8080")),
    ],
)
def test_parse_tunnel_spec_accepts_each_kind(text: str, expected: TunnelSpec) -> None:
    assert parse_tunnel_spec(text) == expected
    assert parse_tunnel_spec(str(expected)) == expected  # the setting round-trips


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Choose a tunnel"),
        ("frp", "Unknown tunnel “frp”"),
        ("manual:", "Give your public URL"),
        ("manual:ftp://example.com", "must be http(s) with a host"),
        ("manual:https://", "must be http(s) with a host"),
        ("manual:example.com", "must be http(s) with a host"),
        ("manual:https://user:pw@example.com", "must not contain a user name or password"),
        ("manual:https://example.com/?a=1", "without ? or #"),
        ("manual:https://example.com:99999", "is not a valid URL"),
        ("cloudflared:", "Give the path to cloudflared"),
        ("none:x", "takes nothing after the colon"),
    ],
)
def test_parse_tunnel_spec_rejects_with_a_sentence(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=r"^[A-Z“].*[.]$") as caught:
        parse_tunnel_spec(text)
    assert says in str(caught.value)


def test_a_token_pasted_into_the_ngrok_setting_is_not_echoed() -> None:
    with pytest.raises(ValueError, match="authtoken goes in Settings") as caught:
        parse_tunnel_spec("ngrok:2abcSECRETtoken")
    assert "SECRET" not in str(caught.value)


def test_plain_http_manual_url_is_accepted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.ingest.tunnel"):
        parse_tunnel_spec("manual:http://proxy.example.com")
    assert "not be encrypted" in caplog.text


# --- none and manual --------------------------------------------------------------------


async def test_no_tunnel_publishes_the_loopback_url() -> None:
    seen: list[TunnelStatus] = []
    tunnel = create_tunnel("none", on_status=seen.append)
    await tunnel.start(LOCAL + "/")
    assert await tunnel.wait_up(0.1) == LOCAL
    assert tunnel.status.state is TunnelState.UP and tunnel.status.public_url == LOCAL
    assert tunnel.status.at.tzinfo is not None
    await tunnel.stop()
    await tunnel.stop()  # idempotent
    assert [(s.provider, s.state) for s in seen] == [
        ("none", TunnelState.UP),
        ("none", TunnelState.OFF),
    ]


async def test_manual_tunnel_is_up_at_once_at_the_given_url() -> None:
    seen: list[TunnelStatus] = []
    tunnel = create_tunnel("manual:https://hooks.example.com/bd/", on_status=seen.append)
    await tunnel.start(LOCAL)
    assert seen[-1].state is TunnelState.UP
    assert seen[-1].public_url == "https://hooks.example.com/bd"
    assert "Tunnel up at https://hooks.example.com/bd" in seen[-1].message
    assert await tunnel.wait_up(0.1) == "https://hooks.example.com/bd"
    await tunnel.stop()
    assert tunnel.status.state is TunnelState.OFF
    with pytest.raises(TunnelError, match="Tunnel off"):
        await tunnel.wait_up(0.1)


def test_create_tunnel_rejects_a_bad_setting() -> None:
    with pytest.raises(ValueError, match="Unknown tunnel"):
        create_tunnel("socks", on_status=lambda _s: None)


# The failing subscriber is logged and the tunnel goes on: that log line is the contract.
@pytest.mark.allow_error_log("a failing status subscriber is logged", logger="app.ingest.tunnel")
async def test_a_failing_subscriber_does_not_stop_the_tunnel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(_status: TunnelStatus) -> None:
        raise RuntimeError("subscriber bug")

    tunnel = create_tunnel("none", on_status=broken)
    with caplog.at_level(logging.ERROR):
        await tunnel.start(LOCAL)
    assert tunnel.status.state is TunnelState.UP
    assert "subscriber failed" in caplog.text


# --- cloudflared URL parsing ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://seasonal-deck-organisms-sf.trycloudflare.com",
            "https://seasonal-deck-organisms-sf.trycloudflare.com",
        ),
        (
            "https://abc.example-tunnel.net/",
            "https://abc.example-tunnel.net",
        ),  # any https in the banner
    ],
)
def test_parser_takes_the_banner_url_not_the_documentation_link(url: str, expected: str) -> None:
    parser = QuickTunnelUrlParser()
    output = [
        f"INF Thank you for trying Cloudflare Tunnel. Read {fake_cloudflared.DOCS}",
        "INF Requesting new quick Tunnel on trycloudflare.com...",
        *(f"INF {line}" for line in fake_cloudflared.banner_lines(url)),
        "INF Registered tunnel connection connIndex=0 location=ams protocol=quic",
    ]
    found = [u for line in output if (u := parser.feed(f"{fake_cloudflared.STAMP} {line}"))]
    assert found == [expected]


# --- cloudflared against the stand-in ---------------------------------------------------


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Installs the stand-in as an executable; returns a function that sets its mode."""
    binary = tmp_path / "bin" / "cloudflared"
    binary.parent.mkdir()
    binary.write_text(
        f"#!{sys.executable}\n" + STAND_IN.read_text(encoding="utf-8"), encoding="utf-8"
    )
    binary.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("FAKE_CLOUDFLARED_DIR", str(state))

    def configure(mode: str = "die", lifetime: float = 0.2) -> Path:
        monkeypatch.setenv("FAKE_CLOUDFLARED_MODE", mode)
        monkeypatch.setenv("FAKE_CLOUDFLARED_LIFETIME", str(lifetime))
        return binary

    return configure


def _alive(pid: int) -> bool:
    """True while the process exists, zombies included (an unreaped child still answers)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    await wait_for(predicate, timeout)


async def test_cloudflared_reports_each_new_url_and_restarts_when_it_dies(
    stand_in: Callable[..., Path], tmp_path: Path
) -> None:
    binary = stand_in("die", lifetime=0.15)
    seen: list[TunnelStatus] = []
    tunnel = create_tunnel(
        f"cloudflared:{binary}", on_status=seen.append, restart_backoff=(0.05, 0.2)
    )
    try:
        await tunnel.start(LOCAL)
        assert await tunnel.wait_up(1.5) == "https://run-1.trycloudflare.com"
        await _until(lambda: sum(s.state is TunnelState.UP for s in seen) >= 2)
    finally:
        await tunnel.stop()

    states = [s.state for s in seen]
    first_up, second_up = [i for i, s in enumerate(states) if s is TunnelState.UP][:2]
    assert seen[first_up].public_url == "https://run-1.trycloudflare.com"
    assert seen[second_up].public_url == "https://run-2.trycloudflare.com"
    between = seen[first_up + 1 : second_up]
    assert [s.state for s in between] == [TunnelState.RESTARTING, TunnelState.STARTING]
    assert between[0].public_url is None
    assert between[0].message.startswith("cloudflared exited (code 1)")
    assert "restarting in 0.05 s" in between[0].message
    assert seen[-1].state is TunnelState.OFF
    assert (tmp_path / "state" / "argv-1").read_text().split("\n") == [
        "tunnel",
        "--no-autoupdate",
        "--url",
        LOCAL,
    ]


@pytest.mark.parametrize(
    ("stable_after", "expected"),
    [(10.0, [0.02, 0.04, 0.08, 0.1, 0.1]), (0.0, [0.02, 0.02, 0.02, 0.02, 0.02])],
    ids=["doubles-to-the-cap", "resets-once-it-stayed-up"],
)
async def test_cloudflared_backoff_doubles_and_resets_after_a_stable_run(
    stand_in: Callable[..., Path], stable_after: float, expected: list[float]
) -> None:
    binary = stand_in("die", lifetime=0.0)
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)

    tunnel = CloudflaredTunnel(
        lambda _s: None,
        binary=str(binary),
        restart_backoff=(0.02, 0.1),
        stable_after=stable_after,
        sleep=sleep,
    )
    try:
        await tunnel.start(LOCAL)
        await _until(lambda: len(delays) >= 5)
    finally:
        await tunnel.stop()
    assert delays[:5] == expected


async def test_cloudflared_error_line_explains_an_early_exit(
    stand_in: Callable[..., Path],
) -> None:
    binary = stand_in("crash")
    seen: list[TunnelStatus] = []
    tunnel = CloudflaredTunnel(seen.append, binary=str(binary), restart_backoff=(5.0, 5.0))
    try:
        await tunnel.start(LOCAL)
        await _until(lambda: tunnel.status.state is TunnelState.RESTARTING)
    finally:
        await tunnel.stop()
    restarting = next(s for s in seen if s.state is TunnelState.RESTARTING)
    assert restarting.message == (
        "cloudflared exited (code 1): Error requesting new quick Tunnel "
        'error="429 Too Many Requests"; restarting in 5 s.'
    )


async def test_cloudflared_without_a_url_in_time_is_killed_and_restarted(
    stand_in: Callable[..., Path], tmp_path: Path
) -> None:
    binary = stand_in("silent")
    seen: list[TunnelStatus] = []
    tunnel = CloudflaredTunnel(
        seen.append, binary=str(binary), restart_backoff=(5.0, 5.0), url_timeout=0.4
    )
    try:
        await tunnel.start(LOCAL)
        with pytest.raises(TunnelError, match=r"not up after 0\.2 s"):
            await tunnel.wait_up(0.2)
        await _until(lambda: tunnel.status.state is TunnelState.RESTARTING)
        assert tunnel.status.message == (
            "cloudflared printed no tunnel URL within 0.4 s; restarting in 5 s."
        )
        first_pid = int((tmp_path / "state" / "pid-1").read_text())
        assert not _alive(first_pid)
    finally:
        await tunnel.stop()


@pytest.mark.parametrize("mode", ["stay", "stubborn"])
async def test_stop_ends_cloudflared_and_leaves_no_zombie(
    stand_in: Callable[..., Path], mode: str
) -> None:
    binary = stand_in(mode)
    tunnel = CloudflaredTunnel(lambda _s: None, binary=str(binary), stop_grace=0.3)
    await tunnel.start(LOCAL)
    await tunnel.wait_up(1.5)
    pid = tunnel.pid
    assert pid is not None and _alive(pid)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await tunnel.stop()
    assert loop.time() - began < 1.0  # a stubborn one is killed after the grace period
    assert not _alive(pid)
    assert tunnel.status.state is TunnelState.OFF and tunnel.pid is None
    await tunnel.stop()  # idempotent


async def test_missing_cloudflared_on_path_fails_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    seen: list[TunnelStatus] = []
    tunnel = create_tunnel("cloudflared", on_status=seen.append)
    await tunnel.start(LOCAL)
    assert [s.state for s in seen] == [TunnelState.FAILED]
    assert seen[0].message == "cloudflared not found: install it or set its path in Settings."
    with pytest.raises(TunnelError, match=r"^cloudflared not found"):
        await tunnel.wait_up(1.0)
    await tunnel.stop()


async def test_configured_cloudflared_path_must_exist_and_be_executable(tmp_path: Path) -> None:
    missing = create_tunnel(f"cloudflared:{tmp_path / 'nope'}", on_status=lambda _s: None)
    await missing.start(LOCAL)
    assert missing.status.state is TunnelState.FAILED
    assert missing.status.message.startswith(f"cloudflared not found at {tmp_path / 'nope'}")

    plain = tmp_path / "cloudflared"
    plain.write_text("not a program")
    plain.chmod(0o644)
    blocked = create_tunnel(f"cloudflared:{plain}", on_status=lambda _s: None)
    await blocked.start(LOCAL)
    assert blocked.status.state is TunnelState.FAILED
    assert blocked.status.message == f"{plain} is not executable: check its permissions."


# --- ngrok (a stand-in module: the tests never reach ngrok's servers) -------------------


class _FakeListener:
    def __init__(self) -> None:
        self.closed = False

    def url(self) -> str:
        return "https://a1b2.ngrok-free.app"

    async def close(self) -> None:
        self.closed = True


def _fake_ngrok(monkeypatch: pytest.MonkeyPatch, forward: Callable[..., object]) -> None:
    module = types.ModuleType("ngrok")
    module.forward = forward  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ngrok", module)


async def test_ngrok_forwards_with_the_authtoken_and_closes_on_stop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listener = _FakeListener()
    calls: list[tuple[object, dict[str, object]]] = []

    def forward(addr: object, **options: object) -> asyncio.Task[_FakeListener]:
        calls.append((addr, options))

        async def connect() -> _FakeListener:
            return listener

        return asyncio.get_running_loop().create_task(connect())  # as the SDK does in a loop

    _fake_ngrok(monkeypatch, forward)
    seen: list[TunnelStatus] = []
    tunnel = create_tunnel("ngrok", on_status=seen.append, ngrok_authtoken="tok-123")
    await tunnel.start(LOCAL)
    assert await tunnel.wait_up(1.0) == "https://a1b2.ngrok-free.app"
    assert calls == [(LOCAL, {"authtoken": "tok-123"})]
    assert [s.state for s in seen] == [TunnelState.STARTING, TunnelState.UP]
    await tunnel.stop()
    assert listener.closed and tunnel.status.state is TunnelState.OFF
    assert "tok-123" not in repr(tunnel)


async def test_ngrok_failure_never_shows_the_authtoken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def forward(addr: object, **options: object) -> object:
        async def refuse() -> None:
            raise ValueError(
                f"authentication failed: token {options['authtoken']} is invalid (ERR_NGROK_105)"
            )

        return refuse()

    _fake_ngrok(monkeypatch, forward)
    tunnel = create_tunnel("ngrok", on_status=lambda _s: None, ngrok_authtoken="sekrit-42")
    with caplog.at_level(logging.DEBUG):
        await tunnel.start(LOCAL)
        with pytest.raises(TunnelError) as caught:
            await tunnel.wait_up(1.0)
    assert tunnel.status.state is TunnelState.FAILED
    assert str(caught.value) == (
        "ngrok could not connect: authentication failed: token *** is invalid (ERR_NGROK_105)."
    )
    assert "sekrit-42" not in caplog.text


async def test_ngrok_without_an_authtoken_fails_with_advice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_ngrok(monkeypatch, lambda *a, **k: pytest.fail("must not connect without a token"))
    tunnel = NgrokTunnel(lambda _s: None, authtoken=None)
    await tunnel.start(LOCAL)
    assert tunnel.status.state is TunnelState.FAILED
    assert tunnel.status.message == (
        "ngrok needs an authtoken: copy yours from the ngrok dashboard into Settings."
    )


async def test_ngrok_without_the_package_fails_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ngrok", None)  # import ngrok → ImportError
    tunnel = NgrokTunnel(lambda _s: None, authtoken="tok")
    await tunnel.start(LOCAL)
    assert tunnel.status.state is TunnelState.FAILED
    assert "ngrok package is not installed" in tunnel.status.message


def test_the_real_ngrok_package_has_the_api_we_call() -> None:
    ngrok = pytest.importorskip("ngrok")
    assert callable(ngrok.forward)
    assert {"url", "close"} <= set(dir(ngrok.Listener))
