"""``iqc train`` on a corpus of one's own (``IQC_HOME``): every row is trained on with its label,
or training stops naming the file and the row.

The rows and labels files of a collection were inner-joined, so a row without a label (or a label
without its row) silently left the training set and every figure measured on it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.corpus import load_corpus

ROOT = Path(__file__).resolve().parent.parent
TABLE_HEADER = "row_id\tdoc_id\tsource_url\tproject_name\tlevel2\tlevel3\ttarget_value\n"
LABEL_HEADER = "row_id\tboilerplate\tmismatch\tunmeasurable\tcodes\tnote\n"
TABLES = TABLE_HEADER + "P1\td1\thttp://a\t甲\t数量指标\t培训人数\t≥100人\nP2\td1\thttp://a\t甲\t效益指标\t工作效率\t有所提高\n"


def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables: str, labels: str) -> Path:
    corpus = tmp_path / "data" / "corpus"
    corpus.mkdir(parents=True)
    (tmp_path / "data" / "codes.toml").symlink_to(ROOT / "data" / "codes.toml")
    (corpus / "public_tables.tsv").write_text(tables, encoding="utf-8")
    (corpus / "public_labels.tsv").write_text(labels, encoding="utf-8")
    monkeypatch.setenv("IQC_HOME", str(tmp_path))
    return corpus


@pytest.mark.parametrize("tables, labels, message", [
    (TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\n", "public_tables.tsv: row_id 'P2' has no label in {labels}"),
    (TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\nP2\t0\t0\t0\t\t\nP3\t1\t0\t0\tB1\t\n",
     "public_labels.tsv: row_id 'P3' is not among the rows of {tables}"),
    (TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\nP2\t0\t0\t0\t\t\nP2\t1\t0\t0\tB1\t\n",
     "public_labels.tsv: row_id 'P2' is given 2 times"),
    (TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\nP2\t1\t0\t0\tZ9\t\n", "public_labels.tsv: row_id 'P2': unknown code 'Z9'"),
    (TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\nP2\t1.0\t0\t0\tB1\t\n",
     "public_labels.tsv: row_id P2: family labels must be 0 or 1"),
], ids=["row without label", "label without row", "label twice", "unknown code", "label 1.0"])
def test_a_collection_whose_labels_do_not_match_its_rows_is_refused(tmp_path, monkeypatch, tables, labels,
                                                                    message) -> None:
    corpus = _home(tmp_path, monkeypatch, tables, labels)
    expected = message.format(labels=corpus / "public_labels.tsv", tables=corpus / "public_tables.tsv")
    with pytest.raises(ValueError) as refused:
        load_corpus(("public",))
    assert str(refused.value).startswith(f"{corpus}/{expected}")


def test_a_collection_whose_labels_match_its_rows_is_read(tmp_path, monkeypatch) -> None:
    _home(tmp_path, monkeypatch, TABLES, LABEL_HEADER + "P1\t0\t0\t0\t\t\nP2\t1\t0\t1\tB3;M6\t\n")
    corpus = load_corpus(("public",))
    assert corpus["row_id"].tolist() == ["P1", "P2"] and corpus["boilerplate"].tolist() == [0, 1]
