"""iqc.toml: codes switched off, severities, raised thresholds, provinces; strict keys; applied the
same way by the Python API, the batch CLI (also in workers) and the HTTP API."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import nlp
from nlp.api import ApiSettings, create_app
from nlp.cli import EXIT_USAGE, main
from nlp.config import Config, ConfigError, find_config, load_config, model_thresholds, to_toml

ROOT = Path(__file__).resolve().parent.parent
ROWS = [
    {"row_id": "r1", "level1": "产出指标", "level2": "质量指标", "level3": "质量指标", "target_value": "≥95%"},
    {"row_id": "r2", "level2": "社会效益指标", "level3": "提升开发区形象", "target_value": "比上年提升"},
    {"row_id": "r3", "level1": "产出指标", "level2": "数量指标", "level3": "培训人次", "target_value": "≥300人次"},
    {"row_id": "r4", "level1": "效益指标", "level2": "生态效益指标", "level3": "生态效益提升值", "target_value": "≥95%"},
]


@pytest.fixture(scope="module")
def scorer():
    return nlp.load()


@pytest.fixture(scope="module")
def plain(scorer) -> list[dict]:
    return scorer.configure().score(ROWS)


def configured(scorer, text: str, tmp_path: Path) -> list[dict]:
    path = tmp_path / "iqc.toml"
    path.write_text(text, encoding="utf-8")
    try:
        return scorer.configure(load_config(path)).score(ROWS)
    finally:
        scorer.configure()


def codes(rows: list[dict]) -> list[list[str]]:
    return [[f["code"] for f in row["findings"]] for row in rows]


def test_the_rows_have_the_findings_these_tests_rely_on(plain) -> None:
    assert "B1" in codes(plain)[0] and plain[0]["flag_boilerplate"] == 1
    assert sum(row["flag_boilerplate"] for row in plain) >= 2


def test_disabling_a_code_removes_its_findings_and_a_flag_left_without_any(scorer, plain, tmp_path) -> None:
    rows = configured(scorer, '[codes]\ndisable = ["B1"]\n', tmp_path)
    assert all("B1" not in row_codes for row_codes in codes(rows))
    assert "B1" not in rows[0]["codes"] and "[B1]" not in rows[0]["explanation"]
    if not [c for c in codes(plain)[0] if c != "B1" and c.startswith("B")]:
        assert rows[0]["flag_boilerplate"] == 0  # no B0 stand-in: the disabled rule is not re-reported
    assert rows[0]["score_boilerplate"] == plain[0]["score_boilerplate"]
    assert [after for before, after in zip(plain, rows) if "B1" not in before["codes"]] == \
        [before for before in plain if "B1" not in before["codes"]]  # rows without B1 unchanged


def test_a_raised_threshold_unflags_rows_below_it_and_puts_them_in_review(scorer, plain, tmp_path) -> None:
    flagged = sorted(row["score_boilerplate"] for row in plain if row["flag_boilerplate"])
    assert flagged[0] < flagged[-1]
    threshold = (flagged[0] + flagged[-1]) / 2
    rows = configured(scorer, f"[thresholds]\nboilerplate = {threshold}\n", tmp_path)
    for before, after in zip(plain, rows):
        if before["flag_boilerplate"] and before["score_boilerplate"] < threshold:
            assert after["flag_boilerplate"] == 0 and "boilerplate" in after["review"].split(";")
            assert not [f for f in after["findings"] if f["family"] == "boilerplate"]
            assert not any(code.startswith("B") for code in after["codes"].split(";") if code)
        else:
            assert after["flag_boilerplate"] == before["flag_boilerplate"]
        assert after["flag_unmeasurable"] == before["flag_unmeasurable"]
    assert any(row["flag_boilerplate"] for row in rows)


def test_severity_per_code_and_min_severity(scorer, plain, tmp_path) -> None:
    rows = configured(scorer, '[codes]\nmin_severity = "medium"\n[codes.severity]\nB1 = "low"\n', tmp_path)
    assert "B1" not in codes(rows)[0]
    assert all(f["severity"] in {"medium", "high"} for row in rows for f in row["findings"])
    rows = configured(scorer, '[codes.severity]\nB1 = "low"\n', tmp_path)
    assert [f["severity"] for f in rows[0]["findings"] if f["code"] == "B1"] == ["low"]


def test_an_exception_word_in_the_name_or_the_cell_a_finding_quotes_leaves_that_finding_out(scorer, plain, tmp_path) -> None:
    """A reviewer silences a code where a word of their own occurs, without switching it off for
    every row (proselint #1308's per-rule exceptions)."""
    assert [f["field"] for f in plain[0]["findings"] if f["code"] == "B1"] == ["level3"]
    for words in ('["质量"]', '["質量"]'):  # traditional characters are compared as the analysis reads them
        rows = configured(scorer, f"[codes.exceptions]\nB1 = {words}\n", tmp_path)
        assert "B1" not in codes(rows)[0] and "[B1]" not in rows[0]["explanation"]
        assert rows[1:] == plain[1:]
    rows = configured(scorer, '[codes.exceptions]\nB1 = ["95%"]\n', tmp_path)  # in the row, not in B1's cell
    assert rows == plain
    assert [f["field"] for f in plain[1]["findings"] if f["code"] == "M2"] == ["target_value"]
    rows = configured(scorer, '[codes.exceptions]\nM2 = ["开发区"]\n', tmp_path)  # the name, not M2's cell
    assert "M2" not in codes(rows)[1] and rows[0] == plain[0]


@pytest.mark.parametrize("text, message", [
    ('[codes]\ndisabel = ["B1"]\n', "unknown key codes.disabel"),
    ('colour = "red"\n', "unknown key colour"),
    ('[thresholds]\nboilerplat = 0.9\n', "unknown key thresholds.boilerplat"),
    ('[provinces."广东"]\nrequired = ["数量"]\n', "unknown key provinces.广东.required"),
    ('[codes]\ndisable = ["Z9"]\n', "unknown code 'Z9'"),
    ('[codes]\nmin_severity = "severe"\n', "use one of info, low, medium, high"),
    ('[thresholds]\nmismatch = 1.5\n', "between 0 and 1"),
    ('[provinces."广东"]\nrequired_dimensions = ["制度指标"]\n', "not a known 二级"),
    ('[provinces."广东".aliases]\n"数量指标" = "质量指标"\n', "'数量指标' is the 二级 数量 itself; an alias may not file it under 质量"),
    ('province = "广西"\n', "has no [provinces.广西] table"),
    ("[codes\n", "not valid TOML"),
    ('[codes]\ndisable = [["B1"]]\n', "codes.disable: unknown code ['B1']"),
    ('[codes]\ndisable = [{code = "B1"}]\n', "codes.disable: unknown code {'code': 'B1'}"),
    ('[codes.exceptions]\nZ9 = ["x"]\n', "codes.exceptions: unknown code 'Z9'"),
    ('[codes.exceptions]\nT1 = ["x"]\n', "codes.exceptions.T1: a finding about a whole table quotes no cell"),
    ('[codes.exceptions]\nB1 = "质量"\n', "codes.exceptions.B1 must be a list"),
    ('[codes.exceptions]\nB1 = ["质量", " "]\n', "codes.exceptions.B1: an empty word would except every cell"),
    ('[codes.exceptions]\nB1 = [1]\n', "codes.exceptions.B1 must be a string, not 1"),
])
def test_bad_configuration_is_one_line_naming_file_and_key(iqc, tmp_path, text, message) -> None:
    path = tmp_path / "iqc.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(path)
    code, err = iqc("config", "show", "--config", path)
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and err.startswith(f"iqc: {path}: ") and "Traceback" not in err


def test_a_configuration_saved_in_gbk_is_one_line_naming_the_line(iqc, tmp_path) -> None:
    path = tmp_path / "iqc.toml"
    path.write_bytes('[codes]\ndisable = ["B1"]  # 关闭\n'.encode("gbk"))
    code, err = iqc("config", "show", "--config", path)
    assert (code, "Traceback" in err) == (EXIT_USAGE, False)
    assert err == f"iqc: {path}: line 2: not UTF-8 text; save the file as UTF-8\n"


def test_a_configuration_saved_with_a_byte_order_mark_is_read(tmp_path) -> None:
    path = tmp_path / "iqc.toml"
    path.write_bytes('[codes]\ndisable = ["B1"]\n'.encode("utf-8-sig"))
    assert load_config(path).disable == {"B1"}


@pytest.mark.parametrize("thresholds", [None, {"boilerplate": 0.5}, {"boilerplate": 0.5, "mismatch": 0.5,
                                                                     "unmeasurable": "0.5"}],
                         ids=["none", "one family", "a string"])
def test_a_manifest_without_the_models_thresholds_is_one_line(iqc, tmp_path, thresholds) -> None:
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text(encoding="utf-8"))
    manifest.pop("thresholds")
    if thresholds is not None:
        manifest["thresholds"] = thresholds
    models = tmp_path / "models"
    models.mkdir()
    (models / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for command in (("config", "show"), ("score", tmp_path / "none.csv", "-o", tmp_path / "out.csv")):
        code, err = iqc(*command, "--models-dir", models)
        assert code != 0 and "Traceback" not in err and err.count("\n") == 1
        assert f"{models / 'manifest.json'}: no flag threshold of" in err


def test_a_threshold_below_the_models_own_is_refused(iqc, tmp_path) -> None:
    path = tmp_path / "low.toml"
    path.write_text("[thresholds]\nmismatch = 0.01\n", encoding="utf-8")
    code, err = iqc("score", tmp_path / "none.csv", "-o", tmp_path / "out.csv", "--config", path)
    assert code == EXIT_USAGE and "only raising is supported" in err and err.count("\n") == 1


def test_config_show_prints_toml_that_reads_back_to_the_same_configuration(tmp_path, capsys) -> None:
    path = tmp_path / "iqc.toml"
    path.write_text('province = "广东"\n[codes]\ndisable = ["M5", "B4"]\n[codes.severity]\nB5 = "low"\n'
                    '[codes.exceptions]\nB5 = ["乡村振兴", "共同富裕"]\n'
                    '[thresholds]\nunmeasurable = 0.9\n[provinces."广东"]\nrequired_dimensions = ["数量指标"]\n'
                    '[provinces."广东".aliases]\n"群众满意度指标" = "满意度指标"\n', encoding="utf-8")
    assert main(["config", "show", "--config", str(path)]) == 0
    shown = tmp_path / "shown.toml"
    shown.write_text(capsys.readouterr().out, encoding="utf-8")
    original, again = load_config(path), load_config(shown)
    assert {**vars(again), "source": ""} == {**vars(original), "source": ""}
    assert original.provinces["广东"].aliases == {"群众满意度指标": "服务对象满意度"}
    assert original.provinces["广东"].required_dimensions == ("数量",)
    assert "# mismatch = " in shown.read_text(encoding="utf-8")  # the model's own threshold, shown


def test_the_config_is_found_by_flag_then_environment_then_working_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_config(None, {}) is None
    (tmp_path / "iqc.toml").write_text("", encoding="utf-8")
    assert find_config(None, {}) == Path("iqc.toml")
    assert find_config(None, {"IQC_CONFIG": "/etc/iqc.toml"}) == Path("/etc/iqc.toml")
    assert find_config(Path("x.toml"), {"IQC_CONFIG": "/etc/iqc.toml"}) == Path("x.toml")


def _scored_by_cli(iqc, tmp_path: Path, config_text: str, output: str, jobs: int) -> Path:
    """``ROWS`` three times, scored by ``iqc score --config`` in chunks of 4 rows; the output's path."""
    source, config = tmp_path / "rows.csv", tmp_path / "iqc.toml"
    pd.DataFrame(ROWS * 3).to_csv(source, index=False)
    config.write_text(config_text, encoding="utf-8")
    code, err = iqc("score", source, "-o", tmp_path / output, "--config", config, "--jobs", jobs,
                    "--chunk-rows", 4, "--quiet")
    assert code == 0, err
    return tmp_path / output


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("config, names", [('[codes]\ndisable = ["B1"]\n', ["质量指标", "生态效益提升值"]),
                                           ('[codes.exceptions]\nB1 = ["质量"]\n', ["质量指标"])])
def test_the_batch_cli_applies_the_config_in_every_process(iqc, tmp_path, jobs, config, names) -> None:
    out = pd.read_csv(_scored_by_cli(iqc, tmp_path, config, "out.csv", jobs), dtype=str, keep_default_na=False)
    with_b1 = out["codes"].str.contains("B1")
    assert len(out) == 12 and with_b1.any() == (len(names) == 1)
    assert not out["level3"][with_b1].isin(names).any()
    assert "findings" not in out.columns


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_workbooks_codes_sheet_gives_a_re_graded_codes_severity(iqc, tmp_path, jobs) -> None:
    """The legend printed the catalogue's severity (B1 高) beside rows whose B1 findings said low."""
    import openpyxl

    from nlp.report import load_settings

    book = openpyxl.load_workbook(_scored_by_cli(iqc, tmp_path, '[codes.severity]\nB1 = "low"\n', "out.xlsx", jobs))
    settings = load_settings()
    header, *legend = book[settings.sheets["codes"]].iter_rows(values_only=True)
    severity = {row[header.index(settings.label("code"))]: row[header.index(settings.label("severity"))]
                for row in legend}
    assert severity["B1"] == settings.severity_label("low") != settings.severity_label("high")  # catalogue: high
    assert severity["M6"] == settings.severity_label("high")  # a code not re-graded keeps the catalogue's


def test_the_http_api_applies_IQC_CONFIG(tmp_path) -> None:
    config = tmp_path / "iqc.toml"
    config.write_text('[codes]\ndisable = ["B1"]\n', encoding="utf-8")
    settings = ApiSettings.from_env({"IQC_CONFIG": str(config)})
    assert settings.config.disable == {"B1"}
    with TestClient(create_app(settings=settings)) as client:
        rows = client.post("/v1/score", json=ROWS[:1]).json()["rows"]
    assert "B1" not in rows[0]["codes"] and not [f for f in rows[0]["findings"] if f["code"] == "B1"]
    with pytest.raises(ConfigError, match="unknown key"):
        bad = tmp_path / "bad.toml"
        bad.write_text("x = 1\n", encoding="utf-8")
        ApiSettings.from_env({"IQC_CONFIG": str(bad)})


def test_defaults_change_nothing(scorer, plain) -> None:
    assert not Config().changes_findings
    assert scorer.configure(Config()).score(ROWS) == plain
    assert to_toml(Config(), model_thresholds()).startswith("# effective configuration (defaults")


def test_the_readme_example_is_a_valid_configuration(tmp_path) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "iqc.toml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path)
    assert config.disable == {"B4", "M5"} and config.province == "广东"


def test_a_province_reads_its_own_category_names_and_requires_its_own_dimensions(tmp_path) -> None:
    """The province's alias resolves a 二级 the taxonomy does not know (no C8, the output keeps the
    cell), and its required dimensions (here 成本) decide T1."""
    import nlp
    from nlp.config import load_config

    path = tmp_path / "iqc.toml"
    path.write_text('province = "某省"\n[provinces."某省"]\nrequired_dimensions = ["数量", "成本"]\n'
                    '[provinces."某省".aliases]\n"工作量指标" = "数量指标"\n', encoding="utf-8")
    rows = [{"level1": "产出指标", "level2": "工作量指标", "level3": f"培训{i}班次", "target_value": "≥3期",
             "table_id": "t"} for i in range(4)]
    plain = nlp.load().score(rows)
    provincial = nlp.load(config=load_config(path)).score(rows)
    assert all("C8" in r["codes"] for r in plain)
    assert not any("C8" in r["codes"] for r in provincial)
    assert all(r["level2"] == "工作量指标" for r in provincial)
    assert all(r["table_codes"] == "T1" and "成本" in r["table_findings"][0]["evidence"] for r in provincial)
