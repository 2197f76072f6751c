"""Every connection a local HTTP server accepted, until its socket is really closed.

The webhook receiver and the sandbox both serve with aiohttp on the app's loop. At stop,
aiohttp closes the connections it knows of, but a transport's socket is only released a
loop pass later (asyncio's `_call_connection_lost`), and a connection whose accept was
still under way when the listener closed gets its handler after aiohttp's sweep. If the
loop stops before those passes run (the window quits, a test ends), the transport is
garbage with its socket open: a ResourceWarning, and a file descriptor held until then.

`Connections` wraps the protocol factory: it counts each connection from the moment its
protocol is made (the socket is accepted; `connection_made` follows some loop passes
later, more under qasync), sees its transport in `connection_made` and forgets it in
`connection_lost`. `close_all` aborts what is open, closes at once what is still on its
way in, and waits until asyncio has closed every socket, so a server's `stop` returns
with none left.
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
        if not self._owner._opened(transport):
            self.inner = _Refused()  # accepted as the server stopped: closed unserved
            _abort(transport)
            return
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


class _Refused(asyncio.Protocol):
    """Stands in for the real protocol of a connection closed before it was served."""


def _abort(transport: asyncio.BaseTransport) -> None:
    # abort, not close: close() would wait for a write buffer to drain, and at stop
    # nothing more is sent. Aborting a transport already closed is a no-op.
    if isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()


class Connections:
    """The connections of one listener, from accept to closed socket (see the module's
    docstring). One per start of the listener."""

    def __init__(self) -> None:
        self._open: set[asyncio.BaseTransport] = set()
        self._arriving = 0  # accepted; connection_made not yet run
        self._closing = False
        self._settled = asyncio.Event()
        self._settled.set()

    def __len__(self) -> int:
        """Connections accepted and not yet closed."""
        return len(self._open) + self._arriving

    def transports(self) -> list[asyncio.BaseTransport]:
        """The transports open now (connection_made run, connection_lost not yet)."""
        return list(self._open)

    def wrap(self, factory: Callable[[], Any]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for `loop.create_server` that tracks what `factory` makes."""

        def make() -> asyncio.Protocol:
            self._arriving += 1
            self._settled.clear()
            return _Tracked(factory(), self)

        return make

    def _opened(self, transport: asyncio.BaseTransport) -> bool:
        """Count the connection open; False when the listener is stopping (close it)."""
        self._arriving = max(0, self._arriving - 1)
        self._open.add(transport)
        return not self._closing

    def _closed(self, transport: asyncio.BaseTransport) -> None:
        self._open.discard(transport)
        if not self._open and not self._arriving:
            self._settled.set()

    async def close_all(self, timeout: float = 2.0) -> None:
        """Abort every connection, also those still arriving, and wait until asyncio has
        closed each socket. Call it after the listener is closed."""
        self._closing = True
        for transport in list(self._open):
            _abort(transport)
        # A connection still arriving is aborted in its connection_made; its socket is
        # closed a pass after that. (If asyncio gave up on it before connection_made, the
        # wait ends at the timeout; asyncio closed that socket itself.)
        if len(self):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settled.wait(), timeout)
        if len(self):
            log.warning(
                "%d connections were still open and %d arriving %.1f s after stop",
                len(self._open),
                self._arriving,
                timeout,
            )
