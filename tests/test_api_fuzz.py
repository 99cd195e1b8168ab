"""Fuzzing ``POST /v1/score`` against the real model: no body answers 5xx (issue #11, item 7).

``tests/test_api.py`` fuzzes the request handling with the fake scorer; these bodies reach the
real text pipeline (jieba, spaCy, the value parser) with what clients actually send by mistake:
lone surrogates, integer and float literals beyond every limit, control and bidi characters,
emoji, fullwidth and combining forms, and values of the wrong JSON type.
"""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import nlp
from nlp.api import ApiSettings, create_app

_ODD = st.sampled_from(["\ud800", "\udfff", "\x00", "\u200b", "\u202e", "\ufeff", "😀", "ｘ１２３％", "e\u0301",
                        "≥", "≤95%", "\u3000", "\r\n", "\t", "𠀀", "NaN", "-0", "1e309"])
_TEXT = st.lists(_ODD | st.text(alphabet=st.characters(exclude_categories=[]), max_size=8), max_size=6).map("".join)
_VALUE = _TEXT | st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.lists(_TEXT, max_size=2)
_FIELD = st.sampled_from(["level1", "level2", "level3", "target_value", "unit", "budget_wan", "row_id", "table_id",
                          "doc_id", "project_name", "mine"])
_ROW = st.dictionaries(_FIELD, _VALUE, max_size=6)
_JSON_BODY = st.lists(_ROW, min_size=1, max_size=5).map(lambda rows: json.dumps(rows).encode())
_LITERAL = st.sampled_from([b"9", b"-9", b"9.9", b"1e", b"0."]).flatmap(
    lambda head: st.integers(1, 6000).map(lambda n: head + b"9" * n))
_NUMBER_BODY = st.tuples(st.sampled_from(["level3", "budget_wan", "mine"]), _LITERAL).map(
    lambda pair: b'[{"target_value": "1", "' + pair[0].encode() + b'": ' + pair[1] + b"}]")


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(scorer=nlp.load(), settings=ApiSettings.from_env({})))


@hsettings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(body=_JSON_BODY | _NUMBER_BODY)
def test_no_odd_body_causes_a_server_error(client: TestClient, body: bytes) -> None:
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, (body[:200], response.text[:300])
    payload = response.json()
    assert ("rows" in payload) if response.status_code == 200 else ("error" in payload)
