"""Ambiguity zones (indicator-rules.md: "known ambiguity zones where reviewers disagree (use low
severity; do not hard-fail)"): a finding in one is still reported, with the zone's lower severity,
so that ``min_severity = "medium"`` hides it; the workbook's codes sheet gives a code's highest
severity. Rows written from the guide's own examples, none from a corpus."""
from __future__ import annotations

import pytest

import nlp
from nlp.categories import level2_names
from nlp.codes import SEVERITIES, catalogue, severity_of
from nlp.config import Config
from nlp.report.accumulator import ReportAccumulator
from nlp.report.synthetic import synthetic_scored_frame

RATE_UNDER_COUNT = {"level1": "产出指标", "level2": "数量指标", "level3": "培训计划完成率", "target_value": "100%"}
GUARANTEE_UNDER_COUNT = {"level1": "产出指标", "level2": "数量指标", "level3": "足额保障率", "target_value": "=100%"}
ATTENDANCE_AS_BENEFIT = {"level1": "效益指标", "level2": "社会效益指标", "level3": "免费开放接待观众人数",
                         "target_value": "30000人次"}
EPISODES_AS_BENEFIT = {"level1": "效益指标", "level2": "社会效益指标", "level3": "播出广播剧", "target_value": "12集"}


@pytest.fixture(scope="module")
def scorer():
    return nlp.load()


def _severities(scorer, row: dict, code: str) -> list[str]:
    (scored,) = scorer.score([row])
    return [finding["severity"] for finding in scored["findings"] if finding["code"] == code]


@pytest.mark.parametrize(("row", "code", "severity"), [
    (RATE_UNDER_COUNT, "C1", "low"),  # 完成率 under 数量: the zone
    (GUARANTEE_UNDER_COUNT, "C1", "medium"),  # another rate under 数量: C1's own severity
    (ATTENDANCE_AS_BENEFIT, "C4", "low"),  # the guide's borderline C4 example
    (EPISODES_AS_BENEFIT, "C4", "medium"),  # the project's own episodes: a plain C4
])
def test_a_finding_in_an_ambiguity_zone_has_the_zones_severity(scorer, row: dict, code: str, severity: str) -> None:
    assert _severities(scorer, row, code) == [severity]


#: One attendance or reach count per word of C4's zone, written here. Words that are also 社会效益's
#: own cue words (收听, 收视, 阅读量, 点击量) keep C4 off a lone row under 社会效益, so theirs repeat a
#: 数量 row of the same table, the branch that still reaches them.
ZONE_WORD_ROWS = {
    "接待": ("年度接待游客人数", "≥5万人次", False),
    "观众": ("文艺演出观众人数", "≥8000人次", False),
    "参观": ("展览参观人数", "≥20000人次", False),
    "听众": ("广播节目听众人数", "≥10万人", False),
    "访问量": ("门户网站访问量", "≥50万次", False),
    "收听": ("农村广播收听人数", "≥5万人", True),
    "收视": ("电视节目收视人数", "≥20万人", True),
    "阅读量": ("公众号文章阅读量", "≥10万次", True),
    "点击量": ("宣传视频点击量", "≥30万次", True),
}


def _benefit_row_c4(scorer, name: str, value: str, level2: str, repeats_output: bool) -> list[str]:
    row = {"project": "P", "level1": "效益指标", "level2": level2, "level3": name, "target_value": value}
    output = {**row, "level1": "产出指标", "level2": "数量指标"}
    scored = scorer.score([output, row] if repeats_output else [row])[-1]
    return [finding["severity"] for finding in scored["findings"] if finding["code"] == "C4"]


def test_every_c4_zone_word_has_an_example_row() -> None:
    assert set(ZONE_WORD_ROWS) == set(catalogue()["C4"]["ambiguous"]["name_words"])


@pytest.mark.parametrize("word", sorted(ZONE_WORD_ROWS))
def test_each_c4_zone_word_lowers_c4_under_social_benefit_only(scorer, word: str) -> None:
    name, value, repeats_output = ZONE_WORD_ROWS[word]
    assert word in name
    assert _benefit_row_c4(scorer, name, value, "社会效益指标", repeats_output) == ["low"]
    assert _benefit_row_c4(scorer, name, value, "经济效益指标", repeats_output) == [catalogue()["C4"]["severity"]]


def test_the_zone_is_bounded_by_its_category() -> None:
    assert severity_of("C4", "接待游客人数", "社会效益") == "low"
    assert severity_of("C4", "接待游客人数", "经济效益") == catalogue()["C4"]["severity"]


def test_min_severity_medium_hides_a_zone_finding_and_the_flag_it_carried(scorer) -> None:
    try:
        scorer.configure(Config(min_severity="medium"))
        ambiguous, plain = scorer.score([RATE_UNDER_COUNT, GUARANTEE_UNDER_COUNT])
    finally:
        scorer.configure()
    assert "C1" not in ambiguous["codes"] and not ambiguous["flag_mismatch"]
    assert "C1" in plain["codes"] and plain["flag_mismatch"]


def test_every_zone_lowers_its_codes_severity_and_names_known_categories() -> None:
    zones = {code: entry["ambiguous"] for code, entry in catalogue().items() if "ambiguous" in entry}
    assert set(zones) >= {"C1", "C4"}
    for code, zone in zones.items():
        assert set(zone) <= {"severity", "name_words", "level2"}, code
        assert SEVERITIES.index(zone["severity"]) < SEVERITIES.index(catalogue()[code]["severity"]), code
        assert zone["name_words"] and all(zone["name_words"]), code
        assert set(zone.get("level2", [])) <= set(level2_names()), code


def test_the_legend_gives_a_codes_highest_severity_whatever_the_order() -> None:
    frame = synthetic_scored_frame(2, departments=1, seed=0)
    low = [{"code": "C1", "family": "mismatch", "severity": "low"}]
    medium = [{"code": "C1", "family": "mismatch", "severity": "medium"}]
    for first, second, expected in ((low, medium, "medium"), (medium, low, "medium"), (low, low, "low")):
        accumulator = ReportAccumulator(5)
        accumulator.add(frame.assign(findings=[first, second], codes="C1"))
        assert accumulator.severities["C1"] == expected
