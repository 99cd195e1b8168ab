"""Formats other tools read: SARIF 2.1.0 validated against the official schema, the scored-record
JSON Schema against real JSONL and API output, and /docs served without any CDN."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
from fastapi.testclient import TestClient

from fake_scorer import make_scorer
from nlp.api import create_app
from nlp.codes import catalogue
from nlp.record_schema import record_schema
from nlp.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parent.parent
#: The official schema (sarif-2.1.0-rtm.5.json, as on schemastore.org), copied unchanged from the
#: npm package @microsoft/jest-sarif 1.0.0-beta.0 (MIT), lib/schemas/.
SARIF_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scored(tmp_path_factory, public_tables_path) -> dict[str, Path]:
    """The same input scored to SARIF and JSONL (two files: delimited lines and sheet rows)."""
    from nlp.cli import main

    folder = tmp_path_factory.mktemp("interchange")
    inputs = [str(public_tables_path), str(ROOT / "data" / "samples" / "sample_zh.xlsx")]
    outputs = {suffix: folder / f"scored.{suffix}" for suffix in ("sarif", "jsonl")}
    for output in outputs.values():
        assert main(["score", *inputs, "-o", str(output), "--quiet", "--jobs", "2"]) == 0
    return outputs


def test_sarif_is_valid_sarif_2_1_0(scored) -> None:
    log = json.loads(scored["sarif"].read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["version"] == "2.1.0"
    (invocation,) = log["runs"][0]["invocations"]  # what reading noticed: the workbook's notes sheet
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "note" and note["locations"][0]["logicalLocations"][0]["name"] == "填报说明"


def test_the_validator_rejects_a_broken_log(scored) -> None:
    log = json.loads(scored["sarif"].read_text(encoding="utf-8"))
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(broken))
    del log["version"]
    assert list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(log))


def test_sarif_has_one_result_per_finding_with_rules_from_the_catalogue(scored) -> None:
    run = json.loads(scored["sarif"].read_text(encoding="utf-8"))["runs"][0]
    rows = [json.loads(line) for line in scored["jsonl"].read_text(encoding="utf-8").splitlines()]
    expected = [(row["row_id"], f["code"]) for row in rows for f in [*row["findings"], *row["table_findings"]]]
    assert sorted((r["properties"]["row_id"], r["ruleId"]) for r in run["results"]) == sorted(expected)
    rules = run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(catalogue())
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        assert location["logicalLocations"][0]["fullyQualifiedName"]
        assert location["physicalLocation"]["artifactLocation"]["uri"]
    lines = [r for r in run["results"] if "region" in r["locations"][0]["physicalLocation"]]
    sheets = [r for r in run["results"] if "region" not in r["locations"][0]["physicalLocation"]]
    assert lines and sheets  # the TSV gives lines; the workbook gives Sheet!row logical locations
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 2 for r in lines)


def test_real_jsonl_output_validates_against_the_record_schema(scored) -> None:
    schema = json.loads((ROOT / "docs" / "scored-record.schema.json").read_text(encoding="utf-8"))
    assert schema == record_schema(), "regenerate: python -m nlp.record_schema > docs/scored-record.schema.json"
    assert schema["schema_version"] == SCHEMA_VERSION
    validator = jsonschema.Draft202012Validator(schema)
    rows = [json.loads(line) for line in scored["jsonl"].read_text(encoding="utf-8").splitlines()]
    for row in rows:
        validator.validate(row)
    assert list(validator.iter_errors({**rows[0], "flag_mismatch": 2}))
    assert list(validator.iter_errors({key: value for key, value in rows[0].items() if key != "findings"}))


def test_api_rows_validate_and_carry_the_schema_version() -> None:
    client = TestClient(create_app(make_scorer()))
    body = client.post("/v1/score", json=[{"level2": "质量指标", "level3": "质量指标", "target_value": "≥95%"}]).json()
    assert body["schema_version"] == SCHEMA_VERSION
    served = client.get("/v1/schema").json()
    assert served == record_schema()
    validator = jsonschema.Draft202012Validator({**served, "anyOf": [{"$ref": "#/$defs/RowResult"}]})
    for row in body["rows"]:
        validator.validate(row)


def test_docs_need_nothing_outside_the_server() -> None:
    client = TestClient(create_app(make_scorer()))
    page = client.get("/docs")
    assert page.status_code == 200 and "<redoc" in page.text
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page.text)
    assert not re.findall(r"https?://", page.text)
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy and "http" not in policy
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert scripts == ["/docs/redoc.standalone.js"]
    bundle = client.get(scripts[0])
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 500_000  # the real ReDoc bundle, not a stub
    assert client.get("/openapi.json").status_code == 200
