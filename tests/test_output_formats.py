"""One registry of output formats: every suffix it lists is written by `iqc score`, and only the
row formats by `iqc parse`."""
from __future__ import annotations

from pathlib import Path

import pytest

from nlp.output_formats import FORMATS, output_format

ROWS = "level2,level3,target_value\n质量指标,质量指标,≥95%\n数量指标,培训人次,≥300人次\n"


@pytest.mark.parametrize("suffix", [s for f in FORMATS for s in f.suffixes])
def test_score_writes_every_registered_suffix(iqc, tmp_path: Path, suffix: str) -> None:
    source = tmp_path / "rows.csv"
    source.write_text(ROWS, encoding="utf-8")
    output = tmp_path / f"scored{suffix}"
    code, err = iqc("score", source, "-o", output, "--quiet")
    assert code == 0, err
    assert output.stat().st_size > 0


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_parse_writes_exactly_the_row_formats(iqc, tmp_path: Path, fmt) -> None:
    source = tmp_path / "rows.csv"
    source.write_text(ROWS, encoding="utf-8")
    code, err = iqc("parse", source, "-o", tmp_path / f"parsed{fmt.suffix}")  # rows.csv itself: refused
    assert (code == 0) == fmt.rows, err


def test_an_unknown_suffix_names_every_choice(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.htm.*"):
        output_format(tmp_path / "x.docx")


@pytest.mark.parametrize("suffix", [s for f in FORMATS for s in f.suffixes])
def test_score_writes_an_output_named_as_long_as_the_file_system_allows(iqc, tmp_path: Path, suffix: str) -> None:
    """A file name may have 255 bytes; the temp file (and the workbook's staging folder) beside
    the output added ~20 to the output's name, so a long Chinese name was refused as too long."""
    source = tmp_path / "rows.csv"
    source.write_text(ROWS, encoding="utf-8")
    output = tmp_path / ("表" * ((255 - len(suffix)) // len("表".encode())) + suffix)
    code, err = iqc("score", source, "-o", output, "--quiet")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source.name, output.name])


def test_an_output_inside_a_file_is_said_to_be_so(iqc, tmp_path: Path) -> None:
    """``-o rows.csv/out.xlsx`` said "File exists", which reads as if out.xlsx were in the way."""
    source = tmp_path / "rows.csv"
    source.write_text(ROWS, encoding="utf-8")
    code, err = iqc("score", source, "-o", source / "out.xlsx", "--quiet")
    assert code == 1
    assert err.strip().splitlines() == [f"iqc: cannot write {source / 'out.xlsx'}: Not a directory; nothing was written"]


def test_an_output_name_too_long_for_the_file_system_is_refused_before_any_work(tmp_path: Path) -> None:
    """Temp names shortened to fit (above) must not let a too-long output name through until the
    final move, after the whole batch was scored."""
    from nlp.report.atomic import AtomicTarget

    with pytest.raises(OSError, match="File name too long"):
        AtomicTarget(tmp_path / ("a" * 252 + ".csv"))  # 256 bytes, and 256 UTF-16 units
    assert list(tmp_path.iterdir()) == []


def test_format_adds_its_suffix_to_the_name_given(iqc, tmp_path: Path) -> None:
    """--format replaced OUT's own suffix: ``-o 报告.v2 --format xlsx`` wrote over ``报告.xlsx``."""
    source, kept = tmp_path / "rows.csv", tmp_path / "报告.xlsx"
    source.write_text(ROWS, encoding="utf-8")
    kept.write_bytes(b"an earlier report")
    code, err = iqc("score", source, "-o", tmp_path / "报告.v2", "--format", "xlsx", "--quiet")
    assert code == 0, err
    assert (tmp_path / "报告.v2.xlsx").stat().st_size > 0 and kept.read_bytes() == b"an earlier report"


def test_a_folder_is_no_output_with_format(iqc, tmp_path: Path) -> None:
    """``-o 输出/ --format csv`` wrote ``输出.csv`` beside the folder."""
    source, folder = tmp_path / "rows.csv", tmp_path / "输出"
    source.write_text(ROWS, encoding="utf-8")
    folder.mkdir()
    code, err = iqc("score", source, "-o", folder, "--format", "csv")
    assert (code, err.strip()) == (2, f"iqc: {folder} is a folder: give the output file's name")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rows.csv", "输出"] and not any(folder.iterdir())


def test_a_rerun_keeps_the_output_s_permissions_and_a_read_only_output(iqc, tmp_path: Path, monkeypatch) -> None:
    """The output replaced was published with a new file's permissions (a private 0600 report
    became readable by everyone), and a read-only one was replaced (the move needs the folder's
    permission only)."""
    import os

    source, output = tmp_path / "rows.csv", tmp_path / "out.csv"
    source.write_text(ROWS, encoding="utf-8")
    assert iqc("parse", source, "-o", output)[0] == 0
    output.chmod(0o600)
    assert iqc("parse", source, "-o", output)[0] == 0
    assert oct(output.stat().st_mode & 0o777) == oct(0o600)

    output.write_text("kept", encoding="utf-8")
    output.chmod(0o444)
    access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == output else access(path, mode, **kw))
    code, err = iqc("parse", source, "-o", output)  # root may write a read-only file: os.access says who may not
    assert code == 1 and f"iqc: cannot write {output}: the file is read-only; nothing was written" in err.splitlines()
    assert output.read_text(encoding="utf-8") == "kept" and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
