"""The test helpers' own promises, where a broken one would show only as a rare flake."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.conftest import Reserve


async def test_a_reserved_port_is_bound_by_the_server_started_at_it_and_nobody_else(
    reserve_port: Reserve,
) -> None:
    port = reserve_port()
    with socket.socket() as other, pytest.raises(OSError):  # a parallel worker, a client
        other.bind(("127.0.0.1", port))
    server = await asyncio.start_server(lambda reader, writer: None, "127.0.0.1", port)
    server.close()
    await server.wait_closed()
