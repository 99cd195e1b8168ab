"""``iqc … | head -1``: a reader that stops early is no error of iqc's, and says nothing.

Python turns the closed pipe into ``BrokenPipeError``; left alone, it printed a traceback (or
"Exception ignored … BrokenPipeError" at exit) under the line the user wanted.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.cli import EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parent.parent


def test_output_into_a_closed_pipe_stops_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (``head -1``) is gone before iqc writes a line
    try:
        done = subprocess.run([sys.executable, "-m", "nlp.cli", "config", "show"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (EXIT_BROKEN_PIPE, "")


def test_a_broken_pipe_that_is_not_the_output_is_not_hidden(monkeypatch, capsys) -> None:
    """A worker's or a client's pipe breaking is a failure to see, not a reader gone."""
    import nlp.cli.config

    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(nlp.cli.config, "run", broken)
    with pytest.raises(BrokenPipeError):
        main(["config", "show"])
