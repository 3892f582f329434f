"""The 体检表 (lcgis.views.explain) of revision 2: the clause behind every disposition, tier and
priority, 在建, 政府原因, three-year tax with its years, 建筑密度 / 建筑系数, storeys over 8 m,
the two-digit industry code note.  Expectations come from the Result or a hand-made toy."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from lcgis.cli import main
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.rules import load_rules
from lcgis.views.explain import Card, explain, format_text
from lcgis.vocab import DISPOSITION_LABELS, TIER_LABELS

ROOT = Path(__file__).resolve().parents[1]
#: The [sources] code behind each disposition reason code that is not a rule code itself.
SOURCE_OF = {"idle_reclaim": "reclaim", "far_headroom": "densify", "outside_validity": "buyback"}


@pytest.fixture(scope="module")
def demo() -> Result:
    return run(read_dataset(ROOT / "data"), load_rules())


def _card(res: Result, pid: str) -> Card:
    card = explain(res, pid)
    assert card is not None
    return card


def test_every_listed_parcel_names_the_clause_that_put_it_there(demo: Result) -> None:
    p = demo.parcels
    listed = p[p["disposition"].notna()]
    assert len(listed)
    for pid, kind, reasons in zip(
        listed["parcel_id"], listed["disposition"], listed["disposition_reasons"], strict=True
    ):
        text = format_text(_card(demo, pid))
        assert demo.rules.source(kind) in text, pid
        for code in reasons.split(";"):
            assert demo.rules.source(SOURCE_OF.get(code, code)) in text, (pid, code)


def test_buyback_card_cites_13_and_gives_tier_priority_and_place(demo: Result) -> None:
    p = demo.parcels
    buy = p[p["disposition"] == "buyback"].sort_values("priority", ascending=False)
    if buy.empty:
        pytest.skip("the demo has no 收储改造 parcel")
    row = buy.iloc[0]
    card = _card(demo, row["parcel_id"])
    text = format_text(card)
    assert "泉政办规〔2025〕13号" in text
    head = card.verdict[0]
    assert head.startswith(f"处置：{DISPOSITION_LABELS['buyback']}({TIER_LABELS[row['tier']]}")
    assert f"优先级 {row['priority']:,.1f}" in head
    same_tier = buy[buy["tier"] == row["tier"]]
    if row["priority"] == same_tier["priority"].max():
        assert "清单第 1/" in head
    table = card.disposition
    assert set(table["处置"]) == {"收储改造"}
    decided = table[table["作用"] == "决定"]
    assert len(decided) >= 1 and all("13号" in s for s in decided["依据"])
    if "tax_per_mu_low" in row["disposition_reasons"]:
        assert any(f"{row['tax_per_mu_3y']:,.2f} 万元/亩" in r for r in decided["理由"])


def test_a_parcel_on_no_list_says_so(demo: Result) -> None:
    p = demo.parcels
    free = p[p["disposition"].isna() & ~p["in_construction"].astype(bool)]
    card = _card(demo, free["parcel_id"].iloc[0])
    assert card.disposition.empty
    assert not any(v.startswith("处置：") for v in card.verdict)


def test_in_construction_is_said_and_its_tests_are_not_applied(demo: Result) -> None:
    p = demo.parcels
    building = p[p["in_construction"].astype(bool)]
    if building.empty:
        pytest.skip("the demo has no parcel in construction")
    card = _card(demo, building["parcel_id"].iloc[0])
    assert any(v.startswith("在建") for v in card.verdict)
    assert demo.rules.source("in_construction") in format_text(card)
    rules = card.rules.set_index("规则")
    for name in (
        "容积率低于行业下限",
        "建筑系数低于下限",
        "亩均税收偏低",
        "以租代用(出租面积过半)",
    ):
        assert rules.loc[name, "结论"] == "在建，不检验"
    assert rules.loc["在建", "结论"] == "是"


def test_fewer_than_three_years_of_tax_is_said(demo: Result) -> None:
    p = demo.parcels
    few = p[p["n_years_3y"].between(1, 2)]
    if few.empty:
        pytest.skip("every demo parcel has three years")
    row = few.iloc[0]
    card = _card(demo, row["parcel_id"])
    n = int(row["n_years_3y"])
    assert any(f"仅有 {n} 年数据" in note for note in card.notes)
    figure = card.figures.set_index("指标").loc["近三年亩均税收"]
    assert f"有数据的 {n} 年" in figure["公式"]
    full = p[p["n_years_3y"] == 3]
    if len(full):
        assert not any("仅有" in note for note in _card(demo, full["parcel_id"].iloc[0]).notes)


def test_coverage_is_called_by_its_kind(demo: Result) -> None:
    for kind, other in (("建筑密度", "建筑系数"), ("建筑系数", "建筑密度")):
        rows = demo.parcels[demo.parcels["coverage_kind"] == kind]
        if rows.empty:
            continue
        card = _card(demo, rows["parcel_id"].iloc[0])
        names = card.figures["指标"].tolist()
        assert kind in names and other not in names
        assert card.rules.set_index("规则").loc["建筑系数低于下限", "检验"].startswith(kind)
        assert any("建筑密度" in n for n in card.notes) == (kind == "建筑密度")


def test_government_delay_is_on_the_card(demo: Result) -> None:
    p = demo.parcels
    idle = p[p["idle"].fillna(False).astype(bool)]
    if idle.empty:
        pytest.skip("the demo has no idle parcel")
    pid = idle["parcel_id"].iloc[0]
    res = run(read_dataset(ROOT / "data"), load_rules(), government_delay={pid})
    card = _card(res, pid)
    text = format_text(card)
    assert res.rules.source("government_reason") in text
    assert any("政府原因" in v and "不征收闲置费" in v for v in card.verdict)
    assert "不无偿收回" in card.rules.set_index("规则").loc["闲置土地", "实际值"]


@pytest.fixture
def tall_toy(toy: Path) -> Path:
    """The toy park with a 9 m one-storey building on P1, a 29 (two-digit) industry code for
    its main firm and structures given on P2."""
    b = gpd.read_file(toy / "parcels" / "buildings.gpkg")
    b["height_m"] = [None, 9.0]  # B2: 9 m ÷ 1 floor > 8 m
    b.to_file(toy / "parcels" / "buildings.gpkg")
    e = pd.read_csv(toy / "parcels" / "enterprises.csv", dtype=str)
    e.loc[0, "industry_code"] = "29"
    e.to_csv(toy / "parcels" / "enterprises.csv", index=False)
    p = gpd.read_file(toy / "parcels" / "parcels.gpkg")
    p["structure_area_m2"] = [None, 600.0]
    p.to_file(toy / "parcels" / "parcels.gpkg")
    return toy


def test_tall_storeys_two_digit_codes_and_coverage_kinds_on_a_toy(tall_toy: Path) -> None:
    res = run(read_dataset(tall_toy), load_rules())
    p1 = _card(res, "P1")
    figures = p1.figures.set_index("指标")
    assert figures.loc["层高超过8米的建筑", "数值"] == "1"
    # B1: half of 40 × 20 m × 3 floors = 1200 m²; B2: 20 × 10 m, one 9 m storey counted twice
    assert figures.loc["建筑面积", "数值"] == "1,600.0"
    assert any("1 栋建筑层高超过8米" in n and "建筑高度 ÷ 层数" in n for n in p1.notes)
    far = p1.rules.set_index("规则").loc["容积率低于行业下限", "阈值"]
    assert "仅两位代码，按0.8" in far
    assert any("仅两位代码，按0.8" in n for n in p1.notes)
    assert "建筑密度" in figures.index  # P1 gives no structure or yard
    p2 = _card(res, "P2").figures.set_index("指标")
    assert "建筑系数" in p2.index and "构筑物" in p2.loc["建筑系数", "公式"]
    # P2: (B1's other half 400 m² + 600 m² structures) ÷ 5000 m²
    assert p2.loc["建筑系数", "数值"] == "20.0 %"


def test_explain_command_names_the_clause(demo: Result, capsys: pytest.CaptureFixture[str]) -> None:
    p = demo.parcels
    listed = p[p["disposition"].notna()]
    row = listed.iloc[0]
    code = main(["explain", str(row["parcel_id"]), str(ROOT / "data")])
    out = capsys.readouterr().out
    assert code == 0
    assert demo.rules.source(row["disposition"]) in out
    assert DISPOSITION_LABELS[row["disposition"]] in out


def test_explain_output_says_illustrative_on_the_demo_only(
    demo: Result, toy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lcgis.demo import ILLUSTRATIVE
    from lcgis.views.report import illustrative_statement

    pid = str(demo.parcels["parcel_id"].iloc[0])
    assert illustrative_statement(demo.files)
    assert main(["explain", pid, str(ROOT / "data")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].startswith("注意") and ILLUSTRATIVE in out.splitlines()[2]
    toy_res = run(read_dataset(toy), load_rules())
    assert not illustrative_statement(toy_res.files)
    assert main(["explain", "P1", str(toy)]) == 0
    assert ILLUSTRATIVE not in capsys.readouterr().out


def test_a_main_occupant_outside_its_zone_is_said_with_the_rule_source(toy: Path) -> None:
    # one zone over both parcels led by 39, 40: P1's 甲 (3911) fits, P2's 乙 (1811, most land
    # there) does not
    from tests.conftest import rect

    gpd.GeoDataFrame(
        {
            "zone_id": ["north"],
            "zone_name": ["北片区"],
            "role": ["高端产业发展示范区"],
            "leading_industries": ["40,39"],
        },
        geometry=[rect(-10, -10, 250, 200)],
        crs=4549,
    ).to_crs(4326).to_file(toy / "zones.geojson")
    rules = load_rules()
    res = run(read_dataset(toy), rules)
    source = rules.source("industry_mismatch")
    line = (
        "所在片区(北片区)定位：高端产业发展示范区，"
        "主导产业：计算机、通信和其他电子设备制造业(39)、仪器仪表制造业(40)；"
        f"主要用地企业行业 18 纺织服装、服饰业 不在其中(依据：{source})"
    )
    p2 = _card(res, "P2")
    assert line in p2.verdict
    row = p2.rules.set_index("规则").loc["与片区主导产业不符"]
    assert row["实际值"] == "18 纺织服装、服饰业"
    assert row["阈值"] == "计算机、通信和其他电子设备制造业(39)、仪器仪表制造业(40)"
    assert row["结论"] == "是"
    assert not any(v.startswith("所在片区") for v in _card(res, "P1").verdict)
    assert line in format_text(p2)
