"""Lanes: a pipe pair between the API server's event loop and each helper process, for the
never-seen rows of the server's micro-batches (:mod:`nlp.api.batching`).

Why not the helpers' executor: a part sent through :class:`~concurrent.futures.ProcessPoolExecutor`
crosses two of its threads on the way out and one on the way back, and each needs the GIL, which
the busy event loop gives up only every switch interval (5 ms). A micro-batch's part waited 3 ms
(median; 11 ms at p90) to reach an idle helper and as long to come back, so the loop and the
helper took turns instead of working at once: 1,020 requests/s of single never-seen rows at 32
connections against 1,100 without a helper. On a lane the loop itself writes the part (a
length-prefixed pickle) to the helper's pipe and reads the outputs when the pipe is readable, with
no thread in between.

Each helper serves its lane in a thread of its own, beside the executor's work, in order: the
loop's end is a queue of futures. Rows, facts and outputs cross pickled as the pool's parts do
(:class:`~multiprocessing.reduction.ForkingPickler`, findings and facts as field values). :data:`LANE_DEPTH` parts may be on a lane at once, so that the
helper finds the next part waiting when it has sent one back.

A helper that dies closes its ends of its lane: the loop reads the end of the pipe, every part
waiting on it is answered ``None`` (its caller scores it itself) and the lane is shut. A helper that
hangs (stopped, swapped out, stuck) answers nothing: a part left unanswered for
:data:`STALL_SECONDS` shuts its lane the same way, so no request waits on it for ever.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any

log = logging.getLogger(__name__)

#: Parts on a lane at once: one the helper scores, one waiting for it.
LANE_DEPTH = 2
#: A part unanswered this long means its helper hangs: a part takes milliseconds, a large
#: request's part of a few thousand rows about a second (also the bound for those, in
#: :mod:`nlp.helper_pool`).
STALL_SECONDS = 30.0
_HEADER = 8  # bytes of a frame's length

Outputs = list[tuple]
ScoreRecords = Callable[[list[dict[str, str]], list[Any]], Outputs]


class LanePipes:
    """The pipes of ``count`` lanes, made before the helpers are spawned.

    The helpers get every lane's helper ends (:attr:`for_helpers`, as the pool's ``initargs``)
    and one token each from a pipe of claims: a helper takes the lane whose number it reads (a
    one-byte read from a pipe goes to one reader alone, so no lock or semaphore is needed).
    """

    def __init__(self, count: int) -> None:
        self.for_helpers: tuple[Connection, list[tuple[Connection, Connection]]] | None = None
        self._ours: list[tuple[Connection, Connection]] = []
        if os.name != "posix":  # asyncio's pipe transports and these raw reads need POSIX pipes
            return
        pipes = [(multiprocessing.Pipe(duplex=False), multiprocessing.Pipe(duplex=False)) for _ in range(count)]
        claims, tokens = multiprocessing.Pipe(duplex=False)
        os.write(tokens.fileno(), bytes(range(count)))
        tokens.close()
        self.for_helpers = (
            claims, [(parts_in, outputs_out) for (parts_in, _), (_, outputs_out) in pipes])
        self._ours = [(parts_out, outputs_in) for (_, parts_out), (outputs_in, _) in pipes]

    def spawned(self) -> None:
        """Close the helpers' ends here, once they have them: a helper's end of the pipe then
        closes with the helper, and the loop reads it as the lane's end."""
        if self.for_helpers is None:
            return
        claims, lanes = self.for_helpers
        for connection in (claims, *(end for lane in lanes for end in lane)):
            connection.close()

    async def connect(self, on_lost: Callable[[str], None]) -> Lanes | None:
        """The lanes, on the running loop (``None`` without pipes); ``on_lost(reason)`` is called
        when a helper's lane ends or stalls."""
        if not self._ours:
            return None
        loop = asyncio.get_running_loop()
        lanes = []
        for parts_out, outputs_in in self._ours:
            writer, _ = await loop.connect_write_pipe(asyncio.Protocol, open(_fd(parts_out), "wb", buffering=0))
            _, lane = await loop.connect_read_pipe(lambda: _Lane(writer, on_lost),
                                                   open(_fd(outputs_in), "rb", buffering=0))
            lanes.append(lane)
        self._ours = []
        return Lanes(lanes)

    def close(self) -> None:
        """Close the pipes of lanes never connected."""
        for connection in (end for lane in self._ours for end in lane):
            connection.close()
        self._ours = []


class Lanes:
    """The loop's end of the helpers' lanes: parts sent, outputs awaited."""

    def __init__(self, lanes: list[_Lane]) -> None:
        self._lanes = lanes
        self._loop = asyncio.get_running_loop()

    @property
    def full(self) -> bool:
        """Every open lane holds :data:`LANE_DEPTH` parts (``False`` when none is open)."""
        open_lanes = [lane for lane in self._lanes if lane.open]
        return bool(open_lanes) and all(len(lane.parts) >= LANE_DEPTH for lane in open_lanes)

    def send(self, records: list[dict[str, str]], facts: list[Any]) -> asyncio.Future[Outputs | None] | None:
        """The outputs to come of ``records``, sent on the open lane holding fewest parts, or
        ``None`` if every lane is full or shut. A part whose helper fails is answered ``None``."""
        lane = min((lane for lane in self._lanes if lane.open), key=lambda lane: len(lane.parts), default=None)
        if lane is None or len(lane.parts) >= LANE_DEPTH:
            return None
        return lane.send(ForkingPickler.dumps((records, facts)))

    def close(self) -> None:
        """Shut every lane, from any thread (a request's thread closes the pool when a helper dies)."""
        try:
            here = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            here = False
        if here:
            self._shut()
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._shut)

    def _shut(self) -> None:
        for lane in self._lanes:
            lane.close()


class _Lane(asyncio.Protocol):
    """One helper's lane as the loop sees it: its write transport and the parts it waits for, in order."""

    def __init__(self, writer: asyncio.WriteTransport, on_lost: Callable[[str], None]) -> None:
        self.parts: deque[asyncio.Future[Outputs | None]] = deque()
        self.open = True
        self._writer, self._on_lost = writer, on_lost
        self._reader: asyncio.BaseTransport | None = None
        self._buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._reader = transport

    def send(self, payload: bytes | memoryview) -> asyncio.Future[Outputs | None]:
        loop = asyncio.get_running_loop()
        part: asyncio.Future[Outputs | None] = loop.create_future()
        stall = loop.call_later(STALL_SECONDS, self._stalled, part)
        part.add_done_callback(lambda _: stall.cancel())
        self.parts.append(part)
        self._writer.write(len(payload).to_bytes(_HEADER, "big"))
        self._writer.write(payload)
        return part

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= _HEADER:
            end = _HEADER + int.from_bytes(self._buffer[:_HEADER], "big")
            if len(self._buffer) < end:
                return
            outputs = pickle.loads(self._buffer[_HEADER:end])
            del self._buffer[:end]
            _answer(self.parts.popleft(), outputs)

    def connection_lost(self, exc: Exception | None) -> None:
        self._give_up("a helper's lane closed")

    def _stalled(self, part: asyncio.Future[Outputs | None]) -> None:
        if not part.done():
            self._give_up(f"a helper answered no part for {STALL_SECONDS:g} s")

    def _give_up(self, reason: str) -> None:
        was_open = self.open
        self.close()
        if was_open:
            self._on_lost(reason)

    def close(self) -> None:
        """Shut the lane: the parts still waiting are answered ``None``."""
        self.open = False
        self._writer.close()
        if self._reader is not None:
            self._reader.close()
        while self.parts:
            _answer(self.parts.popleft(), None)


def _fd(connection: Connection) -> int:
    """The pipe end of ``connection`` as a file descriptor of its own (the connection closed)."""
    fd = os.dup(connection.fileno())
    connection.close()
    return fd


def _answer(part: asyncio.Future[Outputs | None], outputs: Outputs | None) -> None:
    if not part.done():
        part.set_result(outputs)


def serve_lane(ends: tuple[Connection, list[tuple[Connection, Connection]]] | None, score: ScoreRecords) -> None:
    """In a helper: claim a lane, close the others' ends, and serve it from a thread of its own."""
    if ends is None:  # no lanes on this platform
        return
    claims, lanes = ends
    number = os.read(claims.fileno(), 1)[0]
    claims.close()
    for i, (parts_in, outputs_out) in enumerate(lanes):
        if i != number:
            parts_in.close()
            outputs_out.close()
    parts_in, outputs_out = lanes[number]
    threading.Thread(target=_serve, args=(_fd(parts_in), _fd(outputs_out), score), daemon=True,
                     name="lane").start()


def _serve(parts_in: int, outputs_out: int, score: ScoreRecords) -> None:
    """Score each part read, in order, until the server closes its end."""
    try:
        with open(parts_in, "rb") as reader, open(outputs_out, "wb") as writer:  # buffered: whole reads and writes
            while len(header := reader.read(_HEADER)) == _HEADER:
                records, facts = pickle.loads(reader.read(int.from_bytes(header, "big")))
                payload = ForkingPickler.dumps(_scored(score, records, facts))
                writer.write(len(payload).to_bytes(_HEADER, "big"))
                writer.write(payload)
                writer.flush()
    except BrokenPipeError:  # the server shut the lane while a part was scored here: it stops
        return


def _scored(score: ScoreRecords, records: list[dict[str, str]], facts: list[Any]) -> Outputs | None:
    """The part's outputs, or ``None`` if scoring failed here (the server then scores it itself)."""
    try:
        return score(records, facts)
    except Exception:  # noqa: BLE001 - the server's own scoring says what is wrong, to its caller
        log.exception("a helper failed to score a part of %d rows", len(records))
        return None
