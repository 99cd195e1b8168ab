"""Reading a ``POST /v1/score`` body: the same data and the same errors as ``json.loads`` followed
by writing the data back to JSON (the lone-surrogate check ``nlp.api.rows`` only runs in full
when a body holds a surrogate escape)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from nlp.api.errors import ApiError
from nlp.api.rows import _load_json


def reference(body: bytes) -> Any:
    """The body read the plain way: parsed from bytes, then the data encoded back as UTF-8 JSON."""
    data = json.loads(body)
    json.dumps(data, ensure_ascii=False).encode("utf-8")
    return data


def outcome(read: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "data", read(body)
    except ApiError as exc:
        return "error", exc.detail
    except (UnicodeDecodeError, UnicodeEncodeError):
        return "error", "invalid unicode"
    except RecursionError:
        return "error", "too deep"
    except ValueError as exc:
        return "error", f"body is not valid JSON: {exc}"


def api_outcome(body: bytes) -> tuple[str, Any]:
    kind, value = outcome(_load_json, body)
    if kind == "error" and value.startswith("body is not valid UTF-8 JSON"):
        return kind, "invalid unicode"
    if value == "JSON nesting is too deep":
        return kind, "too deep"
    return kind, value


ODD = [
    b'[{"level3": "\\ud800"}]', b'[{"level3": "\\uDFFF x"}]', b'{"\\udc00": "x"}',
    b'[{"level3": "\\ud83d\\ude00"}]', b'[{"level3": "\\uD83D\\uDE00"}]', b'[{"level3": "\\\\ud800"}]',
    b'[{"level3": "\xed\xa0\x80"}]', b'[{"level3": "\xed\xa0\xbd\xed\xb8\x80"}]', b'[{"level3": "\xf0\x9f\x98\x80"}]',
    '[{"level3": "质量"}]'.encode("utf-16"), '[{"level3": "质量"}]'.encode("utf-16-be"),
    '[{"level3": "\ud800"}]'.encode("utf-16-le", "surrogatepass"), '[{"level3": "x"}]'.encode("utf-32"),
    b"\xef\xbb\xbf[]", b"\xef\xbb\xbf\xef\xbb\xbf[]", b"\xff\xfe{}", b"\x80[]", b'{"a": 1e400, "b": NaN}',
    b"[" * 990 + b"]" * 990, b"[" * 50_000, b'{"level3": ' + b"9" * 5000 + b"}", b'[{"level3": "x"}] 7',
]


@pytest.mark.parametrize("body", ODD, ids=lambda body: repr(body)[:30])
def test_odd_bodies_read_as_json_loads_reads_them(body: bytes) -> None:
    assert api_outcome(body) == outcome(reference, body)


@hsettings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.integers() | st.floats() | st.text(alphabet=st.characters(exclude_categories=[])),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=8),
       st.booleans())
def test_any_json_reads_as_json_loads_reads_it(value: Any, ascii_only: bool) -> None:
    try:
        body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    except UnicodeEncodeError:
        return
    assert api_outcome(body) == outcome(reference, body)
