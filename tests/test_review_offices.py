"""A reviewed workbook saved by another office suite: LibreOffice (and WPS) save the scored
workbook as .xls or .ods as readily as .xlsx, and the import reads every decision of it, on the
row it was typed on. One LibreOffice conversion per format for the whole module; skipped without
LibreOffice Calc."""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl.worksheet.worksheet import Worksheet

from nlp.readers import read_file
from nlp.report.xlsx import REVIEW_COMMENT, REVIEW_DECISION
from nlp.review import exchange
from nlp.review.exchange import Imported, ReviewFileError, read_decisions
from test_review_import import reviewed, scored_workbook
from test_review_store import ROWS

SAVED_AS = ("xls", "ods")


def _calc_installed() -> bool:
    """LibreOffice with Calc: Writer alone converts no workbook (it exits 0 and writes nothing)."""
    program = shutil.which("soffice")
    return program is not None and any((Path(program).resolve().parent / name).exists()
                                       for name in ("libsclo.so", "sclo.dll", "libsclo.dylib"))


def _decide(sheet: Worksheet, column: Callable[[str], int]) -> None:
    """驳回 merged over the B1 and M1 rows (2 and 3), a comment on row 3 only."""
    sheet.cell(2, column(REVIEW_DECISION), "驳回")
    sheet.merge_cells(start_row=2, end_row=3, start_column=column(REVIEW_DECISION), end_column=column(REVIEW_DECISION))
    sheet.cell(3, column(REVIEW_COMMENT), "需量化")


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The reviewed workbook of :func:`_decide`, as written (``xlsx``) and saved by LibreOffice in
    each of :data:`SAVED_AS`."""
    if not _calc_installed():
        pytest.skip("LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)")
    folder = tmp_path_factory.mktemp("offices")
    rows = ROWS.assign(description=["见\t附表", "", ""])  # LibreOffice writes the tab as <text:tab/> in an .ods
    source = reviewed(scored_workbook(folder, rows), _decide)
    return {"xlsx": source, **_saved_by_libreoffice(source, SAVED_AS)}


def _saved_by_libreoffice(source: Path, targets: tuple[str, ...]) -> dict[str, Path]:
    """``source`` saved by LibreOffice in each format of ``targets``, in a folder of its own per format."""
    folder = source.parent
    for target in targets:
        subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                        "--convert-to", target, "--outdir", str(folder / target), str(source)],
                       check=True, capture_output=True, timeout=180)
    return {target: folder / target / source.with_suffix(f".{target}").name for target in targets}


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A reviewed workbook whose row-2 审核结论 is a formula that fails (``=NA()``) and row 3's
    采纳, as LibreOffice saves it in each format: with the formula's result, the error ``#N/A``."""
    if not _calc_installed():
        pytest.skip("LibreOffice Calc is not installed (apt-get install libreoffice-calc-nogui)")
    def decide(sheet: Worksheet, column: Callable[[str], int]) -> None:
        sheet.cell(2, column(REVIEW_DECISION), "=NA()")
        sheet.cell(3, column(REVIEW_DECISION), "采纳")
    source = reviewed(scored_workbook(tmp_path_factory.mktemp("failed")), decide)
    return _saved_by_libreoffice(source, ("xlsx", *SAVED_AS))


@pytest.mark.parametrize("target", ["xlsx", *SAVED_AS])
def test_a_decision_cell_showing_an_error_is_a_problem_not_no_decision(failed: dict[str, Path], target: str) -> None:
    """calamine reads an error cell (``#N/A``, a formula that failed) as empty: a 审核结论 that
    showed ``#N/A`` was read as no decision, and the import said nothing of that row."""
    imported = read_decisions(failed[target])
    assert [(d.code, d.decision) for d in imported.decisions] == [("M1", "accept")]
    assert imported.problems == [f"reviewed.{target}:indicators!2: decision must be 采纳 or 驳回 (accept/reject), "
                                 "not '#N/A'"]


def _read(imported: Imported) -> list[tuple[str, str, str | None, str, str]]:
    """What was imported, and where each was read (the file's suffix left out)."""
    return [(d.key, d.code, d.decision, d.comment, imported.places[d.key].replace(".xls:", ".xlsx:")
             .replace(".ods:", ".xlsx:")) for d in imported.decisions]


@pytest.mark.parametrize("target", SAVED_AS)
def test_a_workbook_saved_as_xls_or_ods_imports_the_decisions_on_their_rows(saved: dict[str, Path],
                                                                           target: str) -> None:
    """The import read .xlsx and .csv only: a reviewer whose office suite saved .xls or .ods was
    told to use another file, though ``iqc score`` reads both. And calamine reads an .ods cell
    without its tabs: the decided row whose 指标解释 holds one was refused as edited after scoring."""
    expected = read_decisions(saved["xlsx"])
    assert [(code, decision, comment) for _, code, decision, comment, _ in _read(expected)] == [
        ("B1", "reject", ""), ("M1", "reject", "需量化")]
    imported = read_decisions(saved[target])
    assert (_read(imported), imported.problems) == (_read(expected), [])


@pytest.mark.parametrize(("saved_as", "named"), [("xlsx", ".xls"), ("xls", ".xlsx"), ("ods", ".xls")])
def test_a_workbook_named_as_another_format_imports(saved: dict[str, Path], saved_as: str, named: str,
                                                    tmp_path: Path) -> None:
    """An .xlsx renamed .xls (a system that takes .xls uploads only) was "not a readable workbook
    (CalamineError)": calamine picks the format by the name. It is read by its content, as inputs are."""
    renamed = tmp_path / f"reviewed{named}"
    shutil.copyfile(saved[saved_as], renamed)
    imported = read_decisions(renamed)
    assert [(d.code, d.decision, d.comment) for d in imported.decisions] == [("B1", "reject", ""),
                                                                             ("M1", "reject", "需量化")]
    assert imported.problems == []


@pytest.mark.parametrize("target", SAVED_AS)
def test_a_reviewed_workbook_saved_as_xls_or_ods_is_not_read_as_input(saved: dict[str, Path], target: str) -> None:
    """LibreOffice keeps the workbook's description (the mark ``iqc score`` writes), but only an
    .xlsx was looked at: the .xls or .ods left in an input folder had its triage sheet's rows
    scored again as indicators, each a second time."""
    read = read_file(saved[target])
    assert list(read.frames) == [] and [part.location for part in read.skipped] == ["workbook"]


def test_a_file_of_another_kind_is_refused_with_the_formats_that_are_read(tmp_path: Path) -> None:
    """A WPS .et workbook, say: the message names what to save it as."""
    path = tmp_path / "reviewed.et"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    with pytest.raises(ReviewFileError, match=r"reviewed\.et: .*save it as \.xlsx, \.xls or \.ods"):
        read_decisions(path)


@pytest.mark.parametrize("target", ["xlsx", *SAVED_AS])
def test_a_sheet_that_fills_an_xls_file_is_said_to_have_lost_its_rows(saved: dict[str, Path], target: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An office suite saving a scored sheet of more than 65,536 rows as .xls keeps the first
    65,536: the rows past it, and their decisions, were gone without a word at import. Here the
    limit is set to this sheet's length (4 rows) rather than writing 65,536 rows; .xlsx and .ods
    have no such limit."""
    monkeypatch.setattr(exchange, "XLS_ROWS", 4)
    warnings = read_decisions(saved[target]).warnings
    assert warnings == ([f"reviewed.xls:indicators!4: {exchange.XLS_FULL}"] if target == "xls" else [])
    monkeypatch.setattr(exchange, "XLS_ROWS", 5)
    assert read_decisions(saved[target]).warnings == []
