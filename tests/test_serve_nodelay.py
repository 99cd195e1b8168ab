"""``iqc serve`` turns Nagle's algorithm off on every connection, under any ``--workers``.

uvicorn's ``--workers N`` listener is a socket with ``proto`` 0, on which asyncio leaves Nagle on
(a ~44 ms floor per request, measured by ``benchmarks/api_bench.py --listener-check``). The test
serves a tiny app on such a socket, as the worker processes do, and reads the option off the
accepted connection; the same server with uvicorn's own protocol on asyncio's loop shows the bug it
guards against.
"""
from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from nlp.api.nodelay import NoDelayHTTPProtocol


async def _app(scope, receive, send) -> None:
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


def _nodelay_of_served_connection(protocol: type, loop: str) -> int:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, like uvicorn's bind_socket
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_app, http=protocol, loop=loop, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        with socket.create_connection(listener.getsockname()) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200")
            (connection,) = server.server_state.connections
            return connection.transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(("protocol", "loop", "nodelay"), [
    (NoDelayHTTPProtocol, "asyncio", True),
    (AutoHTTPProtocol, "asyncio", False),  # the bug: asyncio leaves Nagle on for a proto-0 listener
    (NoDelayHTTPProtocol, "uvloop", True),  # uvloop (the default when installed) sets it too
])
def test_connections_on_a_worker_listener_send_at_once(protocol: type, loop: str, nodelay: bool) -> None:
    assert bool(_nodelay_of_served_connection(protocol, loop)) is nodelay
