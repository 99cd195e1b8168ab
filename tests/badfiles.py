"""A corpus of awkward input files, written at test time (no binaries in the repository).

Each :class:`Case` is one file with what every entry point must make of it: the rows that are
readable (their 三级指标 and 指标值 exactly as written) and the parts that are not (one error each,
at a line or for the whole file, with a word of the reason). ``tests/test_bad_files.py`` checks
that property through ``iqc parse``, ``iqc score`` and the HTTP API; add a case here and it is
checked everywhere.
"""
from __future__ import annotations

import codecs
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

Row = tuple[str, str]  # (level3, target_value)

HEADER = "项目名称,一级指标,二级指标,三级指标,指标值"
ROWS: list[Row] = [("培训人数", "≥100人"), ("验收合格率", "≥95%"), ("完成时限", "2025年6月30日前")]


@dataclass(frozen=True)
class Case:
    """One awkward file. ``errors``: the location of each unreadable part ("" = the whole file);
    ``reason``: a word every one of its error lines contains; ``skipped``: a part deliberately
    not read as targets (a rubric, our own output), which is not an error; ``api_rejects``: the
    HTTP API refuses it although the CLI reads it (a cell over the API's length limit)."""

    name: str
    data: bytes
    rows: list[Row]
    errors: list[str] = field(default_factory=list)
    reason: str = ""
    skipped: bool = False
    api_rejects: bool = False

    @property
    def readable(self) -> bool:
        return not self.errors


def _csv(rows: list[Row], header: str = HEADER, sep: str = ",", end: str = "\n") -> str:
    lines = [header.replace(",", sep)] + [sep.join(["项目A", "产出指标", "数量指标", a, b]) for a, b in rows]
    return end.join(lines) + end


def _damaged(archive: bytes, part: str, cut: bool = False) -> bytes:
    """``archive`` (a workbook, a document) with one of its zip's parts left out, or ``cut`` in
    half (a sound zip holding damaged XML): a damaged copy."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if name != part:
                target.writestr(name, source.read(name))
            elif cut:
                target.writestr(name, source.read(name)[:len(source.read(name)) // 2])
    return buffer.getvalue()


def _xlsx(sheets: dict[str, list[list[str]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _docx(rows: list[list[str]]) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for number, cells in enumerate(rows):
        for column, text in enumerate(cells):
            table.cell(number, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _sheet(rows: list[Row]) -> list[list[str]]:
    return [HEADER.split(","), *(["项目A", "产出指标", "数量指标", a, b] for a, b in rows)]


def _ole(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 512


def _late_bad(total: int, bad: int) -> tuple[bytes, list[Row]]:
    rows = [(f"指标{i}", f"≥{i}人") for i in range(total)]
    lines = _csv(rows).splitlines()
    lines[bad - 1] += ",多出的单元格"  # physical line ``bad`` (line 1 is the header)
    return ("\n".join(lines) + "\n").encode(), rows[: bad - 2] + rows[bad - 1:]


def cases() -> list[Case]:
    """Every case: the numbered ones of issue #11, those handled before it, and more."""
    late, late_rows = _late_bad(3000, 2501)
    giant = "很" * 1_100_000
    odd = [("零宽\u200b空格", "≥1"), ("右到左\u202e文本", "٣"), ("表情😀", "=1+1"), ("+86电话", "-5"),
           ("00123", "NaN"), ("NULL", "#N/A"), ("TRUE", "1e5"), ("合格\n率", "≥95%")]
    big5_rows = [("培訓人數", "大於100人"), ("驗收合格率", "95%")]
    builders: list[Callable[[], Case]] = [
        lambda: Case("good_utf8_bom.csv", codecs.BOM_UTF8 + _csv(ROWS).encode(), ROWS),
        lambda: Case("trailing_comma_first_row.csv",  # issue 1: read, never shifted
                     (HEADER + "\n项目A,产出指标,数量指标,培训人数,≥100人,\n项目A,产出指标,质量指标,验收合格率,≥95%\n").encode(),
                     ROWS[:2]),
        lambda: Case("extra_text_cell.csv",
                     (HEADER + "\n项目A,产出指标,数量指标,培训人数,≥100人\n项目A,产出指标,质量指标,合格,率,≥95%\n"
                      "项目A,产出指标,时效指标,完成时限,2025年6月30日前\n").encode(),
                     [ROWS[0], ROWS[2]], ["3"], "row not read"),
        lambda: Case("cr_only.csv", _csv(ROWS, end="\r").encode(), ROWS),  # issue 2
        lambda: Case("crlf.tsv", _csv(ROWS, sep="\t", end="\r\n").encode(), ROWS),
        lambda: Case("giant_cell.csv", _csv([(giant, "≥1"), ROWS[1]]).encode(),  # issue 3
                     [(giant, "≥1"), ROWS[1]], api_rejects=True),
        lambda: Case("late_bad_line.csv", late, late_rows, ["2501"], "row not read"),  # issue 9
        lambda: Case("unclosed_quote.csv", (_csv(ROWS[:2]) + '项目A,产出指标,数量指标,"未闭合,1\n还有一行,2\n').encode(),
                     ROWS[:2], ["4"], "never closed"),
        lambda: Case("stray_quote.csv", (_csv(ROWS[:1]) + '项目A,产出指标,数量指标,"引号"之后,1\n' + _csv(ROWS[1:2]).split("\n", 1)[1]).encode(),
                     ROWS[:2], ["3"], "row not read"),
        lambda: Case("multiline_and_odd_cells.csv", _csv(odd).replace("合格\n率", '"合格\n率"').encode(), odd),
        lambda: Case("gbk.csv", _csv(ROWS[:2]).encode("gbk"), ROWS[:2]),
        lambda: Case("big5.csv", _csv(big5_rows, header="project_name,level1,level2,level3,target_value").replace(
            "项目A,产出指标,数量指标", "項目甲,產出指標,數量指標").encode("big5"), big5_rows),
        lambda: Case("big5_under_gbk_header.csv", (HEADER + "\n").encode("gbk")  # issue 10
                     + "項目甲,產出指標,數量指標,培訓人數,大於100人\n".encode("big5"), [], [""], "garbled"),
        lambda: Case("utf16_bom.tsv", _csv(ROWS, sep="\t").encode("utf-16"), ROWS),
        lambda: Case("utf16_no_bom.csv", _csv(ROWS).encode("utf-16-le"), ROWS),  # issue 10
        lambda: Case("renamed_xls.xlsx", _ole(), [], [""], "97-2003"),  # issue 10
        lambda: Case("encrypted.xlsx", _ole("EncryptedPackage".encode("utf-16-le")), [], [""], "password-protected (encrypted) workbook"),
        lambda: Case("encrypted.docx", _ole("EncryptedPackage".encode("utf-16-le")), [], [""],
                     "password-protected (encrypted) Word document: remove the password, save it as .docx"),
        lambda: Case("truncated.xlsx", _xlsx({"绩效目标": _sheet(ROWS)})[:700], [], [""], "not a readable Excel"),
        lambda: Case("sheet_part_missing.xlsx", _damaged(_xlsx({"绩效目标": _sheet(ROWS), "说明": [["备注"]]}),
                                                         "xl/worksheets/sheet1.xml"),
                     [], [""], "not a readable Excel"),  # the indicator sheet vanished without a word before
        lambda: Case("workbook_with_extra_text.xlsx",
                     _xlsx({"绩效目标": [*_sheet(ROWS[:1]), ["项目A", "产出指标", "数量指标", "合格率", "≥95%", "", "", "多出的"]]}),
                     ROWS[:1], ["绩效目标!3"], "row not read"),
        lambda: Case("workbook_rubric_and_targets.xlsx",
                     _xlsx({"评分": [["一级指标", "二级指标", "三级指标", "评分标准", "得分"], ["投入", "目标", "职责明确", "符合", "1"]],
                            "绩效目标": _sheet(ROWS)}), ROWS, skipped=True),
        lambda: Case("damaged_body.docx", _damaged(_docx(_sheet(ROWS)), "word/document.xml", cut=True),
                     [], [""], "not a readable Word"),  # lxml's error was a traceback that ended the batch
        lambda: Case("binary.csv", bytes(range(256)) * 4, [], [""], "binary"),
        lambda: Case("empty.csv", b"", [], [""], "empty"),
        lambda: Case("header_only.csv", (HEADER + "\n").encode(), []),
        lambda: Case("no_indicator_header.csv", b"a,b\n1,2\n", [], [""], "no indicator columns"),
        lambda: Case("rubric.txt", ("绩效评价指标体系评分表\n一级指标\t二级指标\t三级指标\t评分标准\t得分\n"  # issue 5
                                    "投入\t目标设定\t职责明确\t符合(1)\t1\n").encode(), [], skipped=True),
        lambda: Case("scored_output.csv", ("level3,target_value,flag_boilerplate,flag_mismatch,flag_unmeasurable,"
                                           "score_boilerplate,score_mismatch,score_unmeasurable,risk,codes,"
                                           "suggested_level2,explanation\nx,1,0,0,0,0,0,0,0,,,\n").encode(), [], skipped=True),
        lambda: Case("wide_header.csv", (",".join(["三级指标", "指标值", *(f"c{i}" for i in range(1200))]) + "\n培训人数,1\n").encode(),
                     [], ["1"], "columns"),  # issue 12
        lambda: Case("workbook_named.csv", _xlsx({"绩效目标": _sheet(ROWS)}), ROWS),  # content, not suffix
        lambda: Case("nul_after_the_head.csv", (_csv(ROWS[:1] * 2000) + "项目A,产出指标,数量指标,\x00坏,1\n"
                                               + _csv(ROWS[1:2]).split("\n", 1)[1]).encode(),
                     ROWS[:1] * 2000 + [("\x00坏", "1"), ROWS[1]]),  # a NUL character is a character
        lambda: Case("rows.jsonl", "".join(json.dumps({"level3": a, "target_value": b}, ensure_ascii=False) + "\n"
                                           for a, b in ROWS[:2]).encode() + b"{not json\n[1]\n", ROWS[:2],
                     ["3", "4"], "row not read"),  # issue 6
    ]
    return [build() for build in builders]


def good_cases() -> list[Case]:
    """Plain good files to mix with the awkward ones."""
    return [Case("mix_good.csv", _csv(ROWS).encode(), ROWS),
            Case("mix_good.xlsx", _xlsx({"绩效目标": _sheet(ROWS)}), ROWS)]


def write(cases_: list[Case], folder: Path) -> dict[Path, Case]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for case in cases_:
        path = folder / case.name
        path.write_bytes(case.data)
        written[path] = case
    return written
