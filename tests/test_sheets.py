"""The one sheet formatter shared by the evaluation, relocation plan and review workbooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import openpyxl
import pandas as pd

from lcgis.views.sheets import (
    AMOUNT_FORMAT,
    PERCENT_FORMAT,
    Book,
    no_number_format,
    number_format,
    write_sheet,
)

if TYPE_CHECKING:
    from pathlib import Path


def _write(tmp_path: Path, df: pd.DataFrame, **formatting: object) -> openpyxl.Workbook:
    path = tmp_path / "t.xlsx"
    with Book(path) as book:
        write_sheet(book, "表", df, **formatting)
    return openpyxl.load_workbook(path)


def test_a_sheet_gets_header_freeze_widths_formats_filter_and_footer(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "宗地编号": ["P1", "P2"],
            "用地面积(m²)": [1234.5, 20.0],
            "备注": ["=cmd", "很长的备注" * 20],
        }
    )
    ws = _write(tmp_path, df, freeze="B2", footer="lcgis 第 &P 页")["表"]
    assert ws.freeze_panes == "B2"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.oddFooter.center.text == "lcgis 第 &P 页"
    assert all(c.font.bold for c in ws[1])
    assert ws["B2"].number_format == AMOUNT_FORMAT and ws["A2"].number_format == "General"
    assert ws.column_dimensions["A"].width == 10  # the header (8) and a margin
    assert ws.column_dimensions["C"].width == 42  # long text is cut at 40
    assert ws.auto_filter.ref == "A1:C3"
    assert ws["C2"].value == "=cmd" and ws["C2"].data_type == "s"  # text, not a formula


def test_number_formats_by_header() -> None:
    assert number_format("贷款(万元)") == AMOUNT_FORMAT
    assert number_format("匹配度", exact={"匹配度": PERCENT_FORMAT}) == PERCENT_FORMAT
    assert number_format("搬迁后", amounts=("搬迁后",)) == AMOUNT_FORMAT
    assert number_format("搬迁后") is None
    assert no_number_format("贷款(万元)") is None


def test_an_empty_sheet_keeps_its_header_and_has_no_filter(tmp_path: Path) -> None:
    ws = _write(tmp_path, pd.DataFrame(columns=["序号", "说明"]))["表"]
    assert [c.value for c in ws[1]] == ["序号", "说明"]
    assert ws.freeze_panes == "A2" and not ws.auto_filter.ref


def test_the_review_export_uses_the_same_formatter(tmp_path: Path) -> None:
    from argon2 import PasswordHasher

    from lcgis.review import ReviewStore

    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    url = f"sqlite:///{tmp_path / 'review.sqlite'}"
    with ReviewStore(url, hasher=fast, state_dir=tmp_path / "state") as store:
        user = store.add_user("reviewer1", "pw", "reviewer")
        store.set_review("P1", dataset="park", by=user, status="核查中", note="=1+1")
        out = store.export_xlsx(tmp_path / "review.xlsx", dataset="park")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["核查状态", "变更记录"]
    for ws in wb:
        assert ws.freeze_panes == "B2" and all(c.font.bold for c in ws[1])
        assert "核查记录" in ws.oddFooter.center.text and ws.auto_filter.ref
    ws = wb["核查状态"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=headers.index("备注") + 1).value == "=1+1"
    assert ws.cell(row=2, column=headers.index("备注") + 1).data_type == "s"
