"""Where a batch's chunks are scored: the one registry of ``iqc score --engine`` choices.

The batch (:func:`nlp.batch.score_batch`) reads the inputs, indexes copied tables and writes the
output in the calling process whatever the engine; an engine only runs :class:`~nlp.batch.Task`
objects (the same pure scoring of one document-aligned chunk) and hands the results back in input
order, so every engine writes the same bytes. Engines other than ``local`` are imported only when
chosen: a local run does not pay for importing Dask.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from nlp.batch import Checked, Setup, Task

#: Scores tasks, yielding their results in the order of the tasks.
Run = Callable[[Iterator["Task"]], Iterator["Checked"]]


class Engine(Protocol):
    def started(self, setup: Setup) -> AbstractContextManager[Run]:
        """Start scorers loaded with ``setup`` (a cluster may warm up meanwhile) and give the
        function that runs tasks on them; leaving the context stops what was started."""


class EngineError(RuntimeError):
    """The engine cannot score (a scheduler out of reach, no workers): one line for the user."""


def _local(jobs: int, scheduler: str | None) -> Engine:
    from nlp.batch import LocalEngine

    if scheduler is not None:
        raise ValueError("--scheduler needs --engine dask")
    return LocalEngine(jobs)


def _dask(jobs: int, scheduler: str | None) -> Engine:
    from nlp.dask_engine import DaskEngine

    return DaskEngine(jobs, scheduler)


ENGINES: dict[str, Callable[[int, str | None], Engine]] = {"local": _local, "dask": _dask}


def make_engine(name: str, jobs: int, scheduler: str | None = None) -> Engine:
    """The engine called ``name`` with ``jobs`` workers (a Dask engine given a ``scheduler``
    address uses that cluster's workers instead); ``ValueError`` (one line) if the pair makes no sense."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r} (known: {', '.join(ENGINES)})")
    return ENGINES[name](jobs, scheduler)
