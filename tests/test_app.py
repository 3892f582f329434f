"""The app's screens under streamlit.testing.v1.AppTest: each renders, shows the library's
figures, and its widgets (by key) change what is shown.  The screens are seen as a reviewer
(who sees every figure); what guests and viewers see: tests/test_app_access.py."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from argon2 import PasswordHasher

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from lcgis import review
from lcgis.access import MASKED
from lcgis.data.io import read_dataset
from lcgis.demo import ILLUSTRATIVE
from lcgis.engine.evaluate import sensitivity
from lcgis.engine.pipeline import Result, run
from lcgis.review import User
from lcgis.rules import load_rules
from lcgis.views import report, summary
from lcgis.views.explain import fmt
from lcgis.vocab import DISPOSITION_LABELS, GROUP_LABELS, TIER_LABELS, TIERS
from tests.hostile import make_hostile_dataset
from ui import state, uploads
from ui.render import md

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = {
    "总览": "app_pages/overview.py",
    "规划": "app_pages/targets.py",
    "地图": "app_pages/map.py",
    "企业": "app_pages/enterprises.py",
    "候选": "app_pages/candidates.py",
    "审核": "app_pages/review.py",
    "搬迁规划": "app_pages/relocation.py",
    "数据": "app_pages/data.py",
}


#: A logged-in admin (datasets other than the demo need a login); the ``admin`` fixture puts
#: them in the store, where the app re-reads the role on every run.
ADMIN = {state.USER: User("管理员", "admin")}
#: The default user of these tests: a reviewer sees every figure.
REVIEWER = User("核查员", "reviewer")
#: Nobody logged in: a guest on the demo.
GUEST = {state.USER: None}


@pytest.fixture(autouse=True)
def temp_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review store lives in a temporary file (data/ is never written) and holds the
    default reviewer of these tests (the app re-reads a session user's role from it)."""
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{tmp_path / 'review.sqlite'}")
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with review.open_store(hasher=fast) as s:
        s.add_user(REVIEWER.name, "reviewer-password", REVIEWER.role)
        s.add_user("管理员", "admin-password-1", "admin")  # ADMIN


@cache
def library(year: int | None, as_of: dt.date | None) -> Result:
    """What the library computes for the demo park (as the app must show it)."""
    return run(read_dataset(ROOT / "data"), load_rules(), year=year, as_of=as_of)


def app(page: str | None = None, **state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {"lcgis_user": REVIEWER, **state}.items():
        at.session_state[k] = v
    at.run()
    if page is not None:
        at.switch_page(PAGES[page])
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown_result(at: AppTest) -> Result:
    return library(at.session_state["lcgis_year"], at.session_state["lcgis_as_of"])


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


RAW_EMPTY = {"None", "nan", "NaN", "<NA>", "NaT"}


def assert_no_raw_empty(at: AppTest) -> None:
    """No table on the page has a missing cell (Streamlit would show "None") or the text of
    one."""
    for df in at.dataframe:
        table = df.value
        assert not table.isna().any().any(), table.columns[table.isna().any()].tolist()
        for col in table.columns:
            assert not table[col].astype(str).isin(RAW_EMPTY).any(), col


@pytest.mark.parametrize("title", ["总览", "企业", "候选", "审核"])
def test_no_table_cell_shows_none(title: str) -> None:
    at = app(title)
    for tab in at.tabs:  # the candidate lists are in tabs: all of them are rendered
        assert tab.dataframe is not None
    assert_no_raw_empty(at)


def test_navigation_has_exactly_the_five_screens() -> None:
    text = (ROOT / "app.py").read_text(encoding="utf-8")
    import ast

    tree = ast.parse(text)
    screens = next(
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "SCREENS"
    )
    titles = [e.elts[1].value for e in screens.elts]  # type: ignore[attr-defined]
    assert titles == list(PAGES)


@pytest.mark.parametrize("title", list(PAGES))
def test_every_screen_renders(title: str) -> None:
    at = app(title)
    assert at.title[0].value == title
    assert not at.error, [e.value for e in at.error]


def test_overview_figures_equal_the_library() -> None:
    at = app("总览")
    res = shown_result(at)
    want = summary.park_summary(res)
    got = metrics(at)
    assert got["用地面积(亩)"] == fmt(want["land_area_mu"], 1)
    assert got["企业数(家)"] == fmt(want["n_enterprises"], 0)
    assert got["规上企业数(家)"] == fmt(want["n_above_scale"], 0)
    assert got["亩均产值(万元/亩)"] == fmt(want["output_per_mu"], 1)
    assert got["亩均税收(万元/亩)"] == fmt(want["tax_per_mu"], 2)
    assert got["综合容积率"] == fmt(want["far"], 2)
    assert got["闲置土地(亩)"] == fmt(want["idle_mu"], 1)
    assert got["未开发土地(亩)"] == fmt(want["undeveloped_mu"], 1)
    assert got["低效用地(亩)"] == fmt(want["inefficient_mu"], 1)
    counts = summary.class_counts(res.enterprises["class"])
    for c in summary.CLASSES:
        assert got[f"{summary.CLASS_LABELS[c]} 企业(家)"] == f"{counts[c]:,}"
    zones = next(d.value for d in at.dataframe if "园区合计" in list(d.value.get("片区", [])))
    assert zones["片区"].tolist() == [*report.zone_table(res)["zone_name"], "园区合计"]
    assert zones["用地面积(亩)"].round(6).tolist()[:-1] == (
        report.zone_table(res)["land_area_mu"].round(6).tolist()
    )
    # the 十四五 plan's headline targets beside the park's figures, with their source
    targets = next(d.value for d in at.dataframe if "目标" in d.value.columns)
    row = targets.set_index("目标").loc["专精特新企业(家)"]
    e = read_dataset(ROOT / "data").enterprises
    latest = e[e["year"] == e["year"].max()]
    assert row["园区最新值"] == f"{int(latest['specialised_sme'].sum()):,}"
    assert row["目标值"] == "15" and row["说明"] == "全区目标(园区数仅作参照)"
    assert "已达到" not in set(targets["说明"])  # district targets are context only
    assert any("泉鲤政文〔2021〕87号" in c.value for c in at.caption)


def test_overview_shows_land_shares_dispositions_and_classes_per_group() -> None:
    at = app("总览")
    res = shown_result(at)
    got = metrics(at)
    p, e = res.parcels, res.enterprises
    land = p["land_area_mu"].sum()
    for kind, name in DISPOSITION_LABELS.items():
        listed = p["disposition"] == kind
        if kind == "densify":  # an opportunity: the headline is its 近期 tier
            near = listed & (p["tier"] == "near")
            assert got[f"{name}·近期(亩)"] == fmt(p.loc[near, "land_area_mu"].sum(), 1)
            captions = " ".join(c.value for c in at.caption)
            assert f"近期 {int(near.sum()):,} 宗；全部符合条件 {int(listed.sum()):,} 宗" in captions
        else:
            assert got[f"{name}(亩)"] == fmt(p.loc[listed, "land_area_mu"].sum(), 1)
        assert got[f"{name}用地占比(%)"] == fmt(p.loc[listed, "land_area_mu"].sum() / land, 1, "%")
    building = p["in_construction"].astype(bool)
    assert got["在建用地(亩)"] == fmt(p.loc[building, "land_area_mu"].sum(), 1)
    assert got["在建用地占比(%)"] == fmt(p.loc[building, "land_area_mu"].sum() / land, 1, "%")
    low = p["inefficient"].astype(bool)
    assert got["低效用地占比(%)"] == fmt(p.loc[low, "land_area_mu"].sum() / land, 1, "%")
    densify = p["disposition"] == "densify"
    assert got["新增税收潜力上限(万元)"] == fmt(p.loc[densify, "est_extra_tax_wan"].sum(), 0)
    assert got["未评企业(家)"] == f"{int(e['class'].isna().sum()):,}"
    groups = next(d.value for d in at.dataframe if "评价组" in d.value.columns)
    assert groups["评价组"].tolist() == list(GROUP_LABELS.values())
    for key, name in GROUP_LABELS.items():
        row = groups[groups["评价组"] == name].iloc[0]
        mine = e[e["eval_group"] == key]
        for c in summary.CLASSES:
            assert row[f"{c}类(家)"] == int((mine["class"] == c).sum())
        assert row["未评(家)"] == int(mine["class"].isna().sum())


def test_overview_year_on_year_change_is_against_the_year_before() -> None:
    at = app("总览")
    res = shown_result(at)
    assert res.as_of == dt.date(res.year, 12, 31)  # the default date: the year's end
    prev_year = res.years[-2]
    prev = library(prev_year, dt.date(prev_year, 12, 31))  # like with like: its own year end
    now, before = summary.park_summary(res), summary.park_summary(prev)
    tax = next(m for m in at.metric if m.label == "税收(万元)")
    assert tax.delta == f"{now['tax_wan'] - before['tax_wan']:+,.0f}"
    assert any(f"同比对照 {prev_year} 年度(基准日 {prev_year}-12-31" in c.value for c in at.caption)


def test_year_on_year_with_a_moved_date_moves_the_previous_date_alike() -> None:
    at = app("总览")
    res = shown_result(at)
    day = dt.date(res.year + 1, 6, 30)
    at.date_input(key=state.as_of_key(res.year)).set_value(day).run()
    assert not at.exception
    prev_year = res.years[-2]
    now = summary.park_summary(library(res.year, day))
    before = summary.park_summary(library(prev_year, dt.date(prev_year + 1, 6, 30)))
    idle = next(m for m in at.metric if m.label == "闲置土地(亩)")
    assert idle.value == fmt(now["idle_mu"], 1)
    want = now["idle_mu"] - before["idle_mu"]
    assert idle.delta == (None if round(want, 1) == 0 else f"{want:+,.1f}")
    assert any(f"基准日 {prev_year + 1}-06-30" in c.value for c in at.caption)


def test_year_widget_changes_the_figures() -> None:
    at = app("总览")
    years = library(None, at.session_state["lcgis_as_of"]).years
    at.selectbox(key=state.year_key(str(ROOT / "data"))).set_value(years[0]).run()
    assert not at.exception
    res = library(years[0], at.session_state["lcgis_as_of"])
    assert metrics(at)["税收(万元)"] == fmt(summary.park_summary(res)["tax_wan"], 0)


def test_as_of_widget_is_used() -> None:
    at = app("总览")
    day = dt.date(2024, 6, 30)
    at.date_input(key=state.as_of_key(at.session_state["lcgis_year"])).set_value(day).run()
    assert at.session_state["lcgis_as_of"] == day
    res = library(at.session_state["lcgis_year"], day)
    assert metrics(at)["闲置土地(亩)"] == fmt(summary.park_summary(res)["idle_mu"], 1)


def test_map_shows_the_card_of_the_selected_parcel() -> None:
    first = library(None, dt.date.today()).parcels["parcel_id"].iloc[5]
    at = app("地图", lcgis_selected_parcel=first)
    md = [m.value for m in at.markdown]
    assert any(f"宗地 {first} 体检表".replace("-", "\\-") in m for m in md), md[:5]
    assert any(m.startswith("**宗地编号：**") and first.replace("-", "\\-") in m for m in md)
    # disposition, figures, rules and inputs are plain tables (long texts wrap), occupants
    # and scores grids, then the review panel's record
    listed = pd.notna(library(None, dt.date.today()).parcels["disposition"].iloc[5])
    assert len(at.table) == 4 + listed and "核查状态" in at.table[-1].value.index
    rules = next(t.value for t in at.table if t.value.index.name == "规则")
    assert rules.columns.tolist() == ["检验", "阈值", "实际值", "结论", "依据"]


def test_map_indicator_and_scheme_widgets_change_the_legend() -> None:
    at = app("地图")
    assert "宗地类别" in at.expander[0].label
    at.selectbox(key="map_indicator").set_value("tax_per_mu").run()
    at.selectbox(key="map_scheme").set_value("rules").run()
    assert not at.exception
    label = at.expander[0].label
    assert "亩均税收" in label and "规则阈值" in label
    legend = at.expander[0].dataframe[0].value
    assert legend["分级"].tolist()[:3] == ["< 5.00", "5.00 – 20.00", "≥ 20.00"]
    res = shown_result(at)
    tax = res.parcels["tax_per_mu"]
    assert legend["宗地数(宗)"].tolist()[:3] == [
        int((tax < 5).sum()),
        int(((tax >= 5) & (tax < 20)).sum()),
        int((tax >= 20).sum()),
    ]


def _search(at: AppTest, text: str) -> None:
    at.text_input(key="map_search").input(text)
    next(b for b in at.button if b.label == "查找").click()
    at.run()
    assert not at.exception


def test_search_by_parcel_id_selects_it() -> None:
    at = app("地图")
    pid = shown_result(at).parcels["parcel_id"].iloc[-1]
    _search(at, pid.lower())
    assert at.session_state["lcgis_selected_parcel"] == pid
    assert any(pid.replace("-", "\\-") in m.value for m in at.markdown)


def test_search_by_enterprise_name_selects_its_parcel() -> None:
    at = app("地图")
    e = shown_result(at).enterprises.dropna(subset=["parcel_ids"]).iloc[0]
    _search(at, e["name"])
    assert at.session_state["lcgis_selected_parcel"] in str(e["parcel_ids"]).split(";")


def test_enterprise_table_is_ranked_and_filters_by_widgets() -> None:
    at = app("企业")
    res = shown_result(at)
    table = at.dataframe[0].value
    assert len(table) == len(res.enterprises)
    above = pd.to_numeric(table[table["评价组"] == "规上组"]["组内排名"], errors="coerce")
    assert above.notna().any() and above.dropna().is_monotonic_increasing
    at.multiselect(key="ent_class").set_value(["A"]).run()
    table = at.dataframe[0].value
    assert (
        set(table["类别"]) == {"A"}
        and len(table) == summary.class_counts(res.enterprises["class"])["A"]
    )
    at.selectbox(key="ent_scale").set_value("规上").run()
    table = at.dataframe[0].value
    e = res.enterprises
    want = e[(e["class"] == "A") & e["above_scale"].fillna(False).astype(bool)]
    assert len(table) == len(want) and set(table["规上"]) <= {"是"}


def test_enterprise_sensitivity_on_demand_equals_the_library() -> None:
    at = app("企业")
    before = len(at.dataframe)
    at.button(key="ent_sens_btn").click().run()
    assert len(at.dataframe) == before + 1
    assert not at.exception
    res = shown_result(at)
    want = sensitivity(res.enterprises, res.rules.evaluation, res.as_of)
    got = at.dataframe[-1].value
    assert len(got) == len(want)
    assert got["情景"].tolist() == want["scenario"].tolist()


def _listed_in_order(res: Result, kind: str) -> list[str]:
    """The parcel ids of one disposition, in tier order then priority (higher first)."""
    p = res.parcels[res.parcels["disposition"] == kind]
    rows = sorted(
        zip(p["tier"], p["priority"], p["parcel_id"].astype(str), strict=True),
        key=lambda r: (TIERS.index(r[0]), -r[1] if r[1] == r[1] else float("inf"), r[2]),
    )
    return [r[2] for r in rows]


def test_candidates_are_the_four_dispositions_in_tier_and_priority_order() -> None:
    at = app("候选", **ADMIN)
    res = shown_result(at)
    p = res.parcels
    tabs = {t.label.split("(")[0]: t for t in at.tabs}
    assert list(tabs) == list(DISPOSITION_LABELS.values())
    for kind, name in DISPOSITION_LABELS.items():
        want = _listed_in_order(res, kind)
        tab = tabs[name]
        assert tab.label == f"{name}({len(want)}/{len(want)} 宗)"
        assert any(res.rules.source(kind)[:8] in c.value for c in tab.caption)
        if not want:
            assert any("没有列入" in i.value for i in tab.info)
            continue
        zones, table = tab.dataframe[0].value, tab.dataframe[1].value
        assert table["宗地编号"].tolist() == want
        tier_of = p.set_index(p["parcel_id"].astype(str))["tier"]
        assert table["梯队"].tolist() == [TIER_LABELS[tier_of[i]] for i in want]
        total = zones.iloc[-1]
        assert total["片区"] == "合计" and total["宗地数(宗)"] == len(want)
        land = p.set_index(p["parcel_id"].astype(str))["land_area_mu"]
        assert total["用地面积(亩)"] == pytest.approx(land[want].sum())
        gains = [c for c in table.columns if "万元" in c and ("可产出" in c or "新增" in c)]
        assert gains and all(c.endswith("(潜力上限)") for c in gains)
        assert all(c.endswith("(潜力上限)") for c in zones.columns if "万元" in c)
    assert at.get("download_button")


def test_candidates_tier_filter_keeps_only_that_tier() -> None:
    at = app("候选", **ADMIN)
    res = shown_result(at)
    at.multiselect(key="cand_tier").set_value([TIER_LABELS["near"]]).run()
    assert not at.exception
    tabs = {t.label.split("(")[0]: t for t in at.tabs}
    p = res.parcels
    for kind, name in DISPOSITION_LABELS.items():
        mine = p[p["disposition"] == kind]
        near_ids = set(mine.loc[mine["tier"] == "near", "parcel_id"].astype(str))
        near = [i for i in _listed_in_order(res, kind) if i in near_ids]
        assert tabs[name].label == f"{name}({len(near)}/{len(mine)} 宗)"
        if len(mine):
            assert tabs[name].dataframe[1].value["宗地编号"].tolist() == near


def test_candidates_mask_tax_for_a_guest() -> None:
    at = app("候选", **GUEST)
    res = shown_result(at)
    kind = next(k for k in DISPOSITION_LABELS if (res.parcels["disposition"] == k).any())
    tab = next(t for t in at.tabs if t.label.startswith(DISPOSITION_LABELS[kind]))
    table = tab.dataframe[1].value
    taxed = [c for c in table.columns if "税" in c]
    assert taxed and all((table[c] == MASKED).all() for c in taxed)
    assert table["宗地编号"].notna().all()
    assert_no_raw_empty(at)


def test_data_screen_reports_the_current_dataset() -> None:
    at = app("数据")
    ds = read_dataset(ROOT / "data")
    assert metrics(at)["宗地(宗)"] == f"{len(ds.parcels):,}"
    assert metrics(at)["错误(个)"] == "0"
    res = shown_result(at)  # the evaluation's report (reading and evaluation stages)
    assert len(res.report.warnings) > len(ds.report.warnings)
    assert metrics(at)["警告(个)"] == f"{len(res.report.warnings):,}"
    shown = at.expander[0].dataframe[0].value
    want = res.report.to_frame()
    assert shown["问题"].tolist() == want["问题"].tolist()
    assert shown["问题类型"].tolist() == want["问题类型"].tolist()
    assert not shown["问题类型"].str.fullmatch(r"[a-z_]+").any()  # Chinese, not codes
    assert "EPSG:4549" in " ".join(c.value for c in at.caption)


def test_a_folder_with_errors_stops_with_its_report(
    tmp_path: Path, admin: dict[str, object]
) -> None:
    (tmp_path / "parcels").mkdir()
    at = app("总览", lcgis_data_dir=str(tmp_path), **admin)
    assert at.error and "数据有错误" in at.error[0].value
    assert len(at.dataframe) == 1  # the report


def test_sidebar_data_dir_switches_the_dataset(
    tmp_path: Path, hostile_dataset: Path, admin: dict[str, object]
) -> None:
    at = app("地图", lcgis_data_dir=str(hostile_dataset), **admin)
    assert not at.error
    at.switch_page(PAGES["企业"]).run()
    names = at.dataframe[0].value["企业名称"].tolist()
    assert "<img src=x onerror=alert(1)>" in names


def test_upload_placement_renames_single_files_and_unzips_safely(
    tmp_path: Path, hostile_dataset: Path
) -> None:
    files = [
        ("宗地.gpkg", (hostile_dataset / "parcels" / "parcels.gpkg").read_bytes()),
        ("企业.csv", (hostile_dataset / "parcels" / "enterprises.csv").read_bytes()),
        ("用地关系.csv", (hostile_dataset / "parcels" / "occupancy.csv").read_bytes()),
        ("readme.txt", b"x"),
    ]
    placed = uploads.place(files, tmp_path / "single")
    assert placed.unknown == ["readme.txt"]
    ds = read_dataset(placed.root)
    assert not ds.report.has_errors and len(ds.parcels) == 2
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("../evil.txt", "x")
        zf.writestr("ds/parcels/parcels.gpkg", files[0][1])
    placed = uploads.place([("data.zip", buf.getvalue())], tmp_path / "zip")
    assert placed.skipped == ["../evil.txt"] and not (tmp_path / "evil.txt").exists()
    assert placed.root == tmp_path / "zip" / "ds"


def test_library_never_imports_streamlit() -> None:
    for f in (ROOT / "lcgis").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert "import streamlit" not in text and "from streamlit" not in text, f


def test_pages_are_thin() -> None:
    """No file I/O or geometry work in the screens: they call ui/ and lcgis/."""
    for f in (ROOT / "app_pages").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        for banned in ("open(", "read_file", "to_file", "shapely", ".to_crs(", "read_dataset("):
            assert banned not in text, (f.name, banned)


@pytest.fixture
def hostile_dataset(tmp_path: Path) -> Path:
    return make_hostile_dataset(tmp_path / "hostile")


def test_basemap_widget_gaode_shows_the_gcj02_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    at = app("地图")
    box = at.selectbox(key="map_basemap")
    assert box.value == "osm"
    assert {"天地图 矢量", "天地图 影像", "高德 矢量(GCJ-02)", "无底图(离线)"} <= set(box.options)
    box.set_value("gaode").run()
    assert not at.exception
    assert any("GCJ-02" in c.value for c in at.caption)
    at.selectbox(key="map_basemap").set_value("tianditu_img").run()
    assert not at.exception
    assert any("WGS-84" in c.value for c in at.caption)


def test_overview_shows_plan_targets_from_the_rules_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A committee's own park-level plan in a rules file: its targets beside the figures,
    reached when the park's figure is at or above them (a park target, not a district one)."""
    rules = tmp_path / "targets.toml"
    rules.write_text(
        '[[plan]]\nkey = "14th"\nname = "园区十四五目标"\nperiod = { start = 2021, end = 2025 }\n'
        'source = "某规划文本"\n[[plan.target]]\nkey = "specialised_sme"\nvalue = 12\n'
        'unit = "家"\nscope = "园区"\n[[plan.target]]\nkey = "high_tech_output_share"\n'
        'value = 0.6\nunit = "占比"\nscope = "园区"\n',
        encoding="utf-8",
    )
    config = tmp_path / "lcgis-app.toml"  # a rules file must be one the server offers
    config.write_text(f'[rules]\n"规划目标" = "{rules.name}"\n', encoding="utf-8")
    monkeypatch.setenv("LCGIS_APP_CONFIG", str(config))
    at = app("总览", **{state.RULES_PATH: str(rules)})
    targets = next(d.value for d in at.dataframe if "目标" in d.value.columns).set_index("目标")
    assert targets.loc["专精特新企业(家)", "说明"] == "已达到"  # 14 ≥ 12 in the park
    assert targets.loc["高新技术企业产值占规上产值比例", "说明"] == "未达到"  # 47 % < 60 %
    assert any("某规划文本" in c.value for c in at.caption)


def test_card_shows_the_disposition_and_hides_tax_from_a_guest() -> None:
    res = library(None, None)
    p = res.parcels
    buy = p[(p["disposition"] == "buyback") & p["disposition_reasons"].str.contains("tax_per")]
    if buy.empty:
        pytest.skip("the demo has no 收储改造 parcel for low tax")
    row = buy.iloc[0]
    tax = f"{row['tax_per_mu_3y']:,.2f} 万元/亩"
    pid = str(row["parcel_id"])
    guest = "\n".join(m.value for m in app("地图", lcgis_selected_parcel=pid, **GUEST).markdown)
    assert "收储改造" in guest and "13号" in guest.replace("\\", "")
    assert md(tax) not in guest
    assert "仅核查人员可见" in guest
    admin = "\n".join(m.value for m in app("地图", lcgis_selected_parcel=pid, **ADMIN).markdown)
    assert md(tax) in admin


@pytest.mark.parametrize("title", list(PAGES))
def test_every_screen_marks_the_demo_as_illustrative_and_shows_no_server_path(
    title: str, toy: Path, admin: dict[str, object]
) -> None:
    from tests.test_app_access import page_text

    def banner(at: AppTest) -> list[str]:
        return [w.value for w in at.warning if ILLUSTRATIVE in w.value]

    assert report.illustrative_statement(read_dataset(ROOT / "data").files)
    at = app(title)
    assert banner(at)
    assert str(ROOT) not in page_text(at)
    assert not report.illustrative_statement(read_dataset(toy).files)
    at = app(title, lcgis_data_dir=str(toy), **admin)
    assert not banner(at)
    assert str(toy) not in page_text(at)


def test_plan_screen_assesses_the_plan_against_the_park_by_year() -> None:
    at = app("规划")
    res = shown_result(at)
    table = next(d.value for d in at.dataframe if "规划原文" in d.value.columns)
    row = table.set_index("目标").loc["规上工业产值(亿元)"]
    e = read_dataset(ROOT / "data").enterprises
    for year in (2020, 2025):
        above = e[(e["year"] == year) & e["above_scale"].astype(bool)]
        assert row[f"{year}年"] == f"{above['output_wan'].sum() / 1e4:,.2f}"
    assert row["状态"] == "全区目标(园区数仅作参照)" and row["目标值"] == "661.00"
    assert "已达到" not in set(table["状态"])  # every 十四五 target is district-wide
    assert set(table.loc[table["目标范围"] == "全区", "状态"]) <= {
        "全区目标(园区数仅作参照)",
        "无数据",
    }
    # a zone: its own figures
    at.segmented_control(key="plan_scope").set_value("north").run()
    table = next(d.value for d in at.dataframe if "规划原文" in d.value.columns)
    figs = res.plan_figures.set_index(["scope", "year"])
    want = figs.loc[("north", 2025), "specialised_sme"]
    assert table.set_index("目标").loc["专精特新企业(家)", "2025年"] == f"{int(want):,}"
    assert any("北片区" in s.value for s in at.subheader)


def test_a_next_period_target_typed_in_shows_its_gap() -> None:
    at = app("规划")
    e = read_dataset(ROOT / "data").enterprises
    listed = int(e.loc[e["year"] == e["year"].max(), "listed"].astype(bool).sum())
    at.selectbox(key="plan_new_figure").set_value("上市企业(家)")
    at.selectbox(key="plan_new_scope").set_value("园区")
    at.number_input(key="plan_new_value").set_value(float(listed * 2))
    at.button(key="FormSubmitter:plan_new_form-添加目标").click().run()
    assert not at.exception, [x.message for x in at.exception]
    gap = next(d.value for d in at.dataframe if "最新值" in d.value.columns)  # the typed plan's
    (row,) = gap.to_dict("records")
    assert row["目标"] == "上市企业(家)" and row["状态"] == "未达到"
    assert row["完成度"] == "50.0%"
    assert row["所需年均增速"] == f"{(2 ** (1 / 5) - 1) * 100:.1f}%"  # 2025 → 2030, doubled
    assert any(d.label.startswith("下载规划文件") for d in at.get("download_button"))
