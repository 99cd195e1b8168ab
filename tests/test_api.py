"""HTTP API: every endpoint, every error path, and a fuzz test that nothing answers 5xx.

The scorer is the deterministic fake of ``tests/fake_scorer.py``; swap ``make_scorer`` there to
run the same tests against the real model.
"""
from __future__ import annotations

import dataclasses
import gzip
import io
import json
from typing import Any

import jsonschema
import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import nlp
from fake_scorer import make_scorer
from nlp.api import ApiSettings, create_app
from nlp.api.rows import parse_rows
from nlp.api.xlsx import XLSX_MEDIA_TYPE
from nlp.cli import EXIT_USAGE, build_parser
from nlp.codes import catalogue
from nlp.report import load_settings
from nlp.records import INTERCHANGE_COLUMNS
from nlp.schema import FAMILIES

LIMITS = ApiSettings(max_rows=20, max_body_bytes=64 * 1024, max_cell_chars=200)
ROW = {"row_id": "r1", "level2": "质量指标", "level3": "质量指标", "target_value": "≥95%"}
ROWS = [
    ROW,
    {"row_id": "r2", "level2": "数量指标", "level3": "培训人次", "target_value": "90%"},
    {"row_id": "r3", "level2": "社会效益指标", "level3": "提升开发区形象", "target_value": "明显提升"},
    {"row_id": "r4", "level2": "数量指标", "level3": "完成广播剧制作", "target_value": "12集", "unit": "集"},
]
CSV = "row_id,level2,level3,target_value\nr1,质量指标,质量指标,≥95%\nr2,数量指标,完成广播剧制作,12集\n"


@pytest.fixture(scope="module")
def scorer() -> Any:
    return make_scorer()


@pytest.fixture(scope="module")
def client(scorer: Any) -> TestClient:
    return TestClient(create_app(scorer=scorer, settings=LIMITS))


def keyed_client(scorer: Any) -> TestClient:
    return TestClient(create_app(scorer=scorer, settings=dataclasses.replace(LIMITS, api_key="s3cret")))


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "field", "details"} and error["message"]
    assert error["code"] == code
    if field is not None:
        assert error["field"] == field
    return error


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- meta endpoints --------------------------------------------------------------------------

def test_health_is_open_and_does_no_model_work(scorer: Any) -> None:
    calls = scorer.calls
    response = keyed_client(scorer).get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": nlp.__version__, "model_loaded": True}
    assert scorer.calls == calls


def test_model_reports_version_hash_and_metrics(client: TestClient, scorer: Any) -> None:
    body = client.get("/v1/model").json()
    assert body["version"] == scorer.model_info["version"]
    assert body["training_data_sha256"] == scorer.model_info["training_data_sha256"]
    assert body["metrics"] == scorer.model_info["metrics"]


def test_codes_lists_the_whole_catalogue_with_examples(client: TestClient) -> None:
    codes = {entry["code"]: entry for entry in client.get("/v1/codes").json()["codes"]}
    assert set(codes) == set(catalogue())
    b1 = codes["B1"]
    assert b1["title"] == catalogue()["B1"]["title"] and b1["description"]
    assert b1["examples"]["bad"] and b1["examples"]["good"]
    assert b1["precedence"] >= 0
    assert b1["ambiguous"] is None and codes["C1"]["ambiguous"]["severity"] == "low"  # where findings are low


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/score", "/v1/score/file", "/v1/codes", "/v1/health", "/v1/model"} <= set(spec["paths"])
    assert spec["info"]["version"] == nlp.__version__
    assert "examples" in spec["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]
    assert client.get("/docs").status_code == 200


def test_the_documented_row_schema_admits_what_is_accepted(client: TestClient) -> None:
    """Before, the schema said every cell is a string, and a client checking its rows against it
    refused the numbers and nulls the API takes."""
    body = client.get("/openapi.json").json()["paths"]["/v1/score"]["post"]["requestBody"]
    row = body["content"]["application/json"]["schema"]["anyOf"][0]
    sent = {"level3": "培训人次", "target_value": 500, "unit": None, "budget_wan": 12.5, "my_key": 7}
    jsonschema.validate(sent, row)
    assert client.post("/v1/score", json=sent).status_code == 200


def test_rows_as_iqc_parse_writes_them_are_scored(client: TestClient, iqc: Any, tmp_path: Any) -> None:
    """The API takes the interchange columns, but refused the rows of ``iqc parse -o rows.jsonl``:
    a table without a budget has ``"budget_wan": ""`` there, and that was "Input should be a valid
    number" (422). An empty budget is no budget, as the CLI reads it; a text that is no number is
    still refused."""
    table = tmp_path / "t.csv"
    table.write_text("三级指标,指标值\n培训人次,≥500人次\n", encoding="utf-8")
    assert iqc("parse", table, "-o", tmp_path / "rows.jsonl")[0] == 0
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["budget_wan"] for row in rows] == [""]
    response = client.post("/v1/score", json=rows)
    assert response.status_code == 200, response.text
    assert response.json() == client.post("/v1/score", json=[{**rows[0], "budget_wan": None}]).json()


# --- POST /v1/score --------------------------------------------------------------------------

def test_score_one_object(client: TestClient, scorer: Any) -> None:
    body = client.post("/v1/score", json=ROW).json()
    assert body["model_version"] == scorer.model_info["version"]
    (row,) = body["rows"]
    assert row["row_id"] == "r1"
    assert set(row["flags"]) == set(row["scores"]) == set(FAMILIES)
    assert "B1" in row["codes"] and row["flags"]["boilerplate"] is True
    assert set(row["findings"][0]) >= {"code", "family", "severity", "message", "evidence", "suggestion"}
    assert isinstance(row["risk"], float)


def test_score_list_defaults_row_ids_and_accepts_extra_fields(client: TestClient) -> None:
    rows = [{"level3": "培训人次", "target_value": 500, "my_key": "A-7"}, {"target_value": "≥95%", "n": None}]
    body = client.post("/v1/score", json=rows).json()
    assert [r["row_id"] for r in body["rows"]] == ["1", "2"]


def test_empty_list_scores_nothing(client: TestClient) -> None:
    assert client.post("/v1/score", json=[]).json()["rows"] == []


def test_api_matches_python_api(client: TestClient, scorer: Any) -> None:
    api_rows = client.post("/v1/score", json=ROWS).json()["rows"]
    python_rows = scorer.score([dict(row) for row in ROWS])
    assert len(api_rows) == len(python_rows)
    for api, python in zip(api_rows, python_rows):
        assert api["row_id"] == python["row_id"]
        for family in FAMILIES:
            assert api["flags"][family] == bool(python[f"flag_{family}"])
            assert api["scores"][family] == pytest.approx(float(python[f"score_{family}"]))
        assert api["risk"] == pytest.approx(python["risk"])
        assert api["suggested_level2"] == python["suggested_level2"]
        assert api["explanation"] == python["explanation"]
        assert api["findings"] == [dict(f) for f in python["findings"]]
        assert all(code in python["codes"] for code in api["codes"])  # list, or "B1;M2" text


def test_results_are_the_json_fastapi_would_write(client: TestClient) -> None:
    """Rendered by pydantic-core in one pass (:mod:`nlp.api.results`): the bytes FastAPI's own path gave
    (compact, UTF-8 unescaped, as Starlette's ``JSONResponse`` writes them), the documented schema."""
    for response in (client.post("/v1/score", json=ROWS),
                     client.post("/v1/score/file", files={"file": ("rows.csv", pd.DataFrame(ROWS).to_csv(index=False))})):
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert response.content == json.dumps(response.json(), ensure_ascii=False, separators=(",", ":")).encode()
    paths = client.get("/openapi.json").json()["paths"]
    for path, model in (("/v1/score", "ScoreResponse"), ("/v1/score/file", "FileScoreResponse")):
        schema = paths[path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{model}"}


@pytest.mark.parametrize(("body", "status", "code", "field"), [
    (b"{", 400, "malformed_json", "body"),
    (b"", 400, "malformed_json", "body"),
    (b"\xff\xfe{}", 400, "malformed_json", "body"),
    (b"[" * 50_000, 400, "malformed_json", "body"),
    (b'"level3"', 422, "invalid_body", "body"),
    (b"42", 422, "invalid_body", "body"),
    (b'{"level3": {"a": 1}}', 422, "invalid_value", "body.level3"),
    (b'{"level3": ["x"]}', 422, "invalid_value", "body.level3"),
    (b'{"level3": true}', 422, "invalid_value", "body.level3"),
    (b'{"level3": "x", "budget_wan": "a lot"}', 422, "invalid_value", "body.budget_wan"),
    (b'{"level3": "x", "budget_wan": true}', 422, "invalid_value", "body.budget_wan"),
    (b'{"level3": "x", "mine": {"nested": []}}', 422, "invalid_value", "body.mine"),
    (b'{"rows": [{"level3": "x"}]}', 422, "invalid_body", "body.rows"),
    (b'[{"level3": "x"}, 7]', 422, "invalid_value", "body[1]"),
    (b'{"level3": "\\ud800"}', 400, "malformed_json", "body"),
    (b'{"level3": ' + b"9" * 5000 + b"}", 400, "malformed_json", "body"),
], ids=lambda v: repr(v)[:24] if isinstance(v, bytes) else None)
def test_score_rejects_bad_bodies(client: TestClient, body: bytes, status: int, code: str, field: str) -> None:
    assert_error(client.post("/v1/score", content=body), status, code, field)


def test_a_body_not_in_utf8_is_told_so(client: TestClient) -> None:
    """Before, a GBK body was said to hold "a lone surrogate such as \\ud800"."""
    gbk = json.dumps(ROW, ensure_ascii=False).encode("gbk")
    error = assert_error(client.post("/v1/score", content=gbk), 400, "malformed_json", "body")
    assert "not UTF-8" in error["message"] and "surrogate" not in error["message"]


def test_a_compressed_body_is_refused_as_such(client: TestClient) -> None:
    """Before, a gzip body was read as text and said to hold a lone surrogate."""
    response = client.post("/v1/score", content=gzip.compress(json.dumps([ROW]).encode()),
                           headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    error = assert_error(response, 415, "unsupported_encoding", "header.Content-Encoding")
    assert "gzip" in error["message"]
    identity = client.post("/v1/score", json=ROW, headers={"Content-Encoding": "identity"})
    assert identity.status_code == 200


def test_an_envelope_around_the_rows_is_named(client: TestClient) -> None:
    error = assert_error(client.post("/v1/score", json={"data": [ROW, ROW]}), 422, "invalid_body", "body.data")
    assert "send a JSON list" in error["message"]


def test_score_rejects_too_many_rows(client: TestClient) -> None:
    assert_error(client.post("/v1/score", json=[ROW] * 21), 413, "too_many_rows", "body")


def test_score_rejects_oversize_cell_naming_it(client: TestClient) -> None:
    rows = [ROW, {**ROW, "target_value": "9" * 201}]
    error = assert_error(client.post("/v1/score", json=rows), 422, "cell_too_long", "body[1].target_value")
    assert "200" in error["message"]
    assert_error(client.post("/v1/score", json={**ROW, "note": "x" * 201}), 422, "cell_too_long", "body.note")


def test_validation_errors_list_details_bounded(client: TestClient) -> None:
    error = assert_error(client.post("/v1/score", json=[{"level3": []}] * 20), 422, "invalid_value", "body[0].level3")
    assert len(error["details"]) == 20 and error["details"][19]["field"] == "body[19].level3"


def test_a_row_with_nothing_to_judge_is_scored_not_rejected_with_the_list(client: TestClient) -> None:
    response = client.post("/v1/score", json=[ROW, {"level2": "数量指标"}])
    assert response.status_code == 200
    assert [row["row_id"] for row in response.json()["rows"]] == ["r1", "2"]


def test_fields_named_as_a_table_heads_them_are_read_as_those_fields(client: TestClient) -> None:
    """三级指标, Level3, " level3 " name level3 as an uploaded table's header would (data/headers.toml);
    before, they were kept as a client's own columns and the row was scored as if empty."""
    expected = client.post("/v1/score", json=ROW).json()["rows"]
    for row in ({"row_id": "r1", "二级指标": "质量指标", "三级指标": "质量指标", "指标值": "≥95%"},
                {"Row_ID": "r1", "LEVEL2": "质量指标", " level3 ": "质量指标", "Target_Value": "≥95%"}):
        assert client.post("/v1/score", json=row).json()["rows"] == expected
    assert client.post("/v1/score", json={**ROW, "项目金额": 12}).status_code == 200  # 万元, as budget_wan
    assert_error(client.post("/v1/score", json=[ROW, {"三级指标": ["x"]}]), 422, "invalid_value", "body[1].三级指标")
    assert_error(client.post("/v1/score", json={"Target_Value": "9" * 201}), 422, "cell_too_long", "body.Target_Value")
    assert_error(client.post("/v1/score", json={**ROW, "项目金额（元）": 120000}), 422, "invalid_value", "body.项目金额（元）")


@pytest.mark.parametrize("body", [
    json.dumps([ROW, {**ROW, "三级指标": "培训人次"}], ensure_ascii=False).encode(),
    b'[{"level3": "x"}, {"level3": "x", "target_value": "1", "level3": "y"}]',
], ids=["two names", "key repeated"])
def test_a_field_given_twice_in_a_row_is_refused_naming_it(client: TestClient, body: bytes) -> None:
    """Before, one of the two values was used and the other dropped without a word."""
    error = assert_error(client.post("/v1/score", content=body), 422, "duplicate_field")
    assert error["field"] in ("body[1].三级指标", "body[1].level3")


def test_a_misspelt_field_is_refused_with_the_field_it_resembles(client: TestClient) -> None:
    """Before, ``levle2`` was kept as a client's own column and the row scored without its 二级."""
    error = assert_error(client.post("/v1/score", json={**ROW, "levle2": "x"}), 422, "unknown_field", "body.levle2")
    assert "level2" in error["message"]
    assert_error(client.post("/v1/score", json=[ROW, {"taget_value": "1"}]), 422, "unknown_field", "body[1].taget_value")
    own = {**ROW, "level4": "x", "department_id": "7", "unit_price": 3, "备注": "y"}  # a client's own columns
    assert client.post("/v1/score", json=own).status_code == 200


def test_numbers_become_the_cells_a_sheet_or_a_json_lines_upload_gives() -> None:
    """Before, Python's float text: 1e3 was scored as "1000.0" (an uploaded JSONL line: "1000")."""
    body = b'[{"level3": 1e3, "target_value": 95.50, "unit": 0.95, "basis": 12345678901234567890, "n": -0.0}]'
    record = parse_rows(body, LIMITS)[0].to_record(1)
    expected = {"level3": "1000", "target_value": "95.5", "unit": "0.95", "basis": "12345678901234567890", "n": "0"}
    assert {column: record[column] for column in expected} == expected


@pytest.mark.parametrize(("body", "field"), [
    (b'{"level3": "x", "target_value": NaN}', "body.target_value"),
    (b'[{"level3": "x"}, {"level3": -Infinity}]', "body[1].level3"),
    (b'[{"level3": "x", "mine": 1e400}]', "body[0].mine"),
], ids=["NaN", "-Infinity", "1e400"])
def test_a_number_no_float_holds_is_refused_naming_its_cell(client: TestClient, body: bytes, field: str) -> None:
    """Before, the cell was scored as the text "nan", "-inf" or "inf"."""
    error = assert_error(client.post("/v1/score", content=body), 422, "invalid_value", field)
    assert "send it as text" in error["message"]


def test_oversize_body_rejected_by_content_length_before_any_work(scorer: Any) -> None:
    client = keyed_client(scorer)  # even auth is not reached
    calls = scorer.calls
    response = client.post("/v1/score", content=b"[" + b" " * (64 * 1024) + b"]",
                           headers={"content-type": "application/json"})
    assert_error(response, 413, "body_too_large", "")
    assert scorer.calls == calls


def test_oversize_body_rejected_while_streaming_without_content_length(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(100):
            yield b" " * 1024

    assert_error(client.post("/v1/score", content=chunks()), 413, "body_too_large")


def test_unknown_path_and_wrong_method_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v1/nothing"), 404, "not_found")
    assert_error(client.get("/v1/score"), 405, "method_not_allowed")


# --- API key ---------------------------------------------------------------------------------

def test_api_key_required_when_configured(scorer: Any) -> None:
    client = keyed_client(scorer)
    assert_error(client.post("/v1/score", json=ROW), 401, "unauthorized", "header.X-API-Key")
    assert_error(client.get("/v1/codes", headers={"X-API-Key": "wrong"}), 401, "unauthorized")
    assert_error(client.get("/v1/model", headers={"X-API-Key": "ßé".encode("latin-1")}), 401, "unauthorized")
    assert client.post("/v1/score", json=ROW, headers={"X-API-Key": "s3cret"}).status_code == 200
    assert client.get("/openapi.json").status_code == 200


# --- POST /v1/score/file ---------------------------------------------------------------------

def test_score_csv_upload_as_json(client: TestClient) -> None:
    response = client.post("/v1/score/file", files={"file": ("表.csv", CSV.encode(), "text/csv")})
    body = response.json()
    assert response.status_code == 200, body
    assert body["file"] == "表.csv" and body["model_version"]
    assert [r["row_id"] for r in body["rows"]] == ["r1", "r2"]
    assert "B1" in body["rows"][0]["codes"]


def test_score_xlsx_upload_defaults_row_ids(client: TestClient) -> None:
    data = xlsx_bytes([["二级指标", "三级指标", "指标值"], ["质量指标", "质量指标", "≥95%"]])
    body = client.post("/v1/score/file", files={"file": ("t.xlsx", data)}).json()
    assert len(body["rows"]) == 1 and body["rows"][0]["row_id"]


@pytest.mark.parametrize(("params", "headers"), [({"format": "xlsx"}, {}), ({}, {"Accept": XLSX_MEDIA_TYPE})])
def test_score_file_returns_workbook_when_asked(client: TestClient, params: dict, headers: dict) -> None:
    response = client.post("/v1/score/file", params=params, headers=headers,
                           files={"file": ("绩效目标表.csv", CSV.encode())})
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_MEDIA_TYPE
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert {"level3", "flag_boilerplate", "codes", "risk"} <= set(header)
    assert sheet.max_row == 3


@pytest.mark.parametrize(("name", "data"), [
    ("junk.csv", b"\x00\x01\x02 not a table"),
    ("broken.xlsx", b"PK\x03\x04 truncated zip"),
    ("empty.csv", b""),
    ("header_only.csv", b"level3,target_value\n"),
    ("old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64),
    ("no_columns.csv", "甲,乙\n1,2\n".encode()),
])
def test_unreadable_upload_is_422(client: TestClient, name: str, data: bytes) -> None:
    error = assert_error(client.post("/v1/score/file", files={"file": (name, data)}), 422, "unreadable_file", "file")
    assert name in error["message"] and "/tmp" not in error["message"]


def test_score_file_says_what_reading_noticed(client: TestClient) -> None:
    """Two exports pasted one under another: the repeated header is left out, and the client is told
    so, as the command line would be (before, the reading notes were lost in the API)."""
    pasted = CSV + CSV.splitlines()[0] + "\nr3,数量指标,培训人次,≥300人次\n"
    body = client.post("/v1/score/file", files={"file": ("pasted.csv", pasted.encode())}).json()
    assert [row["row_id"] for row in body["rows"]] == ["r1", "r2", "r3"]
    assert len(body["warnings"]) == 1 and body["warnings"][0].startswith("pasted.csv (line 4): the header row appears again")
    clean = client.post("/v1/score/file", files={"file": ("t.csv", CSV.encode())}).json()
    assert clean["warnings"] == []
    book = client.post("/v1/score/file", params={"format": "xlsx"}, files={"file": ("pasted.csv", pasted.encode())})
    notes = openpyxl.load_workbook(io.BytesIO(book.content))[load_settings().sheets["inputs"]]
    assert [row[3] for row in notes.iter_rows(min_row=2, values_only=True)] == body["warnings"]  # the workbook too


def test_score_file_errors(client: TestClient) -> None:
    assert_error(client.post("/v1/score/file"), 422, "missing_field", "body.file")
    assert_error(client.post("/v1/score/file", params={"format": "pdf"}, files={"file": ("t.csv", CSV.encode())}),
                 422, "invalid_value", "query.format")
    many = "level3,target_value\n" + "培训人次,500人\n" * 21
    assert_error(client.post("/v1/score/file", files={"file": ("t.csv", many.encode())}), 413, "too_many_rows", "file")
    long = f"level3,target_value\n培训人次,{'9' * 201}\n"
    assert_error(client.post("/v1/score/file", files={"file": ("t.csv", long.encode())}),
                 422, "cell_too_long", "file[0].target_value")
    huge = ("level3,target_value\n" + "x,1\n" * 20_000).encode()
    assert_error(client.post("/v1/score/file", files={"file": ("t.csv", huge)}), 413, "body_too_large")


def test_an_uploaded_cell_too_long_is_named_by_its_line(client: TestClient) -> None:
    """``file[1]`` counts the rows read, not the file's lines (a title row and the header are
    above them); before, the message did not say which line of the file to open."""
    csv = f"某项目绩效目标表\nlevel3,target_value\n培训人次,500人\n质量,{'9' * 201}\n"
    error = assert_error(client.post("/v1/score/file", files={"file": ("表.csv", csv.encode())}),
                         422, "cell_too_long", "file[1].target_value")
    assert error["message"].startswith("表.csv (line 4): ") and "201" in error["message"]


def test_an_upload_part_that_would_not_be_read_is_refused(client: TestClient) -> None:
    """Before, of two files sent as ``file`` only the last was scored, and a file or field under
    another name (``format`` as a form field, not the query) was left out, all without a word."""
    other = "row_id,level3,target_value\nb1,培训人次,500人\n".encode()
    two = [("file", ("a.csv", CSV.encode())), ("file", ("b.csv", other))]
    error = assert_error(client.post("/v1/score/file", files=two), 422, "invalid_body", "body.file")
    assert "a.csv" in error["message"] and "b.csv" in error["message"]
    assert_error(client.post("/v1/score/file", files=[("file", ("a.csv", CSV.encode())), ("extra", ("b.csv", other))]),
                 422, "invalid_body", "body.extra")
    assert_error(client.post("/v1/score/file", files={"file": ("a.csv", CSV.encode())}, data={"format": "xlsx"}),
                 422, "invalid_body", "body.format")
    nameless = assert_error(client.post("/v1/score/file", files={"file": ("", CSV.encode())}), 422, "invalid_body", "body.file")
    assert "filename" in nameless["message"]  # before: "Value error, Expected UploadFile, received: <class 'str'>"


def test_a_json_array_upload_is_refused_saying_what_is_read(client: TestClient) -> None:
    """Before, "no indicator columns: expected level3/三级指标 …", though the objects name them."""
    data = json.dumps(ROWS, ensure_ascii=False, indent=1).encode()
    error = assert_error(client.post("/v1/score/file", files={"file": ("rows.json", data)}), 422, "unreadable_file", "file")
    assert error["message"] == ("rows.json: a JSON array is not read as a file: save it as JSON Lines (one object a "
                                "line, .jsonl), or send the array as the body of POST /v1/score")


@pytest.mark.parametrize(("method", "url", "name", "resembles"), [
    ("post", "/v1/score/file?fromat=xlsx", "fromat", "format"),
    ("post", "/v1/score/file?format=xlsx&sheet=2", "sheet", ""),
    ("post", "/v1/score?format=xlsx", "format", ""),
    ("get", "/v1/codes?lang=zh", "lang", ""),
    ("get", "/v1/health?verbose=1", "verbose", ""),
])
def test_an_unknown_query_parameter_is_refused_naming_it(client: TestClient, method: str, url: str, name: str,
                                                          resembles: str) -> None:
    """Before, ``?fromat=xlsx`` was ignored without a word, and the caller got JSON, not a workbook."""
    sent = {"files": {"file": ("t.csv", CSV.encode())}} if url.startswith("/v1/score/file") else {}
    sent = {"json": ROW} if url.startswith("/v1/score?") else sent
    error = assert_error(getattr(client, method)(url, **sent), 422, "unknown_parameter", f"query.{name}")
    assert error["message"].startswith(f"{name!r} is not a query parameter of this endpoint")
    assert (f"did you mean {resembles!r}?" in error["message"]) == bool(resembles)


# --- configuration, lifespan, CLI ------------------------------------------------------------

def test_settings_come_from_data_file_and_env() -> None:
    defaults = ApiSettings.from_env({})
    assert (defaults.max_rows, defaults.max_body_bytes, defaults.max_cell_chars) == (5000, 20971520, 2000)
    assert defaults.api_key is None
    custom = ApiSettings.from_env({"IQC_MAX_ROWS": "7", "IQC_MAX_BODY_BYTES": " 1000 ",
                                   "IQC_MAX_CELL_CHARS": "50", "IQC_API_KEY": "k"})
    assert (custom.max_rows, custom.max_body_bytes, custom.max_cell_chars, custom.api_key) == (7, 1000, 50, "k")
    for bad in ("0", "-3", "many", "1.5"):
        with pytest.raises(ValueError, match="IQC_MAX_ROWS|max_rows"):
            ApiSettings.from_env({"IQC_MAX_ROWS": bad})


def test_create_app_without_scorer_loads_model_once_in_lifespan(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[int] = []
    monkeypatch.setattr(nlp, "load", lambda config=None: loads.append(1) or make_scorer(), raising=False)
    app = create_app(settings=LIMITS)
    assert loads == []  # factory does no model work
    with TestClient(app) as client:
        assert client.post("/v1/score", json=ROW).status_code == 200
        assert client.post("/v1/score", json=ROW).status_code == 200
    assert loads == [1]


def test_serve_runs_uvicorn_with_the_factory(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from nlp.api.nodelay import NoDelayHTTPProtocol  # TCP_NODELAY under --workers N (test_serve_nodelay.py)

    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append((a, k)))
    monkeypatch.delenv("IQC_MAX_ROWS", raising=False)
    args = build_parser().parse_args(["serve", "--port", "8123", "--workers", "3"])
    assert args.handler(args) == 0
    assert calls == [(("nlp.api.app:create_app",),
                      {"factory": True, "host": "127.0.0.1", "port": 8123, "workers": 3,
                       "http": NoDelayHTTPProtocol})]
    monkeypatch.setenv("IQC_MAX_ROWS", "none")
    assert args.handler(args) == EXIT_USAGE


# --- fuzzing ---------------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=300)
_JSON = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
_FIELDS = st.sampled_from([*INTERCHANGE_COLUMNS, "budget_wan", "table_id", "extra", ""])
_ROWISH = st.dictionaries(_FIELDS, _JSON, max_size=6)
_BODIES = (_JSON | _ROWISH | st.lists(_ROWISH, max_size=25)).map(lambda v: json.dumps(v).encode()) | st.binary(max_size=200)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(body=_BODIES)
def test_no_body_causes_a_server_error(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500
    payload = response.json()
    assert ("rows" in payload) if response.status_code == 200 else ("error" in payload)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=40), data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_no_upload_causes_a_server_error(client: TestClient, name: str, data: bytes) -> None:
    response = client.post("/v1/score/file", files={"file": (name or "x.csv", data)})
    assert response.status_code < 500, response.text
