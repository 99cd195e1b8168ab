"""Rebuild ``data/samples/``, the sample batch for the README's main command.

* ``public_tables.tsv``: a copy of the shared corpus table (interchange headers, 235 rows).
* ``sample_zh.xlsx``: the rows of the corpus's first two projects as a budget system exports
  them: Chinese headers on row 3 under a title, merged 项目/一级/二级 cells, and a
  ``填报说明`` sheet without indicators (which ``iqc parse`` reports as skipped).

Run from anywhere: ``python data/samples/make_samples.py [--corpus PATH]``. The tests import
:func:`write_zh_workbook` from here, so the sample and the test fixture are built the same way.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path("/work/shared/corpus/public_tables.tsv")

#: Interchange column -> the Chinese header written for it; other columns keep their name.
ZH_HEADERS = {
    "project_name": "项目名称",
    "department": "主管部门",
    "project_goal": "年度绩效目标",
    "level1": "一级指标",
    "level2": "二级指标",
    "level3": "三级指标",
    "target_value": "指标值",
    "basis": "指标值确定依据",
    "source_url": "来源网址",
}
#: Merged vertically over runs of equal values, outermost first (a run never crosses its parent's).
MERGED = ("project_name", "department", "project_goal", "level1", "level2")
NOTES = ("填报说明", "1. 三级指标应当细化、量化。", "2. 指标值应与预算资金相匹配。")


def write_zh_workbook(frame: pd.DataFrame, path: Path, title: str = "2022年项目支出绩效目标表") -> None:
    """Write ``frame`` (interchange columns) as a Chinese-header workbook, header on row 3."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "绩效目标"
    columns = [column for column in ZH_HEADERS if column in frame.columns]
    sheet.append([title])
    sheet.append([])
    sheet.append([ZH_HEADERS[column] for column in columns])
    for record in frame[columns].itertuples(index=False):
        sheet.append(list(record))
    _keep_as_text(sheet)
    for position, column in enumerate(columns, 1):
        if column in MERGED:
            _merge_runs(sheet, frame, MERGED[: MERGED.index(column) + 1], position, first_row=4)
    notes = workbook.create_sheet("填报说明")
    for line in NOTES:
        notes.append([line])
    workbook.save(path)


def _keep_as_text(sheet) -> None:
    """Cells like "=8个" are text in real tables; openpyxl would store them as formulas."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"


def _merge_runs(sheet, frame: pd.DataFrame, keys: tuple[str, ...], position: int, first_row: int) -> None:
    """Merge cells of one column over consecutive rows whose ``keys`` values are all equal."""
    values = [tuple(row) for row in frame[[key for key in keys if key in frame.columns]].itertuples(index=False)]
    start = 0
    for end in range(1, len(values) + 1):
        if end == len(values) or values[end] != values[start]:
            if end - start > 1 and values[start][-1]:
                sheet.merge_cells(start_row=first_row + start, end_row=first_row + end - 1,
                                  start_column=position, end_column=position)
            start = end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    corpus = parser.parse_args().corpus
    shutil.copyfile(corpus, HERE / "public_tables.tsv")
    frame = pd.read_csv(corpus, sep="\t", dtype=str, keep_default_na=False)
    first_projects = frame[frame["doc_id"].isin(frame["doc_id"].unique()[:2])]
    write_zh_workbook(first_projects, HERE / "sample_zh.xlsx")


if __name__ == "__main__":
    main()
