"""Request and response bodies of the HTTP API, as pydantic models.

They are the published contract (``/openapi.json``), so field names follow the interchange
columns (:mod:`nlp.records`) and the scored-output columns (:mod:`nlp.schema`) one to one, and the
examples are real-looking 绩效目标表 rows a client developer can paste into ``/docs``.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo,
                      WithJsonSchema)
from pydantic_core import PydanticCustomError

from nlp.readers.base import number_text
from nlp.schema import SCHEMA_VERSION

#: Validation-context key carrying ``ApiSettings.max_cell_chars`` into the cell validator.
CELL_LIMIT = "max_cell_chars"


def _cell_text(value: object) -> object:
    """null as "", a fraction as a sheet shows it and an uploaded JSON Lines file reads it (1e3 ->
    "1000", not Python's "1000.0"); one no float holds (NaN, Infinity, 1e400) is refused, since
    its text is lost; anything else as it is, for the ``str`` validation."""
    if value is None:
        return ""
    if value.__class__ is not float:  # a string mostly: the quickest test, for every cell
        return value
    if not math.isfinite(value):
        raise PydanticCustomError("finite_number", "a number no float holds (NaN, Infinity, 1e400): send it as text")
    return number_text(value)


def _budget(value: object) -> object:
    """``value`` for float validation, but an empty text is no budget (None), as ``iqc parse``
    writes it and the CLI reads it: an ``iqc parse -o rows.jsonl`` row was refused with "Input
    should be a valid number"; and a boolean is refused: float validation would read ``true`` as a
    budget of 1 万元."""
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "a budget is a number of 万元, not true or false")
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _fit_cell(value: str, info: ValidationInfo) -> str:
    limit = (info.context or {}).get(CELL_LIMIT)
    if limit is not None and len(value) > limit:
        raise PydanticCustomError("cell_too_long", "cell has {length} characters, the limit is {limit}",
                                  {"length": len(value), "limit": limit})
    return value


#: A text cell: a string (numbers are accepted and turned into text, null means empty:
#: :func:`_cell_text`), at most ``max_cell_chars`` long.
Cell = Annotated[str, BeforeValidator(_cell_text), AfterValidator(_fit_cell),
                 WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}]})]

EXAMPLE_ROW: dict[str, str] = {
    "row_id": "r1",
    "project_name": "广播剧创作扶持项目",
    "level1": "产出指标",
    "level2": "质量指标",
    "level3": "质量指标",
    "target_value": "≥95%",
}


class IndicatorIn(BaseModel):
    """One 三级指标 row; any subset of the interchange columns.

    Every field is optional: a row with neither ``level3`` (指标名称) nor ``target_value`` (指标值)
    is scored like the CLI scores it (it is typically flagged), so one such row never costs the
    rest of the list. A field may be named as a table's header names it (``三级指标``, ``Level3``:
    ``data/headers.toml``); naming one twice, or a key one edit from a field's name (``levle2``), is
    refused. Extra fields (a client's own columns) are
    accepted if their values are strings, numbers or null, are passed to the scorer untouched
    and are not echoed back; use ``row_id`` to match results to rows (it defaults to the row's
    1-based position in the request).
    """

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True,
                              json_schema_extra={"examples": [EXAMPLE_ROW]})
    __pydantic_extra__: dict[str, Cell] = Field(init=False)

    row_id: Cell = ""
    doc_id: Cell = ""
    department: Cell = ""
    project_name: Cell = ""
    project_goal: Cell = ""
    level1: Cell = Field("", description="一级指标, e.g. 产出指标")
    level2: Cell = Field("", description="二级指标, e.g. 数量指标")
    level3: Cell = Field("", description="三级指标 (the indicator name)")
    description: Cell = ""
    target_value: Cell = Field("", description="指标值, e.g. ≥95%")
    unit: Cell = ""
    value_type: Cell = ""
    basis: Cell = ""
    budget_wan: Annotated[float | None, BeforeValidator(_budget)] = Field(
        None, allow_inf_nan=False, description="project budget in 万元")
    table_id: Cell = Field("", description="groups the rows of one project table")

    def to_record(self, position: int) -> dict[str, Any]:
        """The flat mapping the scorer takes; ``row_id`` defaults to the 1-based ``position``."""
        record = self.model_dump()
        record["row_id"] = self.row_id or str(position)
        return record


class FindingOut(BaseModel):
    """One reason a row was flagged (see ``GET /v1/codes`` for every code)."""

    code: str = Field(examples=["B1"])
    family: str = Field(examples=["boilerplate"])
    severity: str = Field(examples=["high"])
    title: str = Field(examples=["类别名复述"])
    message: str = Field(examples=["三级指标“质量指标”仅重复了类别名称，未说明衡量的具体对象与口径，无法据以考核。"])
    evidence: str = Field(examples=["质量指标"])
    suggestion: str = Field(examples=["改为能反映本项目质量的具体指标（写明对象和计算方法）。"])
    field: str = Field(examples=["level3"], description="the input column the finding is about")
    source: str = Field(examples=["rule"])
    quote: str = Field("", examples=["质量指标"], description="the text of `field` the finding points at")
    start: int = Field(-1, description="offset of `quote` in the cell (characters; -1: empty cell)")
    end: int = Field(-1, description="end offset of `quote` in the cell")


class FamilyFlags(BaseModel):
    boilerplate: bool
    mismatch: bool
    unmeasurable: bool


class FamilyScores(BaseModel):
    """Model probabilities in [0, 1] per family."""

    boilerplate: float
    mismatch: float
    unmeasurable: float


class RowResult(BaseModel):
    row_id: str
    flags: FamilyFlags
    scores: FamilyScores
    risk: float = Field(description="overall risk from the scorer; higher = more likely to need rework")
    review: list[str] = Field(default_factory=list, description="families in the review band: not flagged, "
                                                               "but close enough to need a look")
    codes: list[str] = Field(description="finding codes, most important first")
    suggested_level2: str = Field(description="the 二级 the content reads as, when it differs")
    explanation: str
    findings: list[FindingOut]
    table_codes: list[str] = Field(default_factory=list, description="codes about the row's whole table (T1/T2)")
    table_findings: list[FindingOut] = Field(default_factory=list,
                                             description="findings about the row's whole table, on each of its rows")


class ScoreResponse(BaseModel):
    model_version: str
    schema_version: str = Field(SCHEMA_VERSION, description="version of the row shape (`GET /v1/schema`)")
    rows: list[RowResult]


class FileScoreResponse(ScoreResponse):
    file: str = Field(description="name of the uploaded file")
    warnings: list[str] = Field(default_factory=list, description="what reading the file noticed and handled, "
                                "e.g. a repeated header row left out (the command line prints the same lines)")


class CodeExamples(BaseModel):
    bad: str
    good: str


class AmbiguityZone(BaseModel):
    severity: str = Field(description="the severity of the code's findings on rows in the zone")
    name_words: list[str] = Field(description="a row is in the zone when its 三级 name holds one of these")
    level2: list[str] = Field([], description="… and its 二级 is one of these (empty: any)")


class CodeEntry(BaseModel):
    code: str
    family: str
    severity: str
    ambiguous: AmbiguityZone | None = Field(None, description="where reviewers disagree (indicator-rules.md's "
                                            "ambiguity zones): findings there carry this lower severity")
    field: str
    title: str
    description: str
    message: str = Field(description="Chinese message template; slots in braces")
    suggestion: str
    examples: CodeExamples
    precedence: int = Field(description="0 = reported first when several codes fire on one row")


class CodesResponse(BaseModel):
    codes: list[CodeEntry]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    model_loaded: bool


class ModelInfo(BaseModel):
    version: str
    training_data_sha256: str
    metrics: dict[str, Any]
    created: str | None = Field(None, description="UTC time of `iqc train` (absent in models trained before 0.2)")
    libraries: dict[str, str] = Field({}, description="versions of scikit-learn, numpy and scipy the model was built "
                                      "with (absent in older models); the server warns at start-up if its own differ")


class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorInfo(BaseModel):
    code: str = Field(examples=["cell_too_long"])
    message: str
    field: str = Field(examples=["body[3].level3"])
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    error: ErrorInfo
