"""Named background tasks with an owner.

Every task the app starts goes through a TaskManager, which keeps a strong reference (the
loop keeps only weak ones, so an unowned task can vanish mid-flight), logs a failure the
moment it happens instead of at garbage collection, can replace a predecessor of the same
name ("track submission 42" started twice), and cancels everything at shutdown. A
failure is also handed to the failure listeners (the window shows it to the user).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

FailureListener = Callable[[str, BaseException], None]  # task name, its exception


class TaskManager:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._closed = False
        self._listeners: list[FailureListener] = []

    def add_failure_listener(self, listener: FailureListener) -> Callable[[], None]:
        """Call `listener(name, exception)` when a task fails; returns the unsubscribe."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def spawn(
        self, coro: Coroutine[Any, Any, Any], *, name: str, replace: bool = False
    ) -> asyncio.Task[Any]:
        """Start `coro` as task `name`.

        If a task of that name is running: with `replace`, it is cancelled and the new one
        starts; without, the new coroutine is dropped and the running task is returned.
        """
        if self._closed:
            coro.close()
            raise RuntimeError("the task manager is shut down")
        current = self._tasks.get(name)
        if current is not None and not current.done():
            if not replace:
                coro.close()
                return current
            current.cancel()
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[name] = task
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        name = task.get_name()
        if self._tasks.get(name) is task:
            del self._tasks[name]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("background task %s failed", name, exc_info=exc)
            for listener in tuple(self._listeners):
                try:
                    listener(name, exc)
                except Exception:  # reporting a failure must not raise in a done-callback
                    log.exception("reporting the failure of task %s failed", name)

    @property
    def closed(self) -> bool:
        """Shut down: no task starts any more (the app is closing)."""
        return self._closed

    def running(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def names(self) -> list[str]:
        return sorted(n for n, t in self._tasks.items() if not t.done())

    def cancel(self, name: str) -> bool:
        task = self._tasks.get(name)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def wait(self, name: str) -> None:
        task = self._tasks.get(name)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)

    async def shutdown(self, timeout: float = 2.0) -> None:
        """Cancel every task and wait up to `timeout` seconds for them to finish."""
        self._closed = True
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for task in pending:
                log.warning("task %s did not stop within %.1f s", task.get_name(), timeout)
        self._tasks.clear()
