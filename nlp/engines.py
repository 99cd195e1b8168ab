"""Where a batch's chunks are scored: the one registry of ``iqc score --engine`` choices.

Every engine runs the same :class:`~nlp.tasks.Task` objects (:mod:`nlp.tasks`). Engines other
than ``local`` are imported only when chosen: a local run does not pay for importing Dask.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp.tasks import Engine


def _local(jobs: int, scheduler: str | None) -> Engine:
    from nlp.local_engine import LocalEngine

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
