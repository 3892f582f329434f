"""Excel tables as the tax bureau sends them: title rows above the header, two header rows with
merged cells, numbers and dates stored as text, formulas without a saved value.

Every workbook is written here with openpyxl and read through the loader
(:func:`lcgis.data.io.read_dataset`) or the proposer (:func:`lcgis.data.propose.propose`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import openpyxl
import pandas as pd

from lcgis.data.importer import build, discard
from lcgis.data.io import read_dataset
from lcgis.data.propose import ColumnGuess, propose
from lcgis.data.workbook import find_header, merged_ranges
from tests.conftest import code, rect

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

C1, C2, C3 = code("91350502MA0000001"), code("91350502MA0000002"), code("91350502MA0000003")
TITLE = "2025年规上企业主要经济指标（单位：万元）"


def _workbook(path: Path, rows: Sequence[Sequence[Any]], merges: Sequence[str] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _folder(tmp_path: Path) -> Path:
    """A dataset folder with one parcel (100 m × 100 m in EPSG:4549)."""
    d = tmp_path / "data"
    (d / "parcels").mkdir(parents=True)
    gpd.GeoDataFrame({"parcel_id": ["P1"]}, geometry=[rect(0, 0, 100, 100)], crs=4549).to_file(
        d / "parcels" / "parcels.gpkg"
    )
    return d


def _issues(ds: Any, code_: str) -> list[Any]:
    return [i for i in ds.report.issues if i.code == code_]


def _values(s: pd.Series) -> list[Any]:
    return [None if pd.isna(x) else x for x in s.tolist()]


#: A title merged over the table, an empty row, a 填报单位 line, then two header rows:
#: 统一社会信用代码, 企业名称, 年度 merged down over rows 4–5, 2025年 merged over 营业收入 | 税收.
TAX_BUREAU = [
    [TITLE],
    [],
    ["填报单位：鲤城高新区税务局"],
    ["统一社会信用代码", "企业名称", "年度", "2025年", None],
    [None, None, None, "营业收入", "税收"],
    [C1, "甲", 2025, "1,234.5", "１２３"],
    [C2, "乙", 2025, 5000, " 88 "],
    [C3, "丙", 2025, 10, "12.5万"],
]
TAX_MERGES = ("A1:E1", "A4:A5", "B4:B5", "C4:C5", "D4:E4")


def test_title_rows_and_two_header_rows_read_by_the_loader(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    _workbook(d / "parcels" / "enterprises.xlsx", TAX_BUREAU, TAX_MERGES)
    ds = read_dataset(d)
    e = ds.enterprises
    assert e is not None
    assert e["credit_code"].tolist() == [C1, C2, C3]
    assert e["name"].tolist() == ["甲", "乙", "丙"]
    assert e["year"].tolist() == [2025.0, 2025.0, 2025.0]
    assert e["revenue_wan"].tolist() == [1234.5, 5000.0, 10.0]
    assert _values(e["tax_wan"]) == [123.0, 88.0, None]
    (title,) = _issues(ds, "title_rows_skipped")
    assert title.level == "warning" and title.file == "enterprises.xlsx"
    assert title.rows == (1, 2, 3)
    assert title.message.startswith("第 4 行起为表头，上方 3 行标题已跳过")
    assert TITLE in title.message and "填报单位：鲤城高新区税务局" in title.message
    assert "标题注明金额单位为万元" in title.message
    (merged,) = _issues(ds, "merged_header")
    assert merged.rows == (4, 5)
    assert "统一社会信用代码、企业名称、年度、营业收入、税收" in merged.message
    assert "上层表头 2025年 未计入列名" in merged.message
    # row numbers count the title rows: 12.5万 is in row 8 of the sheet (no unit guessed)
    (bad,) = [i for i in ds.report.issues if i.level == "error"]
    assert (bad.code, bad.field, bad.rows) == ("bad_value", "tax_wan", (8,))


def test_propose_maps_the_merged_header_and_takes_the_title_unit(tmp_path: Path) -> None:
    rows = [["2025年规上企业主要经济指标（单位：元）"], *TAX_BUREAU[1:]]
    xlsx = _workbook(tmp_path / "规上企业.xlsx", rows, TAX_MERGES)
    (item,) = propose([xlsx]).inputs
    assert item.layer == "enterprises"
    assert item.columns == {
        "credit_code": ColumnGuess("统一社会信用代码"),
        "name": ColumnGuess("企业名称"),
        "year": ColumnGuess("年度"),
        "revenue_wan": ColumnGuess("营业收入", "yuan", "单位取自表格标题"),
        "tax_wan": ColumnGuess("税收", "yuan", "单位取自表格标题"),
    }
    assert item.warnings[0].startswith("规上企业.xlsx：第 4 行起为表头，上方 3 行标题已跳过")
    assert "标题注明金额单位为元" in item.warnings[0]
    assert item.warnings[1].startswith("规上企业.xlsx：第 4–5 行是两层表头")


def test_import_converts_money_by_the_title_unit(tmp_path: Path) -> None:
    parcels = tmp_path / "宗地.gpkg"
    gpd.GeoDataFrame({"宗地编号": ["P1"]}, geometry=[rect(0, 0, 100, 100)], crs=4549).to_file(
        parcels
    )
    rows = [["2025年规上企业主要经济指标（单位：元）"], *TAX_BUREAU[1:7]]  # no 12.5万 row
    xlsx = _workbook(tmp_path / "规上企业.xlsx", rows, TAX_MERGES)
    _, ds, tmp = build([parcels, xlsx], tmp_path / "out")
    try:
        e = ds.enterprises
        assert e is not None
        # 1,234.5 元 = 0.12345 万元; 5000 元 = 0.5 万元; 123 元, 88 元
        assert [round(x, 8) for x in e["revenue_wan"]] == [0.12345, 0.5]
        assert [round(x, 8) for x in e["tax_wan"]] == [0.0123, 0.0088]
        assert not ds.report.has_errors
    finally:
        discard(tmp)


def test_units_above_and_below_a_merged_header(tmp_path: Path) -> None:
    # 经济指标 over 营业收入(万元) | 实缴税金(万元); 经济指标（万元） over 工业总产值 | 研发经费
    rows = [
        ["统一社会信用代码", "企业名称", "经济指标", None, "经济指标（万元）", None],
        [None, None, "营业收入(万元)", "实缴税金（万元）", "工业总产值", "研发经费"],
        [C1, "甲", 1, 2, 3, 4],
    ]
    xlsx = _workbook(tmp_path / "e.xlsx", rows, ("A1:A2", "B1:B2", "C1:D1", "E1:F1"))
    (item,) = propose([xlsx]).inputs
    assert item.layer == "enterprises"
    wan = "单位取自表头"
    assert item.columns == {
        "credit_code": ColumnGuess("统一社会信用代码"),
        "name": ColumnGuess("企业名称"),
        "revenue_wan": ColumnGuess("营业收入(万元)", "wan", wan),
        "tax_wan": ColumnGuess("实缴税金（万元）", "wan", wan),
        "output_wan": ColumnGuess("工业总产值(万元)", "wan", wan),
        "rd_wan": ColumnGuess("研发经费(万元)", "wan", wan),
    }
    assert not any("标题已跳过" in w for w in item.warnings)  # the header is in row 1


def test_one_field_under_two_years_is_left_to_the_mapping(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    rows = [
        ["统一社会信用代码", "企业名称", "2024年", None, "2025年", None],
        [None, None, "营业收入", "税收", "营业收入", "税收"],
        [C1, "甲", 100, 10, 120, 12],
    ]
    merges = ("A1:A2", "B1:B2", "C1:D1", "E1:F1")
    _workbook(d / "parcels" / "enterprises.xlsx", rows, merges)
    ds = read_dataset(d)
    e = ds.enterprises
    assert e is not None
    assert "revenue_wan" not in e.columns and "tax_wan" not in e.columns
    assert e["extra:2024年_营业收入"].tolist() == [100]
    assert e["extra:2025年_税收"].tolist() == [12]
    (merged,) = _issues(ds, "merged_header")
    assert (
        "统一社会信用代码、企业名称、2024年_营业收入、2024年_税收、2025年_营业收入、2025年_税收"
        in (merged.message)
    )
    (unmapped,) = _issues(ds, "unmapped_columns")
    assert "2025年_营业收入" in unmapped.message


def test_a_header_cell_merged_across_two_columns(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    rows = [
        ["统一社会信用代码", "企业名称", "实缴税金", "备注", None],
        [C1, "甲", 5, "搬迁中", "已约谈"],
        [C2, "乙", 6, None, None],
    ]
    _workbook(d / "parcels" / "enterprises.xlsx", rows, ("D1:E1",))
    ds = read_dataset(d)
    e = ds.enterprises
    assert e is not None
    assert e["tax_wan"].tolist() == [5.0, 6.0]
    assert _values(e["remark"]) == ["搬迁中", None]
    assert _values(e["extra:备注.1"]) == ["已约谈", None]
    (merged,) = _issues(ds, "merged_header")
    assert merged.rows == (1,)
    assert merged.message.startswith("表头有跨列合并的单元格(备注)")
    assert not _issues(ds, "title_rows_skipped")


def test_header_found_by_field_names_below_a_line_without_colon(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    rows = [
        ["鲤城高新区税务局", "2025年1月"],  # two cells of three: looks dense, names no field
        ["统一社会信用代码", "企业名称", "税收"],
        [C1, "甲", 7],
    ]
    _workbook(d / "parcels" / "enterprises.xlsx", rows)
    ds = read_dataset(d)
    assert ds.enterprises is not None
    assert ds.enterprises["tax_wan"].tolist() == [7.0]
    (title,) = _issues(ds, "title_rows_skipped")
    assert title.message.startswith(
        "第 2 行起为表头，上方 1 行标题已跳过(“鲤城高新区税务局；2025年1月”)"
    )
    assert not ds.report.has_errors


def test_plain_sheet_keeps_row_one_and_says_nothing(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    rows = [["统一社会信用代码", "企业名称", "税收"], [C1, "甲", 7], [C2, None, 8]]
    _workbook(d / "parcels" / "enterprises.xlsx", rows)
    ds = read_dataset(d)
    assert ds.enterprises is not None
    assert ds.enterprises["tax_wan"].tolist() == [7.0, 8.0]
    assert [(i.code, i.rows) for i in ds.report.issues] == [("missing_value", (3,))]


def test_text_numbers_read_as_from_csv(tmp_path: Path) -> None:
    texts = ["1,234.5", " 88 ", "１２３", "１，２３４．５", "12.5万", "-7"]
    header = ["统一社会信用代码", "企业名称", "营业收入"]
    codes = [code(f"91350502MA000{i:04d}") for i in range(len(texts))]
    body = [[c, f"企业{i}", t] for i, (c, t) in enumerate(zip(codes, texts, strict=True))]
    d = _folder(tmp_path)
    xlsx = _workbook(tmp_path / "e.xlsx", [["企业经济指标"], header, *body])
    csv = tmp_path / "e.csv"
    pd.DataFrame(body, columns=header).to_csv(csv, index=False)
    from_xlsx = read_dataset(d, enterprises=xlsx)
    from_csv = read_dataset(d, enterprises=csv)
    assert from_xlsx.enterprises is not None and from_csv.enterprises is not None
    expected = [1234.5, 88.0, 123.0, 1234.5, None, -7.0]
    assert _values(from_xlsx.enterprises["revenue_wan"]) == expected
    assert _values(from_csv.enterprises["revenue_wan"]) == expected
    (bad_x,) = _issues(from_xlsx, "bad_value")
    (bad_c,) = _issues(from_csv, "bad_value")
    assert bad_x.rows == (7,) and bad_c.rows == (6,)  # the title row comes first in the sheet
    (neg,) = _issues(from_xlsx, "negative_value")
    assert neg.rows == (8,)


def test_dates_as_text_and_as_excel_dates(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    dates: list[Any] = [
        "2021-03-01",
        "2021/3/1",
        "2021年3月1日",
        "20210301",
        20210301,
        "２０２１年３月１日",
        dt.datetime(2021, 3, 1),
        dt.date(2021, 3, 1),
        44256,  # the Excel serial number of 2021-03-01
        None,
    ]
    rows = [["统一社会信用代码", "企业名称", "投产日期"]] + [
        [code(f"91350502MA000{i:04d}"), f"企业{i}", x] for i, x in enumerate(dates)
    ]
    _workbook(d / "parcels" / "enterprises.xlsx", rows)
    ds = read_dataset(d)
    assert ds.enterprises is not None
    got = ds.enterprises["production_start_date"]
    assert got.iloc[:-1].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-01"] * 9
    assert pd.isna(got.iloc[-1])
    assert not ds.report.issues


def test_formula_without_cached_value_names_the_sheet_rows(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    rows = [
        [TITLE],
        ["统一社会信用代码", "企业名称", "营业收入", "税收"],
        [],  # a blank row under the header
        [C1, "甲", 100, "=C4*0.1"],
        [C2, "乙", 200, 20],
        [C3, "丙", 300, "=C6*0.1"],
    ]
    _workbook(d / "parcels" / "enterprises.xlsx", rows, ("A1:D1",))
    ds = read_dataset(d)
    assert ds.enterprises is not None
    assert _values(ds.enterprises["tax_wan"]) == [None, 20.0, None]
    (formula,) = _issues(ds, "formula_without_value")
    assert (formula.level, formula.field, formula.rows) == ("error", "税收", (4, 6))
    assert _issues(ds, "title_rows_skipped")[0].rows == (1,)


def test_merged_ranges_from_the_sheet_xml(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "标题"
    for ref in ("A1:F1", "A2:A3", "C2:AB2", "B40:C41"):
        ws.merge_cells(ref)
    path = tmp_path / "m.xlsx"
    wb.save(path)
    merges = merged_ranges(path, "xl/worksheets/sheet1.xml", 10)
    assert merges == [(1, 1, 1, 6), (2, 1, 3, 1), (2, 3, 2, 28)]  # B40:C41 starts below row 10
    assert merged_ranges(path, "xl/worksheets/sheet9.xml", 10) == []


def test_find_header_on_rows() -> None:
    rows = [("企业名称", "2025年", None), (None, "营业收入", "实缴税金"), ("甲", 1, 2)]
    h = find_header(rows, [(1, 1, 2, 1), (1, 2, 1, 3)], "enterprises")
    assert (h.row, h.rows, h.first_data_row) == (1, 2, 3)
    assert h.names == ["企业名称", "营业收入", "实缴税金"]
    assert h.dropped == ["2025年"] and h.money_unit is None
    # an upper row with one merged cell (2025年) and nothing else over the header row
    rows = [(None, None, "2025年", None), ("统一社会信用代码", "企业名称", "营业收入", "税收")]
    h = find_header([*rows, (C1, "甲", 1, 2)], [(1, 3, 1, 4)], "enterprises")
    assert (h.row, h.rows, h.dropped) == (1, 2, ["2025年"])
    assert h.names == ["统一社会信用代码", "企业名称", "营业收入", "税收"]
    # no field named anywhere: the first row that is not a title
    h = find_header([("报表",), ("甲列", "乙列"), ("x", "y")], [], "enterprises")
    assert (h.row, h.names, h.title) == (2, ["甲列", "乙列"], ["报表"])
    # a mapping.toml column name counts as a field name
    h = find_header([("说明：见附件", "x"), ("代码", "名称")], [], "enterprises", ["代码"])
    assert h.row == 2
