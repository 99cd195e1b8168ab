"""Web systems' "Excel" downloads — an HTML page or an Excel 2003 XML spreadsheet, named .xls —
are read as the spreadsheet program shows them (they were refused as damaged .xls files)."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.readers import read_file, reader_for

WEB_PAGE = """<html><head><meta charset="{charset}"><title>导出</title></head><body>
<h3>项目名称：测试项目</h3><p>主管部门：<b>文化局</b></p>
<table border="1">
<thead><tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th><th>计量单位</th></tr></thead>
<tbody>
<tr><td rowspan="3">产出指标</td><td rowspan="2">数量指标</td><td>培训人次</td><td>≥500</td><td>人次</td></tr>
<tr><td>培训班次</td><td colspan="2">≥5期</td></tr>
<tr><td>质量指标</td><td>合格率<table><tr><td>附注</td></tr></table></td><td>≥95%</td><td></td></tr>
</tbody></table>
<p>项目名称：第二项目</p>
<table><tr><td>三级指标</td><td>指标值</td></tr><tr><td>满意度</td><td>≥90%</td></tr></table>
</body></html>"""

XML_SPREADSHEET = """<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Styles><Style ss:ID="p"><NumberFormat ss:Format="0%"/></Style><Style ss:ID="P"><NumberFormat ss:Format="Percent"/></Style>
<Style ss:ID="d"><NumberFormat ss:Format="Short Date"/></Style></Styles>
<Worksheet ss:Name="绩效目标"><Table>
<Row><Cell ss:MergeAcross="3"><Data ss:Type="String">项目名称：测试项目</Data></Cell></Row>
<Row ss:Index="3"><Cell><Data ss:Type="String">一级指标</Data></Cell><Cell><Data ss:Type="String">三级指标</Data></Cell>
<Cell><Data ss:Type="String">指标值</Data></Cell><Cell><Data ss:Type="String">备注</Data></Cell></Row>
<Row><Cell ss:MergeDown="2"><Data ss:Type="String">产出指标</Data></Cell><Cell><Data ss:Type="String">合格率</Data></Cell>
<Cell ss:StyleID="p"><Data ss:Type="Number">0.95</Data></Cell></Row>
<Row ss:Hidden="1"><Cell ss:Index="2"><Data ss:Type="String">优良率</Data></Cell><Cell ss:StyleID="P"><Data ss:Type="Number">0.9</Data></Cell></Row>
<Row><Cell ss:Index="2"><Data ss:Type="String">完成时间</Data></Cell><Cell ss:StyleID="d"><Data ss:Type="DateTime">2023-06-30T00:00:00.000</Data></Cell>
<Cell><Data ss:Type="Number">12</Data></Cell></Row>
</Table></Worksheet></Workbook>"""


@pytest.mark.parametrize("charset, encoding", [("utf-8", "utf-8"), ("gb2312", "gb18030")])
def test_a_web_page_saved_as_xls_is_read_as_its_tables(tmp_path: Path, charset: str, encoding: str) -> None:
    path = tmp_path / "导出.xls"
    path.write_bytes(WEB_PAGE.format(charset=charset).encode(encoding))
    assert reader_for(path).name == "web page"
    read = read_file(path)
    frame = next(iter(read.frames))
    assert frame[["project_name", "department", "level1", "level2", "level3", "target_value"]].values.tolist() == [
        ["测试项目", "文化局", "产出指标", "数量指标", "培训人次", "≥500"],  # 人次 in its own column
        ["测试项目", "文化局", "产出指标", "数量指标", "培训班次", "≥5期"],
        ["测试项目", "文化局", "产出指标", "质量指标", "合格率", "≥95%"],  # a table nested in a cell is not read
    ]
    assert frame["source_line"].tolist() == ["table1!row2", "table1!row3", "table1!row4"]
    second = next(iter(read.frames))
    assert second[["project_name", "level3", "target_value"]].values.tolist() == [["第二项目", "满意度", "≥90%"]]


def test_an_xml_spreadsheet_saved_as_xls_is_read_as_the_sheet_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_text(XML_SPREADSHEET, encoding="utf-8")
    assert reader_for(path).name == "xml spreadsheet"
    read = read_file(path)
    frame = next(iter(read.frames))
    assert frame[["project_name", "level1", "level3", "target_value", "source_line"]].values.tolist() == [
        ["测试项目", "产出指标", "合格率", "95%", "绩效目标!4"],
        ["测试项目", "产出指标", "优良率", "90.00%", "绩效目标!5"],
        ["测试项目", "产出指标", "完成时间", "2023-06-30", "绩效目标!6"],
    ]
    assert [warning.message.split(" (")[1].split(")")[0] for warning in read.warnings] == ["绩效目标!5"]


@pytest.mark.parametrize("content", [b"<html><body><p>no table here</p></body></html>", b"<?xml version='1.0'?><Workbook/>"])
def test_a_page_or_xml_without_a_table_is_one_line(tmp_path: Path, content: bytes) -> None:
    from nlp.readers.base import InputError

    path = tmp_path / "导出.xls"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        list(read_file(path).frames)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(("old", "new", "where"), [
    ('<Row ss:Index="3">', '<Row ss:Index="-5">', "绩效目标!2"),  # IndexError: a traceback that ended the batch
    ('<Row ss:Hidden="1"><Cell ss:Index="2">', '<Row ss:Hidden="1"><Cell ss:Index="-3">', "绩效目标!5"),  # read one column left
    ('<Row ss:Index="3">', '<Row ss:Index="50000000">', "绩效目标!2"),  # a minute and 1 GiB for a 1 KiB file
    ('<Cell ss:MergeAcross="3">', '<Cell ss:MergeAcross="99999999">', "绩效目标!1"),
    ('<Cell ss:MergeDown="2">', '<Cell ss:MergeDown="x">', "绩效目标!4"),
], ids=["row before the first", "cell going back", "row far off", "merge far off", "merge no number"])
def test_an_xml_spreadsheet_placing_a_row_or_cell_off_the_sheet_is_one_line(tmp_path: Path, old: str, new: str,
                                                                            where: str) -> None:
    from nlp.readers.base import InputError

    path = tmp_path / "导出.xls"
    assert old in XML_SPREADSHEET
    path.write_text(XML_SPREADSHEET.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as error:
        list(read_file(path).frames)
    assert (error.value.location, "damaged XML spreadsheet" in error.value.message) == (where, True), error.value
