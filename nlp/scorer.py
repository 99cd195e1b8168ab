"""Scoring: the one code path behind the CLI, the Python API and the HTTP API.

``Scorer.score_frame(df)`` returns the input columns untouched followed by the output columns of
:mod:`nlp.schema` and a ``findings`` column. A flag comes from the calibrated family model; its
codes come from the rules of that family that fired (most important first, per the precedence in
``data/codes.toml``). When the model flags a family but no rule of it fired, the finding is the
family's model code (B0/C0/M0) and its evidence is the features that pushed the score up most
(exact ``coef · x`` contributions of the linear head).
"""
from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from nlp import fingerprint
from nlp.adjust import Adjuster
from nlp.artifacts import load_verified
from nlp.codes import catalogue, family_of, is_default_off, precedence, severity_of
from nlp.config import Config, Province
from nlp.cues import pipeline
from nlp.copies import Twin
from nlp.context import (ANALYSED_CELLS, Columns, RowContext, TableFacts, analysis_keys, column_records,
                         find_twins, frame_columns, record_columns, table_facts, table_keys)
from nlp.explain import locate, readable_feature
from nlp.features import AnalysedRows, analyse_records
from nlp.lanes import ScoreRecords
from nlp.linear_heads import LinearHeads
from nlp.long_cells import Cuts, cut_for_analysis, with_cut_findings
from nlp.memo import Memo
from nlp.model import IndicatorModel
from nlp.resources import models_path
from nlp.rules import copied_evidence
from nlp.schema import FAMILIES, FINDINGS_COLUMN, OUTPUT_COLUMNS, TABLE_FINDINGS_COLUMN, Finding, explained, finding_cells

MODEL_CODE = {"boilerplate": "B0", "mismatch": "C0", "unmeasurable": "M0"}
_QUOTE_LIMIT = 40
#: Allocations between young-generation collections in batch processes (see :func:`settle`).
GC_GEN0_THRESHOLD = 50_000
#: Bytes of remembered rows per process (about 55,000 rows of the benchmark batch; see nlp.memo).
DEFAULT_MEMO_BYTES = 64 << 20
#: Estimated bytes of a remembered row besides its text: key and output tuples, their numbers,
#: table facts, the dict slot, and per finding (fitted to tracemalloc on the benchmark batches: within 3 %).
_ENTRY_BYTES, _FINDING_BYTES = 500, 250
_EXPLANATION = OUTPUT_COLUMNS.index("explanation")
#: A row's output dict -> its :data:`OUTPUT_COLUMNS` values in order (one C call, no generator a row).
_OUTPUT_VALUES = itemgetter(*OUTPUT_COLUMNS)


class RowSharing(Protocol):
    """Processes holding the same model that score part of a large call's never-seen rows
    (:class:`~nlp.helper_pool.HelperPool`, which the HTTP API attaches)."""

    def worth_sharing(self, rows: int) -> bool:
        """Whether ``rows`` never-seen rows are enough to share."""

    def share(self, score_here: ScoreRecords, records: list[dict[str, str]], facts: list[TableFacts]) -> list[tuple]:
        """``score_here(records, facts)``, parts of it computed elsewhere, the same outputs."""


def _quote(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _QUOTE_LIMIT else text[:_QUOTE_LIMIT] + "…"


@dataclass(slots=True)
class _Prepared:
    """One frame's rows as the scorer analyses them: cells (cut, province view), table facts, keys."""

    analysed: Columns
    cuts: Cuts
    twins: dict[str, Twin]
    facts: list[TableFacts]
    keys: list[tuple]


@dataclass(slots=True)
class Plan:
    """A call up to its model call: each group of columns prepared, the outputs memory answered,
    and the never-seen rows (one per distinct key) still to score, as analysed cells and table
    facts. Scoring those is the one step that may run elsewhere (a helper process, while the API's
    event loop answers other requests); :meth:`Scorer.finish` takes their outputs back."""

    groups: list[Columns]
    prepared: list[_Prepared]
    outputs: dict[tuple, tuple]
    fresh: list[tuple]
    records: list[dict[str, str]]
    facts: list[TableFacts]
    #: The rows of each request of :meth:`Scorer.plan_requests`, which its results extend.
    requests: list[list[Mapping[str, object]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _CodeSets:
    """What scoring asks the code catalogue for each finding, read from it once: a catalogue
    lookup per hit and per family was a per-row cost of every never-seen row."""

    advisory: frozenset[str]
    reported: dict[str, frozenset[str]]  # family -> its codes reported as findings (not default-off)
    always_report: frozenset[str]
    rank: dict[str, int]  # code -> precedence (0 = reported first)


@lru_cache(maxsize=1)
def _code_sets() -> _CodeSets:
    entries = catalogue()

    def of_family(family: str) -> frozenset[str]:
        return frozenset(code for code, entry in entries.items() if entry["family"] == family)

    return _CodeSets(of_family("advisory"),
                     {family: frozenset(c for c in of_family(family) if not is_default_off(c)) for family in FAMILIES},
                     frozenset(code for code, entry in entries.items() if entry.get("always_report")),
                     precedence())


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A chunk's model outputs as the rows read them, computed once for the chunk: Python lists of
    the threshold comparisons and rounded scores, rather than a numpy scalar indexed, compared and
    converted per row and family (same values: the comparisons are numpy's either way, and
    ``round`` of a list's float is ``round`` of ``float(scalar)``)."""

    flagged: dict[str, list[bool]]  # family -> score at or above the family's threshold, per row
    in_review: dict[str, list[bool]]  # family -> score at or above the review threshold, per row
    scores: dict[str, list[float]]  # family -> score rounded to 4 places, as output
    category_proba: np.ndarray
    X: sp.csr_matrix
    codes: _CodeSets

    @classmethod
    def of(cls, proba: dict[str, np.ndarray], category_proba: np.ndarray, X: sp.csr_matrix,
           model: IndicatorModel) -> _Chunk:
        return cls({f: (proba[f] >= model.thresholds_[f]).tolist() for f in FAMILIES},
                   {f: (proba[f] >= model.review_thresholds_[f]).tolist() for f in FAMILIES},
                   {f: [round(p, 4) for p in proba[f].tolist()] for f in FAMILIES},
                   category_proba, X, _code_sets())


class Scorer:
    """A loaded model. Build it with :func:`load`; it is safe to reuse across batches.

    Rows are scored once per distinct :func:`~nlp.context.analysis_keys` key and the result is
    remembered in up to ``memo_bytes`` (across frames: a batch streams chunks through one scorer;
    :class:`~nlp.memo.Memo` drops the oldest when full and stops remembering while rows are not
    reused), so repeated rows cost a dictionary lookup. ``memo_bytes=0`` turns that off. A
    remembered result is a compact tuple
    (:data:`OUTPUT_COLUMNS` values, then the findings as :class:`Finding` objects); findings become
    dicts only for callers that ask for them.
    """

    def __init__(self, model: IndicatorModel, manifest: dict, memo_bytes: int = DEFAULT_MEMO_BYTES) -> None:
        self.model = model
        self.heads = LinearHeads(model)  # scikit-learn's arithmetic without its per-call validation
        self.model_info = {key: manifest.get(key) for key in ("version", "created", "training_data_sha256",
                                                             "metrics", "thresholds", "libraries")}
        self._memo: Memo[tuple, tuple] = Memo(memo_bytes, _entry_bytes)
        self._feature_names = model.feature_names()
        self._coefficients = {family: model.head_coefficients(family) for family in FAMILIES}
        self.adjuster = Adjuster(Config(), model.thresholds_)
        self.province = Province()
        #: Processes that share the never-seen rows of a large call (:class:`RowSharing`), or ``None``.
        self.helpers: RowSharing | None = None

    def configure(self, config: Config | None = None, baseline: frozenset[str] = frozenset(),
                  record: bool = False) -> Scorer:
        """Apply ``config`` (an ``iqc.toml``) and hide the findings in ``baseline``
        (:func:`nlp.baseline.read_baseline`) in every later result; ``self.adjuster.drain()`` says
        how many were hidden (and, with ``record``, which). :class:`~nlp.config.ConfigError` if a
        threshold is below the model's own. The remembered rows are the model's, so configuring
        never clears them."""
        self.adjuster = Adjuster(config or Config(), self.model.thresholds_, baseline, record)
        self.province = (config or Config()).active_province()
        return self

    # -- public API ----------------------------------------------------------------------------
    def score_frame(self, frame: pd.DataFrame, findings: bool = True,
                    twins: dict[str, Twin] | None = None) -> pd.DataFrame:
        """Score every row of ``frame``: input columns unchanged + output columns + the findings
        and table-findings columns (lists of dicts; ``findings=False`` leaves them out, e.g. for
        CSV output). ``twins``: the batch's copied tables when ``frame`` is one chunk of a batch
        (:mod:`nlp.copies`); by default copies are looked for among the frame's own tables."""
        return self.score_frames([frame], findings, twins)

    def score_frames(self, frames: list[pd.DataFrame], findings: bool = True,
                     twins: dict[str, Twin] | None = None) -> pd.DataFrame:
        """The rows of all ``frames`` (with the same columns), one after another, scored as
        :meth:`score_frame` scores each frame: the model is called once for all of them, while each
        frame's tables, copies (without ``twins``) and table facts are still its own. So the result
        equals ``pd.concat([self.score_frame(f, findings, twins) for f in frames], ignore_index=True)``
        (one frame keeps its index), without adding the outputs frame by frame: for the ~500 files
        of one joined task, ~0.7 of 1.7 CPU-seconds."""
        outputs = self._score_groups([frame_columns(frame) for frame in frames], twins)
        joined = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        return _with_outputs(joined, [row for frame_outputs in outputs for row in frame_outputs], findings)

    def score(self, rows: Iterable[Mapping[str, object]]) -> list[dict]:
        """Score plain dicts (interchange fields); same results as :meth:`score_frame`, no frame built
        (a single-row call from the HTTP API costs microseconds when the row was seen before)."""
        return self.score_requests([rows])[0]

    def score_outputs(self, rows: Iterable[Mapping[str, object]]) -> list[tuple]:
        """What :meth:`score` computes for each row before it becomes a dict: its
        :data:`OUTPUT_COLUMNS` values, then its findings (:class:`Finding` objects, its table's
        included). For a caller that renders rows itself: the HTTP API answers a large request
        from these, without a dict a row and one a finding that it would only read back."""
        return self._score_groups([record_columns(list(rows))])[0]

    def score_requests(self, requests: Iterable[Iterable[Mapping[str, object]]]) -> list[list[dict]]:
        """Several independent :meth:`score` calls in one, as the HTTP API batches concurrent requests.

        Each request's rows stay a frame of their own (their tables, copies and table facts are
        found among them alone), so the results equal ``[self.score(rows) for rows in requests]``;
        what is shared is the model call: the rows no request has seen are featurised and scored
        together, which saves the fixed cost of a call per request.
        """
        plan = self.plan_requests(requests)
        return self.finish_requests(plan, self.score_fresh(plan))

    def plan_requests(self, requests: Iterable[Iterable[Mapping[str, object]]]) -> Plan:
        """The first step of :meth:`score_requests`: its :class:`Plan`."""
        requests = [list(rows) for rows in requests]
        plan = self._plan([record_columns(rows) for rows in requests])
        plan.requests = requests
        return plan

    def finish_requests(self, plan: Plan, fresh: list[tuple]) -> list[list[dict]]:
        """The last step of :meth:`score_requests`: its results, given the outputs of
        ``plan.records`` (from :meth:`score_fresh`, or a helper's :meth:`score_records`)."""
        return [[{**row, **dict(zip(OUTPUT_COLUMNS, output)),
                  **dict(zip((FINDINGS_COLUMN, TABLE_FINDINGS_COLUMN), _split_findings(output[-1])))}
                 for row, output in zip(rows, request_outputs)]
                for rows, request_outputs in zip(plan.requests, self.finish(plan, fresh))]

    # -- distinct rows ---------------------------------------------------------------------------
    def _score_groups(self, groups: list[Columns], twins: dict[str, Twin] | None = None) -> list[list[tuple]]:
        """Outputs of every row of each group of columns, each group analysed as a frame of its own
        (``twins``: the batch's copied tables, given for a batch's single chunk)."""
        plan = self._plan(groups, twins)
        return self.finish(plan, self.score_fresh(plan))

    def _plan(self, groups: list[Columns], twins: dict[str, Twin] | None = None) -> Plan:
        """Each group prepared, and each distinct key's output looked up in memory; the first row
        of each key memory did not answer is left to score."""
        prepared = [self._prepared(columns, twins) for columns in groups]
        outputs: dict[tuple, tuple] = {}
        first_row: dict[tuple, tuple[int, int]] = {}  # key -> (group, row), in group order
        for g, group in enumerate(prepared):
            for i, key in enumerate(group.keys):
                if key in outputs or key in first_row:
                    continue
                remembered = self._memo.get(key)  # one lookup: API threads may clear the memo meanwhile
                if remembered is not None:
                    outputs[key] = remembered
                else:
                    first_row[key] = (g, i)
        records = [record for g, rows in groupby(first_row.values(), key=itemgetter(0))
                   for record in column_records(prepared[g].analysed, [i for _, i in rows])]
        facts = [prepared[g].facts[i] for g, i in first_row.values()]
        return Plan(groups, prepared, outputs, list(first_row), records, facts)

    def finish(self, plan: Plan, fresh: list[tuple]) -> list[list[tuple]]:
        """Outputs of every row of each group of ``plan`` (used once), given those of its
        never-seen rows (which are remembered): the configuration applied, cut cells and copied
        tables named."""
        scored = dict(zip(plan.fresh, fresh))
        self._memo.update(scored)
        outputs = plan.outputs
        outputs.update(scored)
        return [self.adjuster.apply(columns, with_cut_findings(
                    with_twins_named([outputs[key] for key in group.keys], table_keys(group.analysed), group.twins),
                    group.cuts))
                for columns, group in zip(plan.groups, plan.prepared)]

    def _prepared(self, columns: Columns, twins: dict[str, Twin] | None) -> _Prepared:
        analysed, cuts = cut_for_analysis(columns)  # an oversized cell is analysed cut (finding I1)
        analysed = self.province.analysed_view(analysed)  # a province's own category names
        twins = twins_within(analysed) if twins is None else twins
        facts = table_facts(analysed, twins, self.province.required_groups())
        return _Prepared(analysed, cuts, twins, facts, analysis_keys(analysed, facts))

    def score_fresh(self, plan: Plan) -> list[tuple]:
        """Outputs of the rows of ``plan`` no memory answered: here, or a large call's shared with
        the helper processes (:attr:`helpers`), which give the same outputs."""
        records, facts = plan.records, plan.facts
        if not records:  # memory answered every row
            return []
        if self.helpers is not None and self.helpers.worth_sharing(len(records)):
            return self.helpers.share(self.score_records, records, facts)
        return self.score_records(records, facts)

    def score_records(self, records: list[dict[str, str]], facts: list[TableFacts]) -> list[tuple]:
        """Outputs of rows given as analysed cells and table facts, each row on its own (what the
        helper processes run): its :data:`OUTPUT_COLUMNS` values, then its findings, before the
        configuration and the twins' names are applied."""
        return self._score_analysed(analyse_records(records, facts))

    def _score_analysed(self, rows: AnalysedRows) -> list[tuple]:
        proba, category_proba, X = self.heads.predict(rows)
        chunk = _Chunk.of(proba, category_proba, X, self.model)
        return [self._row_output(i, ctx, rows.hits[i], chunk) for i, ctx in enumerate(rows.contexts)]

    # -- per row ---------------------------------------------------------------------------------
    def _row_output(self, i: int, ctx: RowContext, hits: dict[str, str], chunk: _Chunk) -> tuple:
        """The row's :data:`OUTPUT_COLUMNS` values in order, then its findings."""
        codes = chunk.codes
        flags = {f: int(chunk.flagged[f][i]) for f in FAMILIES}
        for code in reported_as_facts(ctx, hits):
            flags[family_of(code)] = 1
        review = [f for f in FAMILIES if not flags[f] and chunk.in_review[f][i]]
        suggested = self._suggested_level2(ctx, chunk.category_proba[i]) if flags["mismatch"] else ""
        findings: list[Finding] = []
        for family in FAMILIES:
            if flags[family]:
                findings.extend(self._family_findings(family, i, ctx, hits, suggested, chunk))
        findings.extend(self._finding(code, ctx, evidence, suggested) for code, evidence in hits.items()
                        if code in codes.advisory)
        findings.extend(replace(self._finding(code, ctx, evidence, suggested), quote="", start=-1, end=-1)
                        for code, evidence in table_hits(ctx.table))  # about the table, no cell of the row
        findings.sort(key=lambda f: codes.rank[f.code])
        scores = {f: chunk.scores[f][i] for f in FAMILIES}
        output = {
            **{f"flag_{f}": flags[f] for f in FAMILIES},
            **{f"score_{f}": scores[f] for f in FAMILIES},
            # left to right, as numpy's product of three was: the same float, without an array a row
            "risk": round(1.0 - math.prod(1.0 - scores[f] for f in FAMILIES), 4),
            "review": ";".join(review),
            "suggested_level2": suggested,
            **finding_cells(findings),
        }
        return (*_OUTPUT_VALUES(output), tuple(findings))

    def _family_findings(self, family: str, i: int, ctx: RowContext, hits: dict[str, str], suggested: str,
                         chunk: _Chunk) -> list[Finding]:
        reported = chunk.codes.reported[family]
        codes = [code for code in hits if code in reported]
        if codes:
            return [self._finding(code, ctx, hits[code], suggested) for code in codes]
        evidence = "、".join(self._top_features(family, chunk.X, i))
        return [self._finding(MODEL_CODE[family], ctx, evidence, suggested, source="model")]

    def _finding(self, code: str, ctx: RowContext, evidence: str, suggested: str, source: str = "rule") -> Finding:
        entry = catalogue()[code]
        slots = {"name": _quote(ctx.name), "value": _quote(ctx.value_text), "level2": ctx.level2.raw or "（空）",
                 "category": ctx.level2.raw or ctx.level1.raw or "该类",
                 "suggested": suggested or "其他类别", "evidence": _quote(evidence)}
        field, quote, start, end = locate(entry["field"], evidence, ctx)
        return Finding(code=code, family=entry["family"], severity=severity_of(code, ctx.name, ctx.level2.name),
                       title=entry["title"],
                       message=entry["message"].format(**slots), evidence=evidence,
                       suggestion=_suggestion(entry, ctx).format(**slots), field=field, source=source,
                       quote=quote, start=start, end=end)

    def _top_features(self, family: str, X, i: int, k: int = 3) -> list[str]:
        """Up to ``k`` distinct reviewer-readable reasons among the features that raised the score most."""
        start, end = X.indptr[i], X.indptr[i + 1]  # row i of the CSR matrix without building it
        indices = X.indices[start:end]
        contributions = X.data[start:end] * self._coefficients[family][indices]
        reasons: list[str] = []
        for j in np.argsort(-contributions):
            if contributions[j] <= 0 or len(reasons) == k:
                break
            reason = readable_feature(self._feature_names[indices[j]])
            if reason and reason not in reasons:
                reasons.append(reason)
        return reasons

    def _suggested_level2(self, ctx: RowContext, category_row: np.ndarray) -> str:
        """The 二级 the content reads as: the category model's first choice, or its second when the
        first is what the row already declares (a mismatch flag always comes with a suggestion)."""
        order = np.argsort(-category_row, kind="stable")
        for j in order[:2]:
            candidate = self.model.category_classes_[int(j)]
            if candidate != ctx.level2.name:
                return candidate
        return ""


def twins_within(columns: Columns) -> dict[str, Twin]:
    """The copied tables among the rows themselves (:func:`~nlp.context.find_twins`). A copy needs
    two tables, so rows of one table -- a usual API request -- skip the copy index (~0.3 ms a call
    of numpy set-up for a few rows)."""
    return find_twins(columns) if len(set(table_keys(columns))) > 1 else {}


def _entry_bytes(key: tuple, output: tuple) -> int:
    """Estimated bytes a remembered row holds: its cells' and findings' text (two bytes a Chinese
    character) plus fixed costs; cheap, because it runs for every row remembered."""
    findings = output[-1]
    text = sum(map(len, key[:len(ANALYSED_CELLS)])) + len(output[_EXPLANATION])
    text += sum(len(f.message) + len(f.suggestion) + len(f.evidence) + len(f.quote) for f in findings)
    return _ENTRY_BYTES + _FINDING_BYTES * len(findings) + 2 * text


def with_twins_named(outputs: list[tuple], tables: list[str], twins: Mapping[str, Twin]) -> list[tuple]:
    """Outputs with B4's "copied from another project" naming the twin of the row's table.

    Which table a copy came from is not part of a row's analysis, so that the copies of one
    table are scored once (:func:`~nlp.context.analysis_keys`); it is written in here, once per
    distinct output and twin's wording: remembered rows share one output object, and in a batch
    of copies many tables name the same twin (one naming per row was ~7 % of a warm batch's CPU).
    """
    if not twins:
        return outputs
    wordings: dict[str, tuple[str, str]] = {}  # table -> B4's evidence without and with its twin named
    named: dict[tuple[int, tuple[str, str]], tuple] = {}
    result = []
    for output, table in zip(outputs, tables):
        twin = twins.get(table)
        if twin is None:
            result.append(output)
            continue
        wording = wordings.get(table)
        if wording is None:
            wording = wordings[table] = (copied_evidence(twin.share), copied_evidence(twin.share, twin.describe()))
        key = (id(output), wording)
        if key not in named:
            named[key] = _name_twin(output, *wording)
        result.append(named[key])
    return result


def _name_twin(output: tuple, generic: str, specific: str) -> tuple:
    """``output`` with its B4 finding's ``generic`` evidence made ``specific`` (naming the twin), in
    the finding and in the explanation cell (its codes stay: only B4's words change, so the
    explanation's B4 part is rewritten in place rather than every finding rendered again, as
    :func:`~nlp.schema.finding_cells` would)."""
    b4 = next((f for f in output[-1] if f.code == "B4" and f.evidence == generic), None)
    if b4 is None:
        return output
    finding = _reworded(b4, specific, b4.message.replace(generic, specific))
    findings = tuple(finding if f is b4 else f for f in output[-1])
    explanation = output[_EXPLANATION].replace(explained(b4), explained(finding), 1)
    return (*output[:_EXPLANATION], explanation, *output[_EXPLANATION + 1:-1], findings)


def _reworded(f: Finding, evidence: str, message: str) -> Finding:
    """``f`` with another evidence and message, from its shallow :meth:`~nlp.schema.Finding.to_dict`
    (every field, whatever fields it gains), as ``dataclasses.replace`` took twice as long."""
    return Finding(**{**f.to_dict(), "evidence": evidence, "message": message})


def reported_as_facts(ctx: RowContext, hits: dict[str, str]) -> list[str]:
    """Codes reported whatever the model says, because they state a fact rather than a judgement:
    catalogue codes marked ``always_report`` (an exact duplicate, B10) and B4 on a table copied
    from another project (:mod:`nlp.copies`)."""
    always = _code_sets().always_report
    facts = [code for code in hits if code in always]
    if "B4" in hits and ctx.table.copied_whole:
        facts.append("B4")
    return facts


def table_hits(table: TableFacts) -> list[tuple[str, str]]:
    """(code, evidence) of the findings about the row's whole table (T1/T2)."""
    hits = []
    if table.gaps.missing:
        hits.append(("T1", "、".join(table.gaps.missing)))
    if table.gaps.too_few:
        hits.append(("T2", str(table.gaps.indicators)))
    return hits


def _with_outputs(frame: pd.DataFrame, outputs: list[tuple], findings: bool) -> pd.DataFrame:
    """``frame`` with its rows' :data:`OUTPUT_COLUMNS` and, with ``findings``, their findings."""
    values = list(zip(*outputs)) or [()] * (len(OUTPUT_COLUMNS) + 1)
    result = frame.copy()
    for column, column_values in zip(OUTPUT_COLUMNS, values):
        result[column] = list(column_values)
    if findings:
        split = [_split_findings(row_findings) for row_findings in values[-1]]
        result[FINDINGS_COLUMN] = [row for row, _ in split]
        result[TABLE_FINDINGS_COLUMN] = [table for _, table in split]
    return result


def _split_findings(findings: tuple[Finding, ...]) -> tuple[list[dict], list[dict]]:
    """A row's findings as dicts: (its own, its table's)."""
    own = [f.to_dict() for f in findings if f.family != "table"]
    return own, [f.to_dict() for f in findings if f.family == "table"]


def _suggestion(entry: dict, ctx: RowContext) -> str:
    """The catalogue's suggestion for this kind of row: ``suggestions`` may hold one per declared
    二级 or per what the name measures (an M3 fix for an acceptance row speaks of acceptance)."""
    variants = entry.get("suggestions", {})
    return variants.get(ctx.level2.name) or variants.get(ctx.name_type) or entry["suggestion"]


def settle(gen0_threshold: int | None = None) -> None:
    """Load jieba's dictionary now, exempt everything loaded so far from garbage collection and,
    given ``gen0_threshold``, collect the youngest generation less often.

    For long-running processes (the API server, batch workers): the model, its vocabularies and
    jieba's prefix dictionary (~500k entries) live as long as the process, but Python's full
    collections walk them every time, which stalled the server for up to ~0.9 s (wrk, p99).
    Batch scoring then allocates mostly small objects that live on (memo entries, keys, table
    facts); at the default gen-0 threshold (700) the collector re-walked them so often that it took
    half the time of a chunk of remembered rows (16 -> 9.6 µs a row at :data:`GC_GEN0_THRESHOLD`).
    The server keeps the default: there, fewer but longer collections raised p99 (wrk: 19.5 ->
    22.7 ms).
    """
    pipeline()
    gc.freeze()
    if gen0_threshold:
        gc.set_threshold(gen0_threshold, *gc.get_threshold()[1:])


def load(models_dir: Path | None = None, memo_bytes: int = DEFAULT_MEMO_BYTES, config: Config | None = None) -> Scorer:
    """Load the bundled (or given) model after verifying its SHA-256 against the manifest, and its
    fingerprint against today's rules and data (:mod:`nlp.fingerprint`); ``config`` is applied to
    every result (:meth:`Scorer.configure`)."""
    model, manifest = load_verified(models_dir or models_path())
    fingerprint.check(manifest)
    return Scorer(model, manifest, memo_bytes=memo_bytes).configure(config)
