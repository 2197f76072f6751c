"""Fail a test when something went wrong out of its sight.

An error that background code logs, a task that died with nobody awaiting it, an exception
that reached the event loop's handler: none of these raises in the test's own frame, so
without this a crashing coroutine in any window test would still pass. The idea comes
from qutebrowser's `tests/helpers/logfail.py` (a root handler that turns error records
into failures); here the records are collected and judged when the test ends, so an error
logged inside an `except` that swallows everything still counts.

Three sources feed one `Incidents` collector per test:

- every record at ERROR or above, on any logger (a handler on the root logger; the app's
  `TaskManager` logs each failed task there, so a dead owned task is caught this way);
- every call of an instrumented loop's exception handler ("Task exception was never
  retrieved", "Exception in callback", errors during shutdown);
- every task an instrumented loop created that finished with an exception nobody
  retrieved, checked when the test ends (so the report does not wait for the garbage
  collector, and never lands on the next test).

A test where an error is the point says so with
`@pytest.mark.allow_error_log("why", logger="app.x", match="regex")`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import traceback
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MARKER = "allow_error_log"


@dataclass(frozen=True)
class Incident:
    """One thing that went wrong: where (a logger name), what (the message), and how."""

    logger: str
    level: str
    message: str
    details: str = ""

    def describe(self) -> str:
        head = f"{self.level} on {self.logger!r}: {self.message}"
        return f"{head}\n{self.details}".rstrip() if self.details else head


@dataclass(frozen=True)
class Allowance:
    reason: str
    logger: str | None = None
    match: re.Pattern[str] | None = None

    def allows(self, incident: Incident) -> bool:
        if self.logger is not None and not (
            incident.logger == self.logger or incident.logger.startswith(self.logger + ".")
        ):
            return False
        if self.match is not None:
            return bool(self.match.search(incident.message) or self.match.search(incident.details))
        return True


def allowances(markers: Iterable[Any]) -> list[Allowance]:
    """The `allow_error_log` markers of a test, checked for a reason."""
    made = []
    for marker in markers:
        if not marker.args or not isinstance(marker.args[0], str) or not marker.args[0].strip():
            raise ValueError(f"@pytest.mark.{MARKER} needs a reason as its first argument")
        extra = set(marker.kwargs) - {"logger", "match"}
        if extra:
            raise ValueError(f"@pytest.mark.{MARKER} takes logger= and match=, not {extra}")
        pattern = marker.kwargs.get("match")
        made.append(
            Allowance(
                reason=marker.args[0],
                logger=marker.kwargs.get("logger"),
                match=re.compile(pattern) if pattern is not None else None,
            )
        )
    return made


class Incidents:
    """What went wrong during one test, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Incident] = []

    def add(self, incident: Incident) -> None:
        with self._lock:
            self._items.append(incident)

    def items(self) -> list[Incident]:
        with self._lock:
            return list(self._items)


# A stack, not one slot: a test that runs pytest inside itself (pytester) must get its
# own collector back when the inner session's tests end.
_collectors: list[Incidents] = []
# Set while a loop's handler hands a context on to the default handler, which logs it:
# that record is the same incident, already collected.
_forwarding = threading.local()


def begin() -> Incidents:
    collector = Incidents()
    _collectors.append(collector)
    return collector


def end(collector: Incidents) -> None:
    if collector in _collectors:
        _collectors.remove(collector)


def _record(incident: Incident) -> None:
    if _collectors:
        _collectors[-1].add(incident)


def _exception_details(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return "".join(traceback.format_exception(exc)).rstrip()


class ErrorRecorder(logging.Handler):
    """On the root logger: every ERROR-or-above record becomes an incident."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(_forwarding, "active", False):
            return
        try:
            message = record.getMessage()
        except Exception as exc:  # a broken format string is an error of its own
            message = f"{record.msg!r} (unformattable: {exc})"
        details = ""
        if record.exc_info and record.exc_info[1] is not None:
            details = _exception_details(record.exc_info[1])
        _record(Incident(record.name, record.levelname, message, details))


def _loop_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    message = str(context.get("message") or "Unhandled exception in event loop")
    where = context.get("task") or context.get("future") or context.get("handle")
    if where is not None:
        message = f"{message} ({where!r:.300})"
    _record(Incident("asyncio", "LOOP", message, _exception_details(exc)))
    _forwarding.active = True
    try:
        loop.default_exception_handler(context)  # keep the usual log line for the reader
    finally:
        _forwarding.active = False


class _LoopWatch:
    """The tasks one loop created, held weakly: a task collected during the test has
    already reported itself through the loop's handler."""

    def __init__(self) -> None:
        self.tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def factory(
        self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        self.tasks.add(task)
        return task


_watches: list[_LoopWatch] = []


def watch_loop(loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
    """Route `loop`'s exceptions and its tasks' unretrieved failures to the current test."""
    watch = _LoopWatch()
    loop.set_exception_handler(_loop_exception_handler)
    loop.set_task_factory(watch.factory)  # type: ignore[arg-type]
    _watches.append(watch)
    return loop


def sweep_tasks() -> None:
    """Report every watched task that failed with nobody retrieving its exception, and
    mark it retrieved so the garbage collector does not report it again later."""
    watches = list(_watches)
    _watches.clear()
    for watch in watches:
        for task in list(watch.tasks):
            if not task.done() or task.cancelled():
                continue
            if not getattr(task, "_log_traceback", False):
                continue
            exc = task.exception()  # retrieving it clears the flag
            _record(
                Incident(
                    "asyncio",
                    "TASK",
                    f"Task exception was never retrieved ({task.get_name()})",
                    _exception_details(exc),
                )
            )


def judge(incidents: list[Incident], allowed: list[Allowance]) -> list[Incident]:
    """The incidents no allowance covers."""
    return [i for i in incidents if not any(a.allows(i) for a in allowed)]


def report(unexpected: list[Incident]) -> str:
    lines = [
        f"{len(unexpected)} error(s) were logged or went unobserved during this test "
        f"(expected ones need @pytest.mark.{MARKER}(reason, logger=..., match=...)):"
    ]
    for incident in unexpected:
        lines.append("  " + incident.describe().replace("\n", "\n    "))
    return "\n".join(lines)
