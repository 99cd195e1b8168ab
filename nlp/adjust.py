"""After scoring: the one place a configuration and a baseline change a scored row.

The scorer's rows stay what the model says (and are remembered as such); :class:`Adjuster` then
removes findings (a disabled code, below ``min_severity``, one of the code's exception words
in the row's name or the finding's cell, already in the baseline), re-grades
them (a severity per code), re-derives the flags from the ``score_*`` values at raised
thresholds, and re-renders ``codes``, ``review``, ``suggested_level2`` and ``explanation`` from
what is left, so every output format agrees.

A family flagged for a fact whatever its score (an exact duplicate, B10) keeps that flag at any
threshold. A family whose findings are all removed loses its flag: disabling a code means its rows are not
reported, and substituting the model code (B0/C0/M0) would re-report the same rows under another
name. Its score stays in ``score_*``. A family that drops below a raised threshold joins ``review``
(the "needs a look" band then runs from the model's review threshold up to the configured one).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from nlp.baseline import KnownFinding
from nlp.config import Config
from nlp.context import Columns
from nlp.fingerprints import finding_key
from nlp.schema import FAMILIES, OUTPUT_COLUMNS, Finding, finding_cells


class Adjuster:
    """Applies ``config`` (and a ``baseline`` of known fingerprints) to the scorer's output tuples.

    ``thresholds`` are the model's own flag thresholds. ``hidden`` counts the findings the baseline
    hid since the last :meth:`drain` (a batch counts them per chunk, in whichever process scored
    it); with ``record`` they are also kept, for a new baseline (they still occur).
    """

    def __init__(self, config: Config, thresholds: Mapping[str, float], baseline: frozenset[str] = frozenset(),
                 record: bool = False) -> None:
        config.check_thresholds(thresholds)
        self.config = config
        self.model_thresholds = thresholds
        self.thresholds = {family: config.thresholds.get(family, thresholds[family]) for family in FAMILIES}
        self.baseline = baseline
        self.record = record
        self.hidden = 0
        self.hidden_known: list[KnownFinding] = []

    @property
    def active(self) -> bool:
        return self.config.changes_findings or bool(self.baseline)

    def drain(self) -> tuple[int, list[KnownFinding]]:
        """How many findings the baseline hid since the last call, and (with ``record``) which;
        counting starts afresh."""
        drained = self.hidden, self.hidden_known
        self.hidden, self.hidden_known = 0, []
        return drained

    def apply(self, columns: Columns, outputs: list[tuple]) -> list[tuple]:
        """``outputs`` (one tuple per row of ``columns``: output values, then findings) adjusted."""
        if not self.active:
            return outputs
        with_cells = bool(self.baseline or self.config.exceptions)
        return [self._row(output, {name: cells[i] for name, cells in columns.items()} if with_cells else {})
                for i, output in enumerate(outputs)]

    def _row(self, output: tuple, cells: dict[str, str]) -> tuple:
        """One row; ``cells`` (its analysed cells) only when there is a baseline to look up or
        exception words to look for."""
        values = dict(zip(OUTPUT_COLUMNS, output))
        findings = [f for f in (self._graded(f) for f in output[-1])
                    if self.config.reports(f.code, f.severity) and not self.config.excepts(f.code, f.field, cells)]
        if self.baseline:
            keys = [finding_key(cells, f.code) for f in findings]
            known = [KnownFinding(key, f.code, level3=cells["level3"])
                     for key, f in zip(keys, findings) if key in self.baseline]
            self.hidden += len(known)
            if self.record:
                self.hidden_known.extend(known)
            findings = [f for key, f in zip(keys, findings) if key not in self.baseline]
        return self._rendered(values, findings)

    def _graded(self, finding: Finding) -> Finding:
        severity = self.config.severity_of(finding.code, finding.severity)
        return finding if severity == finding.severity else replace(finding, severity=severity)

    def _rendered(self, values: dict, findings: list[Finding]) -> tuple:
        """The row's output values re-derived from the findings left and the thresholds."""
        review = [family for family in values["review"].split(";") if family]
        for family in FAMILIES:
            if not values[f"flag_{family}"]:
                continue
            score = values[f"score_{family}"]
            above = score >= self.thresholds[family]
            as_fact = score < self.model_thresholds[family]  # flagged for a fact (B10), not by the model
            if (above or as_fact) and any(f.family == family for f in findings):
                continue
            values[f"flag_{family}"] = 0
            findings = [f for f in findings if f.family != family]
            if not above:
                review.append(family)
        values["review"] = ";".join(family for family in FAMILIES if family in review)
        if not values["flag_mismatch"]:
            values["suggested_level2"] = ""
        values.update(finding_cells(findings))
        return (*(values[column] for column in OUTPUT_COLUMNS), tuple(findings))
