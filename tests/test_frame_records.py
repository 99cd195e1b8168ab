"""``frame_records`` gives what ``DataFrame.to_dict("records")`` gives: the same keys, values and
value types, on the kinds of columns a scored frame or a reader's frame holds."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from nlp.report.rows import frame_records
from nlp.report.synthetic import synthetic_scored_frame


def _same(a: object, b: object) -> bool:
    if a is pd.NaT or (isinstance(a, float) and math.isnan(a)):
        return type(b) is type(a) and (b is pd.NaT or math.isnan(b))
    return type(a) is type(b) and a == b


def _assert_same_records(frame: pd.DataFrame) -> None:
    expected, got = frame.to_dict("records"), frame_records(frame)
    assert len(got) == len(expected)
    for want, have in zip(expected, got):
        assert list(have) == list(want)
        assert all(_same(want[key], have[key]) for key in want), (want, have)


def test_a_scored_frame_reads_as_to_dict_reads_it() -> None:
    _assert_same_records(synthetic_scored_frame(300, departments=4, seed=3))


@pytest.mark.parametrize("column", [
    pd.Series(["甲", None, "", "乙"], dtype=object),
    pd.Series(["甲", None, "", "乙"], dtype="string"),
    pd.Series([1.5, np.nan, 0.0, -2.0]),
    pd.Series([1, 2, 3, 4], dtype="int64"),
    pd.Series([True, False, True, False]),
    pd.Series([1, None, 3, 4], dtype="Int64"),
    pd.Series(pd.to_datetime(["2024-01-01", None, "2024-06-30", "2025-12-31"])),
    pd.Series(pd.Categorical(["质量", "数量", None, "质量"])),
    pd.Series([[{"code": "B4"}], [], None, [{"code": "M1"}, {"code": "B2"}]], dtype=object),
    pd.Series([np.int64(3), np.float64(0.5), np.bool_(True), pd.NA], dtype=object),
    pd.Series([np.datetime64("2024-01-01"), np.timedelta64(3, "D"), np.str_("甲"), 1], dtype=object),
    pd.Series(["甲", None, "", "乙"], dtype="str"),
], ids=["object", "string", "float", "int", "bool", "nullable-int", "datetime", "categorical", "findings",
        "numpy-scalars-in-object", "numpy-times-in-object", "default-str"])
def test_each_kind_of_column_reads_as_to_dict_reads_it(column: pd.Series) -> None:
    _assert_same_records(pd.DataFrame({"row_id": ["a", "b", "c", "d"], "cell": column}))


def test_an_empty_frame_has_no_records() -> None:
    assert frame_records(pd.DataFrame(columns=["row_id", "codes"])) == []
