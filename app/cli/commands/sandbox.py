"""`biddesk sandbox` (the platforms' emulator on its own) and `biddesk demo`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from app.cli.common import EXIT_OK, CliError
from app.cli.demo import run_demo
from app.cli.output import _out


def cmd_sandbox(args: argparse.Namespace) -> int:
    from app.sandbox import SandboxConfig, run_sandbox

    config = SandboxConfig(
        port=args.port, seed=args.seed, speed=args.speed, faults=args.faults, strict=args.strict
    )
    try:
        asyncio.run(run_sandbox(config, sys.stdout))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise CliError(
            f"The sandbox could not listen on 127.0.0.1:{args.port} ({exc.strerror})."
        ) from None
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    if args.profile:
        return asyncio.run(run_demo(Path(args.profile), args.speed, args.seed, _out))
    with tempfile.TemporaryDirectory(prefix="biddesk-demo-") as tmp:
        return asyncio.run(run_demo(Path(tmp), args.speed, args.seed, _out))
