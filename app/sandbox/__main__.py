"""`python -m app.sandbox`: run the sandbox headless until Ctrl-C or SIGTERM.

Writes the one-line JSON info (base URLs and keys) to stdout; logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from app.sandbox.server import SandboxConfig, run_sandbox


def _parse(argv: list[str] | None) -> SandboxConfig:
    parser = argparse.ArgumentParser(prog="python -m app.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--faults", default=None, help='e.g. "429=0.05,500=0.02,timeout=0.01"')
    parser.add_argument("--no-arrivals", action="store_true")
    parser.add_argument("--strict", action="store_true", help="documents only: no [P] items")
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the world in DIR (world-<seed>.json): restarts bring back the same jobs",
    )
    args = parser.parse_args(argv)
    return SandboxConfig(
        host=args.host,
        port=args.port,
        seed=args.seed,
        speed=args.speed,
        faults=args.faults,
        arrivals=not args.no_arrivals,
        strict=args.strict,
        state_dir=args.state,
    )


async def _serve(config: SandboxConfig) -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no add_signal_handler
            loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await run_sandbox(config, sys.stdout)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        config = _parse(argv)
        asyncio.run(_serve(config))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
