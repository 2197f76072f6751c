"""Starting the window from the command line (the default command)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TextIO

from app.cli.common import EXIT_ERROR, EXIT_OK
from app.cli.logging_setup import remove_logging, setup_logging
from app.instance import AlreadyRunning, InstanceLock
from app.instance import claim as claim_instance
from app.store.errors import StoreError
from app.store.paths import data_dir

log = logging.getLogger("app.cli")


def _run_gui(args: argparse.Namespace, err: TextIO, lock: InstanceLock | None) -> int:
    try:
        log_dir = None if args.sandbox and not args.profile else data_dir(args.profile)
    except StoreError:
        log_dir = None  # the window says what is wrong with the folder
    owned = None
    if lock is None and log_dir is not None and not args.sandbox and args.screenshot is None:
        # `app.launch` claims the profile before importing this module; callers that
        # come here directly claim it now, still before Qt is imported.
        try:
            lock = owned = claim_instance(log_dir)
        except AlreadyRunning as running:
            print(f"biddesk: {running}", file=err)
            return EXIT_OK if running.answered else EXIT_ERROR
        except OSError as exc:
            log.warning("no single-instance check: %s", exc)
    log_file, handlers = setup_logging(log_dir, args.verbose)
    try:
        return _start_gui(args, err, lock, log_file)
    finally:
        remove_logging(handlers)
        if owned is not None:
            owned.close()


def _start_gui(
    args: argparse.Namespace, err: TextIO, lock: InstanceLock | None, log_file: Path | None
) -> int:
    try:
        from app.ui.app import GuiOptions, NoDisplayError, run_gui
    except ImportError as exc:
        print(
            f"biddesk: error: the desktop window cannot start: {exc}. "
            "Headless commands still work (`biddesk --help`).",
            file=err,
        )
        return EXIT_ERROR
    options = GuiOptions(
        profile=Path(args.profile) if args.profile else None,
        sandbox=args.sandbox,
        screenshot=Path(args.screenshot) if args.screenshot else None,
        quit_after=args.quit_after,
        hidden=args.hidden,
    )
    try:
        return run_gui(options, instance=lock)
    except NoDisplayError as exc:
        print(f"biddesk: error: {exc}", file=err)
        return EXIT_ERROR
    except StoreError as exc:
        print(f"biddesk: error: {exc.user_message}", file=err)
        return EXIT_ERROR
    except Exception:
        log.exception("the desktop app failed")
        where = f" Details are in {log_file}." if log_file else ""
        print(f"biddesk: error: the desktop app stopped unexpectedly.{where}", file=err)
        return EXIT_ERROR
