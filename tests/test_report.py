"""The committee's workbook (revision 2): sheets, 说明 with the rules and sources, 示意数据 on the
demo, Chinese values, the 片区 park total and class counts, one list per disposition.

Every expectation is computed here from the Result (or the input files), never copied from
today's demo numbers: the demo is regenerated from time to time.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.rules import load_rules
from lcgis.views import report
from lcgis.vocab import DISPOSITION_LABELS, GROUP_LABELS, TIER_LABELS, TIERS

ROOT = Path(__file__).resolve().parents[1]
SHEETS = [
    "说明",
    "宗地",
    "企业",
    "片区",
    "规划目标",
    "无偿收回",
    "收储改造",
    "腾笼换鸟",
    "零地增资",
    "数据质量",
]


@pytest.fixture(scope="module")
def demo() -> Result:
    return run(read_dataset(ROOT / "data"), load_rules())


@pytest.fixture(scope="module")
def written(demo: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report.write(demo, tmp_path_factory.mktemp("book") / "评价结果.xlsx")


@pytest.fixture(scope="module")
def book(written: Path) -> dict[str, pd.DataFrame]:
    """The demo's workbook as written, read back sheet by sheet (header row = columns)."""
    wb = openpyxl.load_workbook(written, read_only=True)
    assert wb.sheetnames == SHEETS
    sheets = {}
    for ws in wb.worksheets:
        rows = list(ws.values)
        sheets[ws.title] = pd.DataFrame(rows[1:], columns=rows[0])
    return sheets


def _notes(book: dict[str, pd.DataFrame]) -> dict[str, str]:
    return dict(zip(book["说明"]["项目"], book["说明"]["内容"].fillna(""), strict=True))


def test_notes_state_illustrative_data_rules_version_and_sources(
    demo: Result, book: dict[str, pd.DataFrame]
) -> None:
    notes = _notes(book)
    text = "\n".join(notes.values())
    zones_doc = json.loads((ROOT / "data" / "zones.geojson").read_text(encoding="utf-8"))
    assert "示意数据" in zones_doc["description"]  # the demo marks itself …
    assert notes["数据性质"] == zones_doc["description"] or "示意数据" in notes["数据性质"]
    assert "示意数据" in notes["注意"]  # … and the workbook says so
    assert demo.rules.digest in notes["规则版本"] and "默认规则" in notes["规则版本"]
    assert notes["评价基准日"] == demo.as_of.isoformat()
    assert notes["评价年度"] == f"{demo.year}年"
    used = ["reclaim", "buyback", "vacate", "densify", "priority", "in_construction"]
    used += ["tax_per_mu_low", "small_parcel", "idle", "government_reason", "evaluation"]
    for code in used:
        assert demo.rules.source(code) in notes.values(), code
    assert "泉政办规〔2025〕13号" in text
    # a rule switched off by default (far_utilization_below = false) is not cited
    assert demo.rules.inefficient.far_utilization_below is None
    assert demo.rules.source("far_below_plan") not in notes.values()


def test_plans_sheet_gives_each_target_the_park_figure_by_year(
    demo: Result, book: dict[str, pd.DataFrame], written: Path
) -> None:
    sheet = book["规划目标"]
    row = sheet[(sheet["目标"] == "规上工业产值(亿元)") & (sheet["统计范围"] == "园区(全园)")]
    assert len(row) == 1
    r = row.iloc[0]
    firms = read_dataset(ROOT / "data").enterprises
    for year in sorted({int(y) for y in firms["year"]}):
        y = firms[(firms["year"] == year) & firms["above_scale"].astype("boolean").fillna(False)]
        assert r[f"{year}年"] == pytest.approx(y["output_wan"].sum() / 10_000), year
    latest = int(max(firms["year"]))
    assert r["最新年度"] == latest
    assert r["完成度"] == pytest.approx(r[f"{latest}年"] / 661.0)
    assert (r["目标范围"], r["单位"], r["目标值"]) == ("全区", "亿元", 661.0)
    assert (r["基数年份"], r["规划基数"]) == (2020, 438.29)
    assert r["状态"] == "全区目标(园区数仅作参照)" and r["所需年均增速"] is None
    assert r["规划原文"] == "规上工业产值超过 661 亿元"
    assert set(sheet["状态"]) <= {"全区目标(园区数仅作参照)", "无数据"}  # 全区: never reached
    assert "泉鲤政文〔2021〕87号" in _notes(book)["规划：鲤城区“十四五”制造业发展专项规划"]
    assert demo.rules.source("plans") in _notes(book).values()
    ws = openpyxl.load_workbook(written)["规划目标"]
    share = list(sheet.columns).index("完成度") + 1
    assert ws.cell(row=2, column=share).number_format == "0.0%"


def test_notes_of_user_data_and_rules_say_neither_demo_nor_default(
    toy: Path, tmp_path: Path
) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[buyback]\ntax_per_mu_below = 6.0\n", encoding="utf-8")
    rules = load_rules(rules_file)
    res = run(read_dataset(toy), rules, as_of=None)
    notes = report.notes_sheet(res)
    text = "\n".join(notes["内容"])
    assert "示意数据" not in text and "用户提供的数据" in text
    assert "自定义规则" in text and rules.digest in text
    assert rules.digest != load_rules().digest


def test_footer_marks_the_demo(written: Path) -> None:
    ws = openpyxl.load_workbook(written)["收储改造"]
    assert "示意数据" in ws.oddFooter.center.text


_CODE = re.compile(r"^[a-z][a-z0-9_;]*$")


def test_every_value_a_person_reads_is_chinese(demo: Result, book: dict[str, pd.DataFrame]) -> None:
    codes = {"industrial", "warehouse", "vacant", "completed", "not_started", "north", "south"}
    codes |= {"central", "above_scale", "below_scale", "small", "fee", "reclaim", *TIERS}
    codes |= set(DISPOSITION_LABELS)
    for name, sheet in book.items():
        if name == "数据质量":  # issue codes and file field names, for fixing the files
            continue
        for col in sheet.columns:
            assert not _CODE.match(str(col)), (name, col)
            bad = {v for v in sheet[col].dropna().astype(str) if _CODE.match(v) or v in codes}
            assert not bad, (name, col, sorted(bad)[:5])
    parcels = book["宗地"]
    p = demo.parcels
    assert "片区编号" not in parcels.columns  # zone ids (north) are not shown, names are
    zh_use = {"industrial": "工业", "warehouse": "仓储", "vacant": "空地", "other": "其他"}
    assert parcels["用地性质"].tolist() == [zh_use[u] for u in p["land_use"]]
    tiers = [TIER_LABELS[t] if isinstance(t, str) else "" for t in p["tier"]]
    assert parcels["梯队"].fillna("").tolist() == tiers
    groups = book["企业"]["评价组"].tolist()
    assert groups == [GROUP_LABELS[g] for g in demo.enterprises["eval_group"]]


def test_enterprise_sheet_gives_each_firm_the_zone_of_its_main_parcel(
    demo: Result, book: dict[str, pd.DataFrame]
) -> None:
    a = demo.allocation.sort_values(
        ["credit_code", "alloc_land_m2", "parcel_id"], ascending=[True, False, True]
    )
    main = a.drop_duplicates("credit_code").set_index("credit_code")["parcel_id"]
    zone_of = demo.parcels.set_index("parcel_id")["zone_name"]
    want = [zone_of.get(main.get(c), "无用地") for c in demo.enterprises["credit_code"]]
    ent = book["企业"]
    assert ent.columns.tolist()[ent.columns.tolist().index("企业名称") + 1] == "片区"
    assert ent["片区"].tolist() == want
    assert ent["统一社会信用代码"].tolist() == demo.enterprises["credit_code"].tolist()


def test_zone_sheet_park_total_is_the_sum_of_the_zones(
    demo: Result, book: dict[str, pd.DataFrame]
) -> None:
    zones = book["片区"]
    assert zones["片区"].iloc[-1] == "园区合计"
    rows, total = zones.iloc[:-1], zones.iloc[-1]
    assert rows["片区"].tolist() == demo.zones["zone_name"].tolist()
    summed = ["用地面积(亩)", "宗地数(宗)", "工业总产值(万元)", "税收(万元)", "闲置(亩)"]
    summed += [
        "低效(亩)",
        "在建(亩)",
        "无偿收回(亩)",
        "收储改造(亩)",
        "腾笼换鸟(亩)",
        "零地增资(亩)",
    ]
    summed += ["可增建筑面积(m²)"]
    for col in summed:
        assert total[col] == pytest.approx(pd.to_numeric(rows[col]).sum()), col
    p = demo.parcels
    assert total["用地面积(亩)"] == pytest.approx(p["land_area_mu"].sum())
    assert total["宗地数(宗)"] == len(p)
    assert total["收储改造(亩)"] == pytest.approx(
        p.loc[p["disposition"] == "buyback", "land_area_mu"].sum()
    )
    assert total["亩均税收(万元/亩)"] == pytest.approx(p["tax_wan"].sum() / p["land_area_mu"].sum())
    assert total["容积率"] == pytest.approx(p["floor_area_m2"].sum() / p["land_area_m2"].sum())
    assert total["企业数(家)"] == demo.allocation["credit_code"].nunique()


def test_zone_class_counts_equal_the_enterprise_sheet(
    demo: Result, book: dict[str, pd.DataFrame]
) -> None:
    zones, ent = book["片区"], book["企业"]
    classes = ent["类别"].fillna("未评")
    for _, row in zones.iloc[:-1].iterrows():
        here = classes[ent["片区"] == row["片区"]]
        for c in ("A", "B", "C", "D", "T"):
            assert row[f"{c}类企业(家)"] == int((here == c).sum()), (row["片区"], c)
        assert row["未评企业(家)"] == int((here == "未评").sum())
    total = zones.iloc[-1]
    e = demo.enterprises
    for c in ("A", "B", "C", "D", "T"):
        assert total[f"{c}类企业(家)"] == int((e["class"] == c).sum())
    assert total["未评企业(家)"] == int(e["class"].isna().sum())
    counted = [f"{c}类企业(家)" for c in "ABCDT"] + ["未评企业(家)"]
    assert int(total[counted].sum()) == len(e)


def _order(res: Result, kind: str) -> list[str]:
    p = res.parcels[res.parcels["disposition"] == kind]
    key = [
        (TIERS.index(t), -pr if not math.isnan(pr) else math.inf, str(i))
        for t, pr, i in zip(p["tier"], p["priority"], p["parcel_id"], strict=True)
    ]
    return [k[2] for k in sorted(key)]


@pytest.mark.parametrize("kind", list(DISPOSITION_LABELS))
def test_each_list_sheet_is_its_disposition_in_tier_then_priority_order(
    demo: Result, book: dict[str, pd.DataFrame], kind: str
) -> None:
    sheet = book[DISPOSITION_LABELS[kind]]
    want = _order(demo, kind)
    assert sheet["宗地编号"].tolist() == want
    p = demo.parcels.set_index(demo.parcels["parcel_id"].astype(str))
    assert sheet["梯队"].tolist() == [TIER_LABELS[p.loc[i, "tier"]] for i in want]
    assert sheet.columns.tolist()[:3] == ["梯队", "优先级", "宗地编号"]
    assert sheet["优先级"].astype(float).tolist() == pytest.approx(
        [p.loc[i, "priority"] for i in want], nan_ok=True
    )


def test_buyback_sheet_names_its_reasons(demo: Result, book: dict[str, pd.DataFrame]) -> None:
    sheet = book["收储改造"]
    p = demo.parcels.set_index("parcel_id")
    assert len(sheet) == int((demo.parcels["disposition"] == "buyback").sum())
    for pid, reasons in zip(sheet["宗地编号"], sheet["处置理由"], strict=True):
        codes = p.loc[pid, "disposition_reasons"].split(";")
        assert reasons == "；".join(report.ALL_REASON_LABELS[c] for c in codes)


def test_every_estimated_gain_is_headed_as_an_upper_bound(book: dict[str, pd.DataFrame]) -> None:
    seen = 0
    for name, sheet in book.items():
        for col in sheet.columns:
            if "预计新增" in str(col) or "可产出" in str(col):
                seen += 1
                assert str(col).endswith("(潜力上限)"), (name, col)
    assert seen >= 6  # 宗地 (4), the disposal lists and 零地增资


# --- the input files' own columns (extra:…) ---------------------------------------------------


def _sheet(ws) -> pd.DataFrame:
    rows = list(ws.values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_keeps_the_input_files_own_columns(toy_extras: Path, tmp_path: Path) -> None:
    res = run(read_dataset(toy_extras), load_rules())
    wb = openpyxl.load_workbook(report.write(res, tmp_path / "评价结果.xlsx"))
    parcels = _sheet(wb["宗地"])
    assert parcels.columns.tolist()[-2:] == ["附加:规划用途", "附加:编码"]  # after the contract's
    by_id = parcels.set_index("宗地编号")
    assert by_id["附加:规划用途"].to_dict() == {"P1": "一类工业用地", "P2": "物流仓储用地"}
    assert by_id["附加:编码"].to_dict() == {"P1": "007", "P2": "010"}  # text stays text
    col = parcels.columns.get_loc("附加:编码") + 1
    assert {wb["宗地"].cell(r, col).data_type for r in (2, 3)} == {"s"}
    firms = _sheet(wb["企业"])
    assert firms.columns.tolist()[-3:] == ["附加:联系人", "附加:Code", "附加:code"]
    by_name = firms.set_index(report.LABELS["name"])
    assert by_name["附加:联系人"].to_dict() == {
        "甲公司": "张三",
        "乙公司": "李四",
        "丙公司": "王五",
    }
    assert by_name["附加:code"].to_dict() == {"甲公司": "a1", "乙公司": "a2", "丙公司": "a3"}
    note = _notes({"说明": _sheet(wb["说明"])})["附加列"]
    assert "“附加:”" in note and "未对应到数据约定任何字段" in note
    # a dataset without such columns has no such line
    assert "附加列" not in set(
        report.notes_sheet(run(read_dataset(ROOT / "data"), load_rules()))["项目"]
    )


def test_geopackage_and_csv_keep_the_input_files_own_columns(
    toy_extras: Path, tmp_path: Path
) -> None:
    res = run(read_dataset(toy_extras), load_rules())
    gpkg = report.write(res, tmp_path / "结果.gpkg")
    p = pyogrio.read_dataframe(gpkg, layer="parcels").set_index("parcel_id")
    assert p["extra:规划用途"].to_dict() == {"P1": "一类工业用地", "P2": "物流仓储用地"}
    assert p["extra:编码"].to_dict() == {"P1": "007", "P2": "010"}
    e = pyogrio.read_dataframe(gpkg, layer="enterprises").set_index("name")
    assert e["extra:联系人"].to_dict() == {"甲公司": "张三", "乙公司": "李四", "丙公司": "王五"}
    # GeoPackage names ignore case: the second of Code / code is numbered
    assert e.columns.tolist()[-3:] == ["extra:联系人", "extra:Code", "extra:code_2"]
    assert e["extra:Code"].tolist() == ["A1", "A2", "A3"]
    assert e["extra:code_2"].tolist() == ["a1", "a2", "a3"]
    csv = pd.read_csv(report.write(res, tmp_path / "宗地.csv"), dtype=str, encoding="utf-8-sig")
    by_id = csv.set_index("parcel_id")
    assert by_id["extra:规划用途"].to_dict() == {"P1": "一类工业用地", "P2": "物流仓储用地"}
    assert by_id["extra:编码"].to_dict() == {"P1": "007", "P2": "010"}
    gj = pyogrio.read_dataframe(report.write(res, tmp_path / "宗地.geojson")).set_index("parcel_id")
    assert gj["extra:规划用途"].to_dict() == {"P1": "一类工业用地", "P2": "物流仓储用地"}


def _two_zones(toy: Path) -> None:
    """North around P1 (39, 40: 甲 3911 fits), central around P2 (18: 乙 1811 fits, 丙 3311
    does not)."""
    import geopandas as gpd

    from tests.conftest import rect

    gpd.GeoDataFrame(
        {
            "zone_id": ["north", "central"],
            "zone_name": ["北片区", "中片区"],
            "role": ["高端产业发展示范区", "传统产业升级承载区"],
            "leading_industries": ["39,40", "18"],
        },
        geometry=[rect(-10, -10, 105, 200), rect(95, -10, 200, 200)],
        crs=4549,
    ).to_crs(4326).to_file(toy / "zones.geojson")


def test_zone_sheet_gives_role_leading_industries_and_fitting_shares(toy: Path) -> None:
    _two_zones(toy)
    res = run(read_dataset(toy), load_rules())
    e = res.enterprises.set_index("name")
    assert e["fits_zone"].to_dict() == {"甲公司": True, "乙公司": True, "丙公司": False}
    assert e["zone_role"].to_dict() == {
        "甲公司": "高端产业发展示范区",
        "乙公司": "传统产业升级承载区",
        "丙公司": "传统产业升级承载区",
    }
    assert res.parcels.set_index("parcel_id")["zone_role"].to_dict() == {
        "P1": "高端产业发展示范区",
        "P2": "传统产业升级承载区",
    }
    z = report.workbook_sheets(res)["片区"].set_index("片区")
    assert list(z.columns[:2]) == ["片区定位", "主导产业"]
    assert z.loc["北片区", "主导产业"] == "计算机、通信和其他电子设备制造业(39)、仪器仪表制造业(40)"
    assert z.loc["中片区", "主导产业"] == "纺织服装、服饰业(18)"
    assert z.loc["中片区", "片区定位"] == "传统产业升级承载区"
    # P1 15 亩 甲 3000 万元; P2 7.5 亩: 乙 3000 m² = 4.5 亩 600 万元, 丙 the other 3 亩 300 万元
    expected = {
        "北片区": (15.0, 15.0, 1.0, 3000.0, 3000.0, 1.0),
        "中片区": (7.5, 4.5, 0.6, 900.0, 600.0, 600 / 900),
        "园区合计": (22.5, 19.5, 19.5 / 22.5, 3900.0, 3600.0, 3600 / 3900),
    }
    cols = [
        "有行业代码企业用地(亩)",
        "主导产业企业用地(亩)",
        "主导产业用地占比",
        "有行业代码企业产值(万元)",
        "主导产业企业产值(万元)",
        "主导产业产值占比",
    ]
    for zone, values in expected.items():
        assert z.loc[zone, cols].astype(float).tolist() == pytest.approx(values)
    notes = report.notes_sheet(res).set_index("项目")["内容"]
    assert "有行业代码企业的分摊用地" in notes["片区主导产业"]


def test_zone_fit_is_empty_where_the_zone_names_no_leading_industry(toy: Path) -> None:
    import geopandas as gpd

    from tests.conftest import rect

    gpd.GeoDataFrame(
        {"zone_id": ["north"], "zone_name": ["北片区"], "role": ["示范区"]},
        geometry=[rect(-10, -10, 250, 200)],
        crs=4549,
    ).to_crs(4326).to_file(toy / "zones.geojson")
    res = run(read_dataset(toy), load_rules())
    assert res.enterprises["fits_zone"].isna().all()
    assert res.enterprises["zone_id"].tolist() == ["north"] * 3
    fit = res.zones.set_index("zone_id").loc["north"]
    assert math.isnan(fit["fit_land_share"]) and math.isnan(fit["known_land_mu"])
    assert math.isnan(fit["fit_output_share"])
    assert report.workbook_sheets(res)["片区"].set_index("片区").loc["北片区", "主导产业"] == ""


# --- the row limit of the detail sheets ([workbook] max_rows) --------------------------------


def test_tables_above_the_row_limit_are_written_beside_the_workbook(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[workbook]\nmax_rows = 100\n", encoding="utf-8")
    res = run(read_dataset(ROOT / "data"), load_rules(rules_file))
    assert len(res.parcels) > 100 and len(res.enterprises) > 100  # both detail tables too long
    out = report.write(res, tmp_path / "评价结果.xlsx")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [s for s in SHEETS if s not in ("宗地", "企业")]
    notes = _notes({"说明": _sheet(wb["说明"])})
    expected = report.workbook_sheets(res)
    for name in ("宗地", "企业"):
        csv = tmp_path / f"评价结果.{name}.csv"
        assert csv.name in notes[f"完整表格：{name}"] and "100" in notes[f"完整表格：{name}"]
        got = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        want = expected[name]
        assert list(got.columns) == list(want.columns) and len(got) == len(want)
        for col in want.columns:
            w = want[col].reset_index(drop=True)
            if pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
                g = pd.to_numeric(got[col].replace("", None)).to_numpy(dtype=float)
                x = w.to_numpy(dtype=float, na_value=float("nan"))
                close = np.isclose(g, x, rtol=1e-9, atol=0.0) | (np.isnan(g) & np.isnan(x))
                assert close.all(), col
            elif pd.api.types.is_datetime64_dtype(w):
                assert (pd.to_datetime(got[col].replace("", None)).eq(w) | w.isna()).all(), col
            else:
                shown = w.astype(object).where(w.notna(), "").astype(str)
                assert got[col].tolist() == shown.tolist(), col
    # the lists, zones and summary stay in the workbook, whole
    for name in ("片区", "零地增资", "说明", "数据质量"):
        assert wb[name].max_row == len(expected[name]) + 1 + (2 if name == "说明" else 0)
    # the default limit keeps every sheet
    assert report.tables_beside(run(read_dataset(ROOT / "data"), load_rules()), out) == {}


def test_the_cli_says_where_the_full_tables_are(tmp_path: Path, capsys) -> None:
    from lcgis.cli import main

    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[workbook]\nmax_rows = 100\n", encoding="utf-8")
    out = tmp_path / "r.xlsx"
    assert (
        main(["evaluate", str(ROOT / "data"), "--rules", str(rules_file), "--out", str(out)]) == 0
    )
    text = capsys.readouterr().out
    assert "r.宗地.csv" in text and "r.企业.csv" in text
    assert (tmp_path / "r.宗地.csv").exists() and (tmp_path / "r.企业.csv").exists()


def test_the_row_limit_must_be_a_positive_whole_number(tmp_path: Path) -> None:
    from lcgis.errors import RulesError

    assert load_rules().workbook.max_rows == 200_000
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text("[workbook]\nmax_rows = 0\n", encoding="utf-8")
    with pytest.raises(RulesError, match="max_rows"):
        load_rules(rules_file)


def test_text_columns_held_as_objects_are_written_as_before(tmp_path: Path) -> None:
    """Columns of Python objects: converted to Arrow where all are text (missing as None,
    NaN or pd.NA, empty text, text to clean), left as they are otherwise (numbers, bytes,
    nothing but missing values); every layer reads back as when each column
    was handed to the writer as it was."""
    import geopandas as gpd
    from shapely.geometry import Point

    from lcgis.views.sanitize import export_frame

    columns = {
        "text": ["甲", "乙", "丙", "丁"],
        "none": ["a", None, "", "b"],
        "nan": [np.nan, "x", "y", np.nan],
        "na": ["p", pd.NA, "q", "r"],
        "dirty": ["a\tb", "\u202e", "ok", None],
        "numbers": [1, 2, None, 3],
        "bytes": [b"x", b"y", None, b"z"],
        "missing": [None, None, np.nan, None],
    }
    df = gpd.GeoDataFrame(
        {k: pd.Series(v, dtype=object) for k, v in columns.items()},
        geometry=[Point(i, i) for i in range(4)],
        crs="EPSG:4549",
    )
    assert str(report._plain(df)["text"].dtype) == "string"
    for name, frame in (("plain", report._plain(df)), ("reference", export_frame(df))):
        pyogrio.write_dataframe(frame, tmp_path / f"{name}.gpkg", layer="t", use_arrow=True)
    _, plain = pyogrio.read_arrow(tmp_path / "plain.gpkg")
    _, reference = pyogrio.read_arrow(tmp_path / "reference.gpkg")
    assert plain.schema == reference.schema
    assert plain.equals(reference)


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (["甲", None, np.nan, pd.NA, ""], True),
        ([np.str_("a"), "b"], True),
        (["a", 1], False),
        ([1, "a"], False),
        (["a", b"x"], False),
        (["a", True], False),
        (["a", 1.5], False),
        ([None, np.nan], False),
        ([1, 2, None], False),
    ],
    ids=repr,
)
def test_only_columns_of_text_are_converted_to_arrow(values: list[object], text: bool) -> None:
    """Text (missing as None, NaN or pd.NA) becomes Arrow text, the same values with the
    missing ones as NA; any other column of objects is left as it is."""
    s = pd.Series(values, dtype=object, name="c", index=range(10, 10 + len(values)))
    out = report._arrow_text(s)
    if not text:
        assert out is s
        return
    assert isinstance(out.dtype, pd.StringDtype)
    assert out.index.equals(s.index) and out.name == "c"
    assert out.isna().tolist() == s.isna().tolist()
    assert out.dropna().tolist() == s.dropna().tolist()
