"""Formula cells a spreadsheet program never computed are named, not read silently as empty or 0."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from nlp.readers import read_file
from nlp.readers.formulas import formula_cells

HEADER = ["一级指标", "二级指标", "三级指标", "指标值"]


def _workbook(path: Path, values: list[str]) -> Path:
    """A workbook as openpyxl (and pandas, through it) writes one: formulas without results."""
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for name, value in zip(("培训人数", "培训场次", "覆盖率"), values):
        book.active.append(["产出指标", "数量指标", name, value])
    book.save(path)
    return path


def _as_saved_by_excel(path: Path, results: dict[str, str]) -> Path:
    """The same file as a spreadsheet program saves it: results stored, no request to recompute."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b' fullCalcOnLoad="1"', b"")
            if item.filename.startswith("xl/worksheets/"):
                for cell, result in results.items():
                    data = re.sub(rb'(<c r="%s"[^>]*)(><f>[^<]*</f>)(<v>[^<]*</v>|<v/>)?' % cell.encode(),
                                  rb'\1 t="str"\2<v>' + result.encode() + b"</v>", data)
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())
    return path


def _rows(path: Path) -> tuple[list[str], list[str]]:
    read = read_file(path)
    frame = next(iter(read.frames))
    return frame["target_value"].tolist(), [str(w) for w in read.warnings]


def test_formulas_never_computed_are_named(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "exported.xlsx", ['="≥"&100&"人"', '=CONCATENATE("≥",5,"场")', "≥95%"])
    values, warnings = _rows(path)
    assert values == ["", "", "≥95%"]  # read as saved: nothing is made up
    assert len(warnings) == 1 and warnings[0].startswith(f"{path}:Sheet: 2 formula cell(s) (D2, D3)")


def test_formulas_are_named_whatever_prefix_the_elements_carry(tmp_path: Path) -> None:
    """.NET's Open XML SDK writes ``<x:c>``, ``<x:f>``, ``<x:calcPr>``: the same workbook."""
    path = _workbook(tmp_path / "plain.xlsx", ['="≥"&100&"人"', "≥5场", "≥95%"])
    buffer = io.BytesIO()
    main = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/") and main in data:
                data = re.sub(rb"<(/?)([A-Za-z]+)(?=[ >/])", rb"<\1x:\2", data.replace(main, main.replace(b"xmlns=", b"xmlns:x=")))
            target.writestr(item, data)
    (tmp_path / "prefixed.xlsx").write_bytes(buffer.getvalue())
    values, warnings = _rows(tmp_path / "prefixed.xlsx")
    assert len(warnings) == 1 and "1 formula cell(s) (D2)" in warnings[0]


def test_computed_formulas_and_plain_workbooks_say_nothing(tmp_path: Path) -> None:
    saved = _as_saved_by_excel(_workbook(tmp_path / "saved.xlsx", ['="≥"&100&"人"', "≥5场", "≥95%"]), {"D2": "≥100人"})
    assert _rows(saved) == (["≥100人", "≥5场", "≥95%"], [])
    assert _rows(_workbook(tmp_path / "plain.xlsx", ["≥100人", "≥5场", "≥95%"]))[1] == []


@pytest.mark.parametrize("cells", [3, 40_000])
def test_every_formula_cell_is_counted_across_blocks(tmp_path: Path, cells: int) -> None:
    """A sheet part is searched in 1 MiB blocks; a cell cut by a block's end is counted once."""
    xml = b"".join((b'<c r="D%d" s="1"><f>A%d&amp;"x"</f><v>0</v></c>' if i % 3 == 0 else
                    b'<c r="A%d" t="inlineStr"><is><t>text %d</t></is></c>') % (i, i) for i in range(1, cells + 1))
    path = tmp_path / "sheet.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<sheetData><row>" + xml + b"</row></sheetData>")
    assert len(xml) > (1 << 20) or cells == 3
    with zipfile.ZipFile(path) as archive:
        assert formula_cells(archive, "xl/worksheets/sheet1.xml") == (cells // 3, ["D3", "D6", "D9"][:max(1, cells // 3)])
