"""Build the document fixtures of issue #12 from corpus rows: .docx, .pdf, .xls, .ods, traditional CSV.

Binaries are never committed: tests build them at run time (``python tests/make_documents.py DIR``
writes them all for a look). Each builder lays corpus tables out the way departments publish them
(project paragraphs above a table, 一级/二级 merged down their rows), so a reader that gives back
the source rows cell for cell has undone exactly that layout.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "corpus" / "public_tables.tsv"
#: Columns laid out in the indicator tables, with their Chinese headers.
TABLE_COLUMNS = {"level1": "一级指标", "level2": "二级指标", "level3": "三级指标",
                 "description": "指标解释", "target_value": "指标值", "basis": "指标值确定依据"}
#: Context stated above each table, as "label：value" paragraphs.
CONTEXT_LABELS = {"project_name": "项目名称", "department": "主管部门", "project_goal": "年度绩效目标"}
#: Every column a fixture states, i.e. what a reader must give back unchanged.
COMPARED = [*CONTEXT_LABELS, *TABLE_COLUMNS]
DOCX_TABLES = ("ah_luan_jinan_tiyuju_2025_wangqiugongkaisai", "hn_hengshan_shangwuliangshi_2020_chubeiliang_ziping")
PDF_TABLE = "hn_hengshan_shangwuliangshi_2020_chubeiliang_ziping"
SHEET_TABLE = "hn_yueyangxian_nongyenongcun_2022_gaobiaozhunnongtian"
#: TrueType outlines (Debian's fonts-wqy-zenhei): pdfminer reads text drawn with them, while the
#: CFF outlines of Noto CJK, as fpdf2 embeds them, come out as no characters at all.
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",)


def corpus_rows(*doc_ids: str) -> pd.DataFrame:
    """The corpus rows of ``doc_ids``, in corpus order, every cell a string."""
    corpus = pd.read_csv(CORPUS, sep="\t", dtype=str, keep_default_na=False)
    return corpus[corpus["doc_id"].isin(doc_ids)].reset_index(drop=True)


def _projects(rows: pd.DataFrame) -> list[pd.DataFrame]:
    return [table.reset_index(drop=True) for _, table in rows.groupby(["doc_id", "project_name"], sort=False)]


def _runs(values: Sequence[str]) -> list[tuple[int, int]]:
    """(first, last) indexes of each run of equal values: the cells a department merges."""
    runs: list[tuple[int, int]] = []
    for index, value in enumerate(values):
        if runs and values[runs[-1][0]] == value:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs


def _merge_runs(table: pd.DataFrame) -> dict[str, list[tuple[int, int]]]:
    """Runs of 一级, and of 二级 within each 一级 (a 二级 never spans two 一级)."""
    level2_keys = [f"{one}\0{two}" for one, two in zip(table["level1"], table["level2"])]
    return {"level1": _runs(list(table["level1"])), "level2": _runs(level2_keys)}


def make_docx(rows: pd.DataFrame, path: Path) -> Path:
    """One section per project: context paragraphs, then a table with a title row spanning every
    column (gridSpan) and 一级/二级 merged down their rows (vMerge)."""
    import docx

    document = docx.Document()
    for table_rows in _projects(rows):
        document.add_heading(f"{table_rows.loc[0, 'project_name']}绩效目标表", level=2)
        for name, label in CONTEXT_LABELS.items():
            document.add_paragraph(f"{label}：{table_rows.loc[0, name]}")
        table = document.add_table(rows=len(table_rows) + 2, cols=len(TABLE_COLUMNS))
        table.style = "Table Grid"
        title = table.cell(0, 0).merge(table.cell(0, len(TABLE_COLUMNS) - 1))
        title.text = "绩效指标"
        for column, header in enumerate(TABLE_COLUMNS.values()):
            table.cell(1, column).text = header
        runs = _merge_runs(table_rows)
        for column, name in enumerate(TABLE_COLUMNS):
            for index, value in enumerate(table_rows[name]):
                if name not in runs or any(first == index for first, _ in runs[name]):
                    table.cell(index + 2, column).text = value
            for first, last in runs.get(name, []):
                if last > first:
                    table.cell(first + 2, column).merge(table.cell(last + 2, column))
    document.save(str(path))
    return path


def cjk_font() -> Path | None:
    """A TrueType font with Chinese glyphs, or None when none is installed."""
    return next((Path(font) for font in CJK_FONTS if Path(font).exists()), None)


def make_pdf(rows: pd.DataFrame, path: Path, font: Path) -> Path:
    """A budget-disclosure page: title, context paragraphs, then a bordered table with 一级/二级
    merged down their rows, tall enough to cross onto a second page (the header is repeated
    there, as fpdf2 and most publishers do)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.add_font("cjk", fname=str(font))
    pdf.set_font("cjk", size=11)
    pdf.add_page()
    for table_rows in _projects(rows):
        pdf.multi_cell(0, 10, f"{table_rows.loc[0, 'project_name']}绩效目标表", new_x="LMARGIN", new_y="NEXT")
        for name, label in CONTEXT_LABELS.items():
            pdf.multi_cell(0, 8, f"{label}：{table_rows.loc[0, name]}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        starts = {name: {first: last - first + 1 for first, last in runs} for name, runs in _merge_runs(table_rows).items()}
        covered = {name: {i for first, span in spans.items() for i in range(first + 1, first + span)}
                   for name, spans in starts.items()}
        with pdf.table(line_height=14, repeat_headings=1, headings_style=FontFace(),
                       col_widths=(14, 18, 34, 12, 12, 12)) as table:
            table.row(list(TABLE_COLUMNS.values()))
            for index, record in table_rows.iterrows():
                row = table.row()
                for name in TABLE_COLUMNS:
                    if index in covered.get(name, set()):
                        continue
                    row.cell(record[name], rowspan=starts.get(name, {}).get(index, 1))
    pdf.output(str(path))
    return path


def make_sheet(rows: pd.DataFrame, path: Path) -> Path:
    """A workbook (.xls through xlwt, .ods through odfpy) with the table under a title row."""
    frame = rows[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS)
    if path.suffix == ".ods":
        with pd.ExcelWriter(path, engine="odf") as writer:
            frame.to_excel(writer, sheet_name="绩效目标", index=False, startrow=1)
        return path
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("绩效目标")
    sheet.write(0, 0, "项目绩效目标表")
    for column, header in enumerate(frame.columns):
        sheet.write(1, column, header)
    for number, record in enumerate(frame.itertuples(index=False), 2):
        for column, value in enumerate(record):
            sheet.write(number, column, value)
    book.save(str(path))
    return path


def make_traditional_csv(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The rows converted to traditional characters (a Hong Kong/Taiwan copy), as CSV; returns them."""
    from opencc import OpenCC

    converter = OpenCC("s2t")
    traditional = rows[COMPARED].map(converter.convert)
    traditional.rename(columns={**TABLE_COLUMNS, **CONTEXT_LABELS}).to_csv(path, index=False, encoding="utf-8")
    return traditional


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    make_docx(corpus_rows(*DOCX_TABLES), out / "two_projects.docx")
    font = cjk_font()
    if font:
        make_pdf(corpus_rows(PDF_TABLE), out / "two_pages.pdf", font)
    for suffix in (".xls", ".ods"):
        make_sheet(corpus_rows(SHEET_TABLE), out / f"table{suffix}")
    make_traditional_csv(corpus_rows(*DOCX_TABLES), out / "traditional.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures-out"))
