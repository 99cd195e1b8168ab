"""Atomic replacement of an output file.

A report is written to a hidden temp file in the target's directory and moved over the target with
``os.replace`` only once complete, so an interrupted run never leaves a half-written ``out.xlsx``
that looks finished (and never clobbers a previous good report). SIGTERM (``kill``, a scheduler's
timeout) is turned into ``KeyboardInterrupt`` while a target is open, so the temp file is removed
then too, not left behind as hundreds of hidden megabytes, and the run ends with "interrupted".
"""
from __future__ import annotations

import errno
import os
import secrets
import signal
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType


class AtomicTarget:
    """A temp path beside ``path``; :meth:`commit` publishes it, :meth:`discard` removes it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if _name_length(self.path.name) > NAME_MAX:  # the temp name would fit: fail now, not at the move
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(self.path))
        if self.path.is_file() and not os.access(self.path, os.W_OK):
            # the move needs the folder's permission only: a file made read-only to keep it was replaced
            raise PermissionError(errno.EACCES, "the file is read-only", str(self.path))
        _make_folder(self.path.parent)
        # SIGTERM unwinds from before the temp file exists until it is gone: writers that hold a
        # target without a ``with`` block (the report writers) are covered too
        self._previous = _interrupt_on_sigterm()
        try:
            self.tmp = _new_temp(self.path)
        except BaseException:
            self._restore_sigterm()
            raise

    def commit(self) -> Path:
        """Publish the temp file at ``path``; interrupted before the move, it is removed instead.

        A SIGTERM whose ``KeyboardInterrupt`` Python swallowed (see :func:`_unraisable`) still
        stops the move: an interrupted run never publishes.
        """
        try:
            if _terminated.is_set():
                raise KeyboardInterrupt("SIGTERM (its exception was raised where Python ignores exceptions)")
            os.chmod(self.tmp, _published_mode(self.path))
            os.replace(self.tmp, self.path)
        finally:
            self.discard()  # after the move there is nothing left to remove
        return self.path

    def discard(self) -> None:
        try:
            self.tmp.unlink(missing_ok=True)
            _unfinished.discard(self.tmp)
        finally:
            self._restore_sigterm()

    def _restore_sigterm(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
            self._previous = None

    def __enter__(self) -> "AtomicTarget":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def _make_folder(folder: Path) -> None:
    """Create ``folder`` and its parents; a file in its place is "Not a directory", as it is when
    it is further up (``mkdir`` says "File exists", which reads as if the output were in the way)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder)) from None


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises ``KeyboardInterrupt`` inside the block, as it does while a target is open.

    For work that makes temp files before its output is opened: a batch's first pass, whose
    reading processes spill to files of their own (:mod:`nlp.first_pass`). Killed there by
    SIGTERM's default action, the batch left those files behind.
    """
    previous = _interrupt_on_sigterm()
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _interrupt_on_sigterm() -> signal.Handlers | None:
    """Make SIGTERM raise ``KeyboardInterrupt`` (so ``with`` blocks unwind); the handler it replaced.

    Only in the main thread (the only one signals reach) and only over the default handler: a
    program with its own SIGTERM handling keeps it.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return None
    _quiet_about_swallowed_interrupts()
    return signal.signal(signal.SIGTERM, _raise_interrupt)


_previous_unraisablehook = sys.unraisablehook


def _quiet_about_swallowed_interrupts() -> None:
    global _previous_unraisablehook
    if sys.unraisablehook is not _unraisable:
        _previous_unraisablehook, sys.unraisablehook = sys.unraisablehook, _unraisable


def _unraisable(unraisable: "sys.UnraisableHookArgs") -> None:
    """Keep quiet about a SIGTERM's ``KeyboardInterrupt`` that Python could not raise.

    The handler raises wherever the main thread is; inside a weakref callback or a ``__del__``
    (one runs in every import) Python prints "Exception ignored" with a traceback and goes on, the
    interruption lost. The flag keeps it: :meth:`AtomicTarget.commit` and the batch loop look at
    it, so the run still ends "interrupted", without the traceback.
    """
    if _terminated.is_set() and isinstance(unraisable.exc_value, KeyboardInterrupt):
        return
    _previous_unraisablehook(unraisable)


_terminated = threading.Event()


def terminated() -> bool:
    """Whether this process got SIGTERM while a target was open.

    The ``KeyboardInterrupt`` it raises lands wherever the main thread is; inside an import or a
    class body Python re-raises it as ``RuntimeError`` (``__set_name__``), so the command line asks
    here rather than trusting the exception's type to tell an interruption from a failure.
    """
    return _terminated.is_set()


#: Temp files created and neither committed nor discarded yet. A SIGTERM can land where no
#: ``with`` or ``except`` sees it -- just after a temp file is created, before the ``with`` that
#: owns it begins -- so the command line removes what is left here on its way out.
_unfinished: set[Path] = set()


#: The longest file name on the common file systems: 255 bytes (ext4, XFS, APFS), 255 UTF-16 units (NTFS).
NAME_MAX = 255


def _name_length(name: str) -> int:
    """``name``'s length in the units :data:`NAME_MAX` counts on this system."""
    return len(name.encode("utf-16-le")) // 2 if os.name == "nt" else len(os.fsencode(name))


def hidden_sibling(path: Path, tail: str) -> Path:
    """``.<name><tail>`` beside ``path``, ``name`` shortened from its end until it fits in
    :data:`NAME_MAX` bytes: an output whose own name was as long as allowed was refused ("File
    name too long") because of its temp file's longer name."""
    name = path.name
    while _name_length(f".{name}{tail}") > NAME_MAX and name:
        name = name[:-1]
    return path.parent / f".{name}{tail}"


def new_temp_dir(path: Path, kind: str) -> Path:
    """A new empty folder ``.<name>.<random>.<kind>`` beside ``path`` (mode 0700, as ``mkdtemp``)."""
    while True:
        folder = hidden_sibling(path, f".{secrets.token_hex(6)}.{kind}")
        try:
            folder.mkdir(mode=0o700)
            return folder
        except FileExistsError:
            continue  # another's folder: try another name


def _new_temp(path: Path) -> Path:
    """A new empty ``.<name>.<random>.tmp`` beside ``path``. It is known (in ``_unfinished``) before
    it exists, so an interruption at any point cannot leave a file nobody knows of (with
    ``tempfile.mkstemp`` the name was unknown until the call returned)."""
    while True:
        tmp = hidden_sibling(path, f".{secrets.token_hex(6)}.tmp")
        _unfinished.add(tmp)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return tmp
        except FileExistsError:
            _unfinished.discard(tmp)  # another's file: try another name, leave that one alone
        except BaseException:
            tmp.unlink(missing_ok=True)
            _unfinished.discard(tmp)
            raise


def remove_unfinished() -> None:
    """Remove the temp files of targets neither committed nor discarded (an interrupted program)."""
    for tmp in list(_unfinished):
        tmp.unlink(missing_ok=True)
        _unfinished.discard(tmp)


def _raise_interrupt(signum: int, frame: object) -> None:
    _terminated.set()
    raise KeyboardInterrupt(f"signal {signum}")


def _published_mode(path: Path) -> int:
    """The permissions of the file ``path`` replaces (a report kept private, 0600, was published
    0644 by a re-run, readable by everyone), else those of a new file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask (mkstemp creates 0600 files; a report should get normal permissions)."""
    current = os.umask(0)
    os.umask(current)
    return current
