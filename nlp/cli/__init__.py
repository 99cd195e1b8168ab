"""The ``iqc`` command line. Each subcommand lives in its own module of this package.

A command module defines ``register(subparsers)``, which adds its parser and sets
``handler=<function(args) -> int>``. Commands are discovered, so adding one never touches this file.
Heavy imports (models, pandas) happen inside handlers, keeping ``iqc --help`` instant.

Exit codes (as proselint's): 0 all fine, 1 some input could not be read or scored (the rest was),
2 usage error, 3 interrupted; 141 (128 + SIGPIPE, as a shell reports ``yes | head -1``'s ``yes``) when
the output's reader stopped reading (``iqc … | head -1``).
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import select
import sys
from collections.abc import Sequence
from pathlib import Path

from nlp.resources import DataFileError

EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 3
EXIT_BROKEN_PIPE = 141


def failed(error: object, code: int = EXIT_INPUT_FAILED) -> int:
    """Say ``error`` in one line on stderr (``iqc: …``, never a traceback); returns ``code``, the
    handler's exit code."""
    print(f"iqc: {error}", file=sys.stderr)
    return code


def output_failed(output: Path, error: OSError) -> int:
    """Say in one line that ``output`` could not be written (a full or read-only disk; the inputs'
    own failures are reported file by file): nothing was, the temp file is gone."""
    return failed(f"cannot write {output}: {error.strerror or error}; nothing was written")


def whole_number(text: str, minimum: int = 0) -> int:
    """An argparse ``type`` for counts: a usage error below ``minimum`` or for a non-number, not a
    traceback (``--jobs -3`` used to mean "all cores" without a word)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type`` for counts that cannot be 0 (workers, chunk rows)."""
    return whole_number(text, minimum=1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iqc",
        description="indicator-qc: 预算绩效目标表指标质量检查 (boilerplate / category mismatch / measurability).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``iqc`` console script.

    Output piped into a reader that stops early (``iqc evaluate … | head -1``) ends the run quietly:
    the Python docs' recipe for SIGPIPE, so no command prints a ``BrokenPipeError`` traceback.
    """
    try:
        code = _run(argv)
        sys.stdout.flush()  # output still buffered meets the closed pipe here, not at interpreter exit
        return code
    except BrokenPipeError:
        if not _reader_gone():
            raise
        # Python flushes stdout again at exit: point it at devnull, or that flush fails aloud too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _reader_gone() -> bool:
    """Whether stdout is a pipe its reader has closed. A ``BrokenPipeError`` from elsewhere (a
    worker's pipe, a client's socket) is a failure to show, not a reader that had enough."""
    if not hasattr(select, "poll"):  # Windows: no way to tell; the recipe's answer
        return True
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
    except (OSError, ValueError):  # stdout replaced by an object without a file (a test's capture)
        return False
    return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except DataFileError as error:
        return failed(error, EXIT_USAGE)
    except KeyboardInterrupt:
        pass
    except Exception:
        from nlp.report.atomic import terminated

        if not terminated():  # a SIGTERM can surface as another exception (see ``terminated``)
            raise
    from nlp.report.atomic import remove_unfinished

    remove_unfinished()  # a temp file the interruption reached before its ``with`` did
    print("iqc: interrupted", file=sys.stderr)
    return EXIT_INTERRUPTED
