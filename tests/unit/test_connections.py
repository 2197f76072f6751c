"""A local server's stop returns with every accepted socket closed (app/connections.py)."""

from __future__ import annotations

import asyncio

from app.connections import Connections


class _Silent(asyncio.Protocol):
    """Holds its connection open and never closes it itself."""

    lost: list[_Silent] = []

    def connection_lost(self, exc: Exception | None) -> None:
        _Silent.lost.append(self)


async def test_close_all_returns_after_every_socket_is_closed() -> None:
    _Silent.lost = []
    connections = Connections()
    made: list[_Silent] = []

    def factory() -> _Silent:
        made.append(_Silent())
        return made[-1]

    server = await asyncio.get_running_loop().create_server(
        connections.wrap(factory), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    # The server side has the three (connection_made runs a pass after the accept).
    while len(connections) < 3:
        await asyncio.sleep(0.01)
    # One more that connects as the listener closes: its accept may still be under way.
    late = asyncio.ensure_future(asyncio.open_connection("127.0.0.1", port))
    server.close()
    await server.wait_closed()
    await connections.close_all()
    # Every socket the server accepted is closed by now, not a loop pass later.
    assert len(connections) == 0
    assert len(_Silent.lost) == len(made) >= 3
    for reader, writer in clients:
        assert await reader.read() == b""  # the client sees the server hang up
        writer.close()
    try:
        _, late_writer = await late
    except OSError:
        pass  # refused: the listener closed first
    else:
        late_writer.close()
