"""A stand-in for the `cloudflared` binary: prints a quick-tunnel banner the way it does.

The tests copy this file behind a `#!<python>` line into a temporary directory and run it
as an executable. It is steered by environment variables:

FAKE_CLOUDFLARED_DIR   where it counts its runs and records each run's pid and arguments
FAKE_CLOUDFLARED_MODE  die (banner, then exit 1 after FAKE_CLOUDFLARED_LIFETIME seconds),
                       crash (an error line, exit 1 at once), silent (no banner; waits),
                       stay (banner; waits), stubborn (banner; ignores SIGTERM; waits)

Run n announces https://run-<n>.trycloudflare.com, so every restart has a new URL, as a
real quick tunnel does.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

STAMP = "2026-11-23T12:00:00Z"
DOCS = "https://developers.cloudflare.com/cloudflare-one/connections/connect-apps/"


def log(level: str, message: str) -> None:
    sys.stderr.write(f"{STAMP} {level} {message}\n")
    sys.stderr.flush()


def next_run(state: Path) -> int:
    counter = state / "runs"
    n = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(n))
    (state / f"pid-{n}").write_text(str(os.getpid()))
    (state / f"argv-{n}").write_text("\n".join(sys.argv[1:]))
    return n


BORDER = "+" + "-" * 92 + "+"
HEADER = (
    "|  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |"
)


def banner_lines(url: str) -> list[str]:
    """The box cloudflared draws around a new quick tunnel's URL (after "<time> INF ")."""
    return [BORDER, HEADER, f"|  {url:<90}|", BORDER]


def main() -> int:
    state = Path(os.environ["FAKE_CLOUDFLARED_DIR"])
    mode = os.environ.get("FAKE_CLOUDFLARED_MODE", "die")
    lifetime = float(os.environ.get("FAKE_CLOUDFLARED_LIFETIME", "0.2"))
    n = next_run(state)
    if sys.argv[1:4] != ["tunnel", "--no-autoupdate", "--url"] or len(sys.argv) != 5:
        log("ERR", f"unexpected arguments {sys.argv[1:]}")
        return 2
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    log(
        "INF",
        "Thank you for trying Cloudflare Tunnel. Read https://developers.cloudflare.com/cloudflare-one/",
    )
    log("INF", "Requesting new quick Tunnel on trycloudflare.com...")
    if mode == "crash":
        log("ERR", 'Error requesting new quick Tunnel error="429 Too Many Requests"')
        return 1
    if mode != "silent":
        for line in banner_lines(f"https://run-{n}.trycloudflare.com"):
            log("INF", line)
        log("INF", "Registered tunnel connection connIndex=0 location=test protocol=quic")
    if mode == "die":
        time.sleep(lifetime)
        log("ERR", 'Connection terminated error="the tunnel was closed"')
        return 1
    time.sleep(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
