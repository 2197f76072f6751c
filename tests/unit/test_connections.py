"""A local server's stop returns with every accepted socket closed (app/connections.py)."""

from __future__ import annotations

import asyncio
import socket

from app.connections import Connections


class _Silent(asyncio.Protocol):
    """Holds its connection open and never closes it itself."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.log.append("made")

    def connection_lost(self, exc: Exception | None) -> None:
        self.log.append("lost")


async def test_close_all_returns_after_every_socket_is_closed() -> None:
    log: list[str] = []
    connections = Connections()
    server = await asyncio.get_running_loop().create_server(
        connections.wrap(lambda: _Silent(log)), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    assert len(connections) == 3  # accepted, whether or not connection_made ran yet
    server.close()
    await server.wait_closed()
    await connections.close_all()
    # Every socket the server accepted is closed by now, not a loop pass later.
    assert len(connections) == 0
    assert log.count("made") == log.count("lost") == 3
    for reader, writer in clients:
        assert await reader.read() == b""  # the client sees the server hang up
        writer.close()


async def test_a_connection_still_arriving_at_stop_is_closed_unserved() -> None:
    """asyncio makes the protocol when it accepts and calls connection_made passes later:
    a connection accepted as the server stops must not outlive the stop."""
    log: list[str] = []
    connections = Connections()
    ours, peer = socket.socketpair()
    loop = asyncio.get_running_loop()
    arriving = asyncio.ensure_future(
        loop.connect_accepted_socket(connections.wrap(lambda: _Silent(log)), ours)
    )
    await asyncio.sleep(0)  # the protocol is made; its connection_made is still queued
    assert len(connections) == 1 and log == []
    await connections.close_all()
    assert len(connections) == 0
    assert log == []  # never served
    peer.setblocking(False)
    assert await loop.sock_recv(peer, 1) == b""  # and its socket is closed
    peer.close()
    await arriving
