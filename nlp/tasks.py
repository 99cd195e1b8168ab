"""What every engine runs: one document-aligned chunk scored by a pure function.

A batch (:func:`nlp.batch.score_batch`) reads its inputs, indexes copied tables and writes its
output in the calling process; an engine (:mod:`nlp.engines`) only runs :class:`Task` objects on
scorers loaded with the batch's :class:`Setup` and hands the :class:`Checked` results back in input
order, so every engine writes the same bytes. This module is what the batch and each engine share,
so that none of them imports another.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from nlp.allocator import fix_mmap_threshold
from nlp.baseline import KnownFinding, scored_entries
from nlp.config import Config
from nlp.first_pass import Chunk
from nlp.io_write import Rendered, render
from nlp.schema import FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN

if TYPE_CHECKING:
    from nlp.scorer import Scorer

Result = pd.DataFrame | Rendered


@dataclass(frozen=True)
class Setup:
    """What every scorer of a batch is loaded with: the model, the configuration, the baseline
    (given to each worker once, at start-up, rather than pickled with every chunk)."""

    models_dir: Path | None = None
    config: Config = field(default_factory=Config)
    baseline: frozenset[str] = frozenset()
    record: bool = False  # collect every finding (reported or hidden by the baseline) for --write-baseline


@dataclass(frozen=True)
class Checked:
    """A scored chunk, how many findings reviewers' rejections and the baseline hid in it and,
    when a baseline is being written, every finding it has (reported, in the baseline or rejected:
    all still occur)."""

    result: Result
    rejected: int
    in_baseline: int
    known: list[KnownFinding]


@dataclass(frozen=True)
class Task:
    """One chunk to score; with ``render_as`` set, the result is that format's lines in ``columns``.
    ``twins``: the batch's copied tables among the chunk's tables (found in the first pass).
    Findings whose key is in ``rejected`` (reviewers rejected them) are hidden in the worker,
    before rendering; ``run`` also returns how many were.
    """

    chunk: Chunk
    findings: bool
    render_as: str | None = None
    columns: tuple[str, ...] = ()
    twins: dict = field(default_factory=dict)
    rejected: frozenset[str] = frozenset()

    def run(self, scorer: Scorer) -> Checked:
        from nlp.review.suppress import suppress_frame

        record = scorer.adjuster.record
        findings = self.findings or record or bool(self.rejected)
        scored = scorer.score_frames(self.chunk.frames(), findings=findings, twins=self.twins)
        in_baseline, baseline_known = scorer.adjuster.drain()
        known = [*scored_entries(scored.to_dict("records")), *baseline_known] if record else []
        scored, rejected = suppress_frame(scored, self.rejected)
        if not self.findings:
            scored = scored.drop(columns=[FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN], errors="ignore")
        result = render(scored, self.render_as, self.columns) if self.render_as else scored
        return Checked(result, rejected, in_baseline, known)


def loaded_scorer(setup: Setup) -> Scorer:
    """A scorer for a batch process: configured as ``setup`` says, its model frozen out of the
    garbage collector (:func:`~nlp.scorer.settle`), freed memory returned (:mod:`nlp.allocator`)."""
    import nlp
    from nlp.scorer import GC_GEN0_THRESHOLD, settle

    fix_mmap_threshold()
    scorer = nlp.load(setup.models_dir).configure(setup.config, setup.baseline, setup.record)
    settle(GC_GEN0_THRESHOLD)
    return scorer


#: Scores tasks, yielding their results in the order of the tasks.
Run = Callable[[Iterator[Task]], Iterator[Checked]]


class Engine(Protocol):
    def started(self, setup: Setup) -> AbstractContextManager[Run]:
        """Start scorers loaded with ``setup`` (a cluster may warm up meanwhile) and give the
        function that runs tasks on them; leaving the context stops what was started."""
