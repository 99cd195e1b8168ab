"""The public corpus as a batch of files of three kinds, for tests that score or read folders."""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pandas as pd


def write_readable_files(folder: Path, public_tables: pd.DataFrame, make_samples: ModuleType) -> list[pd.DataFrame]:
    """The public corpus split by document into ``a.csv``, ``b.tsv`` and a Chinese-header workbook
    ``c.xlsx`` (without row ids); returns the three parts in that order."""
    docs = public_tables["doc_id"].unique()
    parts = [public_tables[public_tables["doc_id"].isin(docs[i::3])] for i in range(3)]
    parts[0].to_csv(folder / "a.csv", index=False)
    parts[1].to_csv(folder / "b.tsv", sep="\t", index=False)
    make_samples.write_zh_workbook(parts[2].drop(columns=["row_id"]), folder / "c.xlsx")
    return parts
