"""Atomic replacement of an output file.

A report is written to a hidden temp file in the target's directory and moved over the target with
``os.replace`` only once complete, so an interrupted run never leaves a half-written ``out.xlsx``
that looks finished (and never clobbers a previous good report). SIGTERM (``kill``, a scheduler's
timeout) is turned into ``KeyboardInterrupt`` while a target is open, so the temp file is removed
then too, not left behind as hundreds of hidden megabytes.
"""
from __future__ import annotations

import os
import signal
import tempfile
import threading
from pathlib import Path
from types import TracebackType


class AtomicTarget:
    """A temp path beside ``path``; :meth:`commit` publishes it, :meth:`discard` removes it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        os.close(handle)
        self.tmp = Path(name)
        self._previous: signal.Handlers | None = None

    def commit(self) -> Path:
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)
        return self.path

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> "AtomicTarget":
        self._previous = _interrupt_on_sigterm()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _interrupt_on_sigterm() -> signal.Handlers | None:
    """Make SIGTERM raise ``KeyboardInterrupt`` (so ``with`` blocks unwind); the handler it replaced.

    Only in the main thread (the only one signals reach) and only over the default handler: a
    program with its own SIGTERM handling keeps it.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _umask() -> int:
    """The process umask (mkstemp creates 0600 files; a report should get normal permissions)."""
    current = os.umask(0)
    os.umask(current)
    return current
