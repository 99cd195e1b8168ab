"""Everything the rules and features need to know about one row, computed once.

A :class:`RowContext` bundles the row's cells with their analyses: canonical categories, the parsed
target value, lexicon cues per cell, what the name measures, the project's domain, and facts
about the table the row sits in. Building it once per row keeps rules and features cheap and
consistent with each other.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from nlp.categories import BENEFITS, Category, canonical_level1, canonical_level2
from nlp.chinese import to_simplified
from nlp.completeness import TableGaps, table_gaps
from nlp.copies import CopyIndex, TableRows, Twin
from nlp.cues import TextAnalysis, analyse, project_domain
from nlp.memo import CELL_CACHE_ENTRIES
from nlp.records import parse_budget
from nlp.resources import load_toml
from nlp.table_pairs import first_earlier_twins, first_near_copies
from nlp.values import ParsedValue, parse_value

_DIGIT = re.compile(r"[0-9０-９]")
_TABLE = load_toml("tables.toml")
_NEAR_DUPLICATE = _TABLE["near_duplicate_chars"]
_TEMPLATE_FURNITURE = re.compile(r"三级指标|指标\s*[0-9一二三四五六七八九十]*|\*+|[×xX]{2,}|…+|\.{2,}|"
                                 r"[≥≤><=＞＜%％:：/／\s\-—]")
_CUE_LEXICON = load_toml("lexicons/cues.toml")
_RULE_WORDS = _CUE_LEXICON["rule_words"]
_NOT_APPLICABLE = frozenset(_RULE_WORDS["not_applicable"])
_OPTIONAL_LEVEL2 = frozenset(load_toml("taxonomy.toml")["optional_level2"])
_NOT_APPLICABLE_WRAPPING = re.compile("|".join(map(re.escape, sorted(
    [*_RULE_WORDS["not_applicable_wrapping"], *_OPTIONAL_LEVEL2], key=len, reverse=True))))
_ARTEFACT_ACT, _ARTEFACT_DOCUMENT = (re.compile("|".join(map(re.escape, _RULE_WORDS[key])))
                                     for key in ("artefact_acts", "artefact_documents"))
_NAME_NOISE = re.compile(r"[\s%％:：、，,。.()（）\"“”'‘’《》\-—·]+|^指标[0-9]+")


@dataclass(frozen=True, slots=True)
class TableFacts:
    """Facts about a row that need the other rows of its table (or of the batch)."""

    rows_in_table: int = 1
    value_share: float = 0.0          # share of the table's rows that have this row's value
    duplicate_earlier: str = ""       # an earlier row of the table with (nearly) the same name and value
    same_as_output_row: str = ""      # a 数量 row whose name this (benefit) row repeats
    output_count_of: str = ""         # a 数量 row whose count (number and unit) this benefit row repeats
    copied_share: float = 0.0         # share of its indicators in another project's table (0: not copied)
    gaps: TableGaps = TableGaps()     # required dimensions the table lacks, too few indicators (T1/T2)

    @property
    def value_dominant(self) -> bool:
        """Most rows of the table carry this row's value (thresholds in ``data/tables.toml``)."""
        return self.value_share >= _TABLE["dominant_value_share"] and self.rows_in_table >= _TABLE["min_rows"]

    @property
    def value_whole(self) -> bool:
        """(Nearly) the whole table carries this row's value: the guide's "whole table" for a rate,
        whose generic value is no defect on its own (a coverage rate of 100 % is a real target)."""
        return self.value_share >= _TABLE["copied_share"] and self.rows_in_table >= _TABLE["min_rows"]

    @property
    def copied_whole(self) -> bool:
        """The table repeats another project's table (:mod:`nlp.copies`; which one is not a table
        fact: the scorer names it after scoring, so that copies of one table score as one)."""
        return self.copied_share >= _TABLE["copied_share"] and self.rows_in_table >= _TABLE["min_rows"]


@dataclass(slots=True)
class RowContext:
    """One row, analysed."""

    name: str
    description: str
    value_text: str
    basis: str
    project: str
    level1: Category
    level2: Category
    value: ParsedValue
    name_cues: TextAnalysis
    description_cues: TextAnalysis
    value_cues: TextAnalysis
    project_cues: TextAnalysis
    name_type: str
    budget_wan: float | None
    table: TableFacts = field(default_factory=TableFacts)
    unit_text: str = ""               # the 计量单位 cell as written (C9 compares it with the value)
    value_type_text: str = ""         # the 指标性质/方向 cell (定量/定性, 正向/反向, ≥ …)
    #: :attr:`is_unused_slot`, once asked (``None`` before): the rules, the features and the
    #: model's mask each ask, five times a row, and it runs two regular-expression substitutions.
    _unused_slot: bool | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def has_criteria(self) -> bool:
        """Does the row name a number or a standard anywhere outside the value?"""
        text = self.description + self.basis + self.name
        return bool(_DIGIT.search(text)) or "标准" in text or "规定" in text

    @property
    def value_names_artefact(self) -> bool:
        """Does the value name a document or an acceptance and the act producing it (印发…办法,
        通过…验收)? Such a target is met or not at year end: the labelling guide's measurable
        "binary with a named artefact", whatever words the document's own name holds."""
        text = self.value_text
        return bool(_ARTEFACT_ACT.search(text) and _ARTEFACT_DOCUMENT.search(text))

    @property
    def is_unused_slot(self) -> bool:
        """An unused template slot, or an explicit "not applicable" on an optional dimension.

        The guide labels both 0/0/0: a bare ``指标2:``, a ``……`` row, an empty optional 生态效益 row,
        or 否/无/不适用 on an optional benefit. Nothing was claimed, so nothing can be wrong.
        Computed on first use and kept (a context's cells are not changed after it is built).
        """
        if self._unused_slot is None:
            self._unused_slot = self._claims_nothing()
        return self._unused_slot

    def _claims_nothing(self) -> bool:
        if only_template(self.name) and only_template(self.value_text):
            return True
        optional = self.level2.name in _OPTIONAL_LEVEL2
        return optional and (says_not_applicable(self.value_text) or says_not_applicable(self.name))

    def cues(self, group: str, *cells: str) -> tuple[str, ...]:
        """Cue terms of ``group`` found in the given cells (name, description, value, project)."""
        found: list[str] = []
        for cell in cells:
            found.extend(getattr(self, f"{cell}_cues").cues.get(group, ()))
        return tuple(found)


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def says_not_applicable(text: str) -> bool:
    """The cell answers "not applicable" (the guide's 否, 无, 不适用), alone or wrapped in words that
    say whom or what about (本项目不涉及, 无此项, 本项目无生态效益, N/A)."""
    core = text.strip().upper()
    return core in _NOT_APPLICABLE or _NOT_APPLICABLE_WRAPPING.sub("", core) in _NOT_APPLICABLE


def only_template(text: str) -> bool:
    """Nothing but template furniture: blank, a slot label (指标2:, 三级指标), placeholders, dots."""
    return not _TEMPLATE_FURNITURE.sub("", text)


#: What a name measures -> the endings that say so, in the lexicon's order of precedence (as tuples:
#: one ``str.endswith`` call tries them all, a never-seen name costs no generator per ending).
_NAME_TYPES = {kind: tuple(endings) for kind, endings in _CUE_LEXICON["name_types"].items()}


#: A note in brackets at the end of a name — its unit (培训人数（人）, 单位成本【万元】), scope or
#: method — which says nothing of what the name before it measures.
_TRAILING_NOTE = re.compile(r"(?:[（(【\[〔][^（()）【】\[\]〔〕]*[）)】\]〕]\s*)+$")


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def name_type(name: str) -> str:
    """What a 三级 name measures, read from its ending (before any bracketed note):
    satisfaction/rate/time/money/count/text."""
    core = _NAME_NOISE.sub("", _TRAILING_NOTE.sub("", name) or name)
    return next((kind for kind, endings in _NAME_TYPES.items() if core.endswith(endings)), "text")


def masked_digits(text: str) -> str:
    """``text`` with every digit as 0: the value cell's words and cues do not depend on the number
    (the parsed value and the character n-grams keep it), and a batch's values differ mostly in
    their numbers, so masking lets one cached analysis serve ≥95%, ≥97%, ≥98%…"""
    return _DIGIT.sub("0", text)


@lru_cache(maxsize=CELL_CACHE_ENTRIES)
def normalised_name(name: str) -> str:
    """Name without punctuation, numbering and the 指标 suffix, for duplicate detection."""
    return _NAME_NOISE.sub("", name).removesuffix("指标")


def build_context(row: Mapping[str, object], table: TableFacts | None = None) -> RowContext:
    """Analyse one row (a mapping with the interchange columns).

    Cells are analysed in simplified characters (the lexicons and models are simplified); the
    row itself, and so every output column, keeps the text as written.
    """
    def cell(key: str) -> str:
        return to_simplified(cell_text(row.get(key)))

    name, value_text = cell("level3"), cell("target_value")
    project = cell("project_name") + " " + cell("project_goal")
    return RowContext(
        name=name,
        description=cell("description"),
        value_text=value_text,
        basis=cell("basis"),
        project=project.strip(),
        level1=canonical_level1(cell("level1")),
        level2=canonical_level2(cell("level2")),
        value=parse_value(value_text, cell("unit"), cell("value_type")),
        name_cues=analyse(name),
        description_cues=analyse(cell("description")),
        value_cues=analyse(masked_digits(value_text)),
        project_cues=project_domain(cell("project_name"), cell("project_goal")),
        name_type=name_type(name),
        budget_wan=parse_budget(row.get("budget_wan")),
        table=table or TableFacts(),
        unit_text=cell("unit"),
        value_type_text=cell("value_type"),
    )


def budget_band(budget: float | None) -> str:
    """Budget in 万元 as a coarse band: the model needs the order of magnitude, not the amount."""
    if budget is None:
        return "unknown"
    return "small" if budget < 50 else "medium" if budget < 500 else "large"


ANALYSED_CELLS = ("level1", "level2", "level3", "description", "target_value", "unit", "value_type", "basis")
#: Every input column scoring reads: the analysed cells, the project, and what identifies a table.
SCORED_COLUMNS = (*ANALYSED_CELLS, "project_name", "project_goal", "budget_wan", "table_id", "source_file", "doc_id",
                  "department")

#: Column name -> one string per row ("" for missing or empty cells).
Columns = dict[str, list[str]]


def cell_text(value: object) -> str:
    """A cell as text: "" for a missing value (None, NaN, pandas' NA and NaT), ``str(value)`` otherwise."""
    if type(value) is str:
        return value
    return "" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def frame_columns(frame: pd.DataFrame) -> Columns:
    """The scored columns of a frame as lists of strings (absent columns are all "", missing cells "";
    invisible characters left out: :func:`visible`)."""
    return {name: visible(_texts(frame[name])) if name in frame else [""] * len(frame) for name in SCORED_COLUMNS}


#: Format characters a cell shows nothing of: zero-width space and joiners, direction marks, word
#: joiner, soft hyphen, BOM (Unicode category Cf, those met in text pasted from web pages and PDFs).
_INVISIBLE = dict.fromkeys([0x00AD, 0x180E, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                            *range(0x2066, 0x2070), 0xFEFF])
_HAS_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")


def visible(texts: list[str]) -> list[str]:
    """``texts`` without invisible format characters. A name ending in a zero-width space (copied
    from a web page) read as another name: 满意度 + U+200B was no longer a satisfaction name, and its
    scores moved by up to 0.19, though a reviewer sees the same cell. The analysis only: outputs
    keep the cell as written."""
    if not _HAS_INVISIBLE.search("".join(texts)):  # the usual column: one scan in C, nothing copied
        return texts
    return [text.translate(_INVISIBLE) for text in texts]


def _texts(column: pd.Series) -> list[str]:
    """A column's cells as text. Text cells (every reader gives text columns) are taken as they are,
    others read as :func:`cell_text` reads a record's: pandas' ``fillna("").astype(str)`` cost
    ~0.6 ms a frame of ten rows, which a batch of one-table files paid for every file. A typed
    column (dates, nullable integers) keeps pandas' own text for its values."""
    if column.dtype == object or isinstance(column.dtype, pd.StringDtype):
        return [value if type(value) is str else cell_text(value) for value in column.tolist()]
    return ["" if missing else text for text, missing in zip(column.astype(str).tolist(), column.isna().tolist())]


def record_columns(rows: list[Mapping[str, object]]) -> Columns:
    """The scored columns of plain dicts (the Python and HTTP APIs), without building a frame."""
    return {name: visible([cell_text(row.get(name)) for row in rows]) for name in SCORED_COLUMNS}


def column_records(columns: Columns, positions: Iterable[int]) -> list[dict[str, str]]:
    """The rows at ``positions`` as dicts (for :func:`build_context`)."""
    return [{name: values[i] for name, values in columns.items()} for i in positions]


def analysis_keys(columns: Columns, facts: list[TableFacts]) -> list[tuple]:
    """Per row, everything its analysis and score depend on, as one hashable key.

    Rows with equal keys get equal scores, codes and explanations: the analysed cells, the
    project's domain signature (not its name), the budget band and the table facts. Batches repeat
    rows massively (the same 满意度/完成率 rows in every department), so the scorer computes one
    row per distinct key.
    """
    domains = [_domain_signature(project_domain(name, goal))
               for name, goal in zip(columns["project_name"], columns["project_goal"])]
    bands = [budget_band(parse_budget(value)) for value in columns["budget_wan"]]
    return list(zip(*(columns[name] for name in ANALYSED_CELLS), domains, bands, facts))


def _domain_signature(domain: TextAnalysis) -> tuple[bool, tuple[str, ...]]:
    return domain.has("env_domain"), domain.cues.get("nonenv_domain", ())


def table_keys(columns: Columns) -> list[str]:
    """The table a row belongs to, within its file: its ``table_id`` when given, else its document
    and project. A department numbers its own tables (1, 2, T1…), so two files' table "1" are two
    tables: keyed by the id alone, their rows were one table's, in its facts, its T1/T2 and the
    batch's copy index."""
    return [f"{file}|{explicit}" if explicit else f"{file}|{doc}|{project}" for explicit, file, doc, project
            in zip(columns["table_id"], columns["source_file"], columns["doc_id"], columns["project_name"])]


def _count_of(columns: Columns, row: int) -> tuple[float, str] | None:
    """(number, unit) of the row's target when it counts or measures something, as 数量 rows do."""
    value = parse_value(to_simplified(columns["target_value"][row]), to_simplified(columns["unit"][row]),
                        to_simplified(columns["value_type"][row]))
    if value.number is None or value.unit_class not in {"count", "measure"} or not value.unit:
        return None
    return value.number, value.unit


def _output_counts(columns: Columns, rows: list[int], level2: list[str]) -> dict[tuple[float, str], str]:
    """The counts of a table's 数量 rows, each with the first such row's name (the guide's C4: a
    benefit with "the same unit and magnitude as a 数量 row" reports the project's own output)."""
    counts: dict[tuple[float, str], str] = {}
    for j in rows:
        if level2[j] == "数量" and (count := _count_of(columns, j)) is not None:
            counts.setdefault(count, columns["level3"][j].strip())
    return counts


def table_rows(columns: Columns) -> TableRows:
    """What the batch's :class:`~nlp.copies.CopyIndex` keeps of the rows of ``columns``."""
    return TableRows.of(table_keys(columns), [normalised_name(n) for n in columns["level3"]],
                        [masked_digits(v.replace(" ", "")) for v in columns["target_value"]],
                        columns["project_name"], columns["department"], columns["source_file"])


def index_tables(index: CopyIndex, columns: Columns) -> None:
    """Add the tables of ``columns`` to a batch's :class:`~nlp.copies.CopyIndex`."""
    index.add_rows(table_rows(columns))


def find_twins(columns: Columns) -> dict[str, Twin]:
    """The copied tables among the rows of ``columns`` alone."""
    index = CopyIndex()
    index_tables(index, columns)
    return index.twins()


def table_facts(columns: Columns, twins: Mapping[str, Twin] | None = None,
                required: tuple[dict, ...] | None = None) -> list[TableFacts]:
    """Table-level facts for every row (rows grouped by :func:`table_keys`).

    ``twins``: the copied tables of the whole batch (by table key), when the rows are one chunk
    of it; by default they are found among these rows. ``required``: the dimensions a province
    requires instead of the framework's (:func:`nlp.completeness.table_gaps`).
    """
    keys = table_keys(columns)
    names = [normalised_name(n) for n in columns["level3"]]
    values = [v.replace(" ", "") for v in columns["target_value"]]
    level2 = [canonical_level2(v).name for v in columns["level2"]]
    twins = find_twins(columns) if twins is None else twins
    positions: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        positions[key].append(i)
    facts: list[TableFacts] = [TableFacts()] * len(keys)
    for key, rows in positions.items():
        filled = [i for i in rows if names[i] or values[i]]
        value_counts = Counter(values[i] for i in filled if values[i])
        named = [i for i in filled if not only_template(columns["level3"][i])]
        gaps = table_gaps([canonical_level1(columns["level1"][i]) for i in named],
                          [canonical_level2(columns["level2"][i]) for i in named], len(named), required)
        output_counts = _output_counts(columns, rows, level2)
        repeated = first_earlier_twins(names, values, rows)
        restated = first_near_copies([i for i in rows if level2[i] in BENEFITS], [j for j in rows if level2[j] == "数量"],
                                     names, _NEAR_DUPLICATE)
        for i in rows:
            earlier = names[repeated[i]] if i in repeated else ""
            output_twin = output_count = ""
            if level2[i] in BENEFITS:
                output_twin = names[restated[i]] if i in restated else ""
                output_count = output_counts.get(_count_of(columns, i), "") if output_counts else ""
            facts[i] = TableFacts(
                rows_in_table=len(filled) or 1,
                value_share=value_counts.get(values[i], 0) / max(len(filled), 1) if values[i] else 0.0,
                duplicate_earlier=earlier,
                same_as_output_row=output_twin,
                output_count_of=output_count,
                copied_share=twins[key].share if key in twins else 0.0,
                gaps=gaps,
            )
    return facts
