"""Every connection a local HTTP server accepted, until its socket is really closed.

The webhook receiver and the sandbox both serve with aiohttp on the app's loop. At stop,
aiohttp closes the connections it knows of, but a transport's socket is only released a
loop pass later (asyncio's `_call_connection_lost`), and a connection whose accept was
still under way when the listener closed gets its handler after aiohttp's sweep. If the
loop stops before those passes run (the window quits, a test ends), the transport is
garbage with its socket open: a ResourceWarning, and a file descriptor held until then.

`Connections` wraps the protocol factory, so it sees each transport in `connection_made`
and forgets it in `connection_lost`. `close_all` aborts what is still open and waits
until asyncio has closed every socket, so a server's `stop` returns with none left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class _Tracked(asyncio.Protocol):
    """Forwards everything to the real protocol; tells `Connections` when the socket opens
    and when it is closed."""

    def __init__(self, inner: asyncio.Protocol, owner: Connections) -> None:
        self.inner = inner
        self._owner = owner
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._owner._opened(transport)
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self.inner.connection_lost(exc)
        finally:
            if self._transport is not None:
                self._owner._closed(self._transport)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class Connections:
    """The open connections of one listener (see the module's docstring)."""

    def __init__(self) -> None:
        self._open: set[asyncio.BaseTransport] = set()
        self._none_open = asyncio.Event()
        self._none_open.set()

    def __len__(self) -> int:
        return len(self._open)

    def wrap(self, factory: Callable[[], Any]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server` that tracks what `factory` makes."""

        def make() -> asyncio.Protocol:
            return _Tracked(factory(), self)

        return make

    def _opened(self, transport: asyncio.BaseTransport) -> None:
        self._open.add(transport)
        self._none_open.clear()

    def _closed(self, transport: asyncio.BaseTransport) -> None:
        self._open.discard(transport)
        if not self._open:
            self._none_open.set()

    async def close_all(self, timeout: float = 2.0) -> None:
        """Abort every connection still open and wait until asyncio has closed each socket.

        Call it after the listener is closed. A few loop passes first let an accept that
        was under way reach `connection_made`, so it is aborted too."""
        for _ in range(3):  # the accept task, then its connection_made
            await asyncio.sleep(0)
        for transport in list(self._open):
            # abort, not close: close() would wait for a write buffer to drain, and at
            # stop nothing more is sent. Aborting a transport already closed is a no-op.
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
            else:
                transport.close()
        if self._open:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._none_open.wait(), timeout)
        if self._open:
            log.warning("%d connections were still open %.1f s after stop", len(self), timeout)
