"""The HTTP protocol ``iqc serve`` hands uvicorn: its usual one, with TCP_NODELAY on every connection.

Why: asyncio turns Nagle's algorithm off only on sockets whose ``proto`` is ``IPPROTO_TCP``, and the
listening socket uvicorn binds for ``--workers N`` is created with ``proto`` 0 (one worker lets
asyncio create it, with the right ``proto``). Under ``--workers N`` a response written in two
pieces (head, then body) therefore waited for the client's delayed ACK before its second piece
left: a ~44 ms floor under every request (``benchmarks/api_bench.py --listener-check``). uvloop,
uvicorn's loop when it is installed, sets the option itself; this covers the loops that do not.
"""
from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.auto import AutoHTTPProtocol


class NoDelayHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's automatically chosen HTTP protocol (httptools, else h11) sending small writes at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
