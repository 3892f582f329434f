"""The access policy (lcgis.access) on the demo park: which fields each role sees, the masked
result, and every library channel built from it — the map payload, the 体检表 and every
export format — searched for the demo's real confidential figures."""

from __future__ import annotations

import datetime as dt
import time
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from lcgis import access
from lcgis.data.io import Dataset, read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.errors import RulesError
from lcgis.plan.movers import MAX_MOVERS_BYTES, read_movers_table
from lcgis.rules import MAX_RULES_BYTES, load_rules
from lcgis.views import maps, report
from lcgis.views.explain import explain, format_text
from tests import confidential

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 6, 30)


@cache
def demo() -> Dataset:
    return read_dataset(ROOT / "data")


@cache
def full() -> Result:
    return run(demo(), load_rules(), year=None, as_of=AS_OF)


@cache
def secrets(totals: bool = True) -> confidential.Figures:
    return confidential.figures([full()], [demo()], totals_secret=totals)


def guest() -> access.Policy:
    return access.policy("guest", load_rules())


# --- the policy ----------------------------------------------------------------------------


def test_roles_and_their_policies() -> None:
    rules = load_rules()
    g, v = access.policy("guest", rules), access.policy("viewer", rules)
    r, a = access.policy("reviewer", rules), access.policy("admin", rules)
    assert g.hidden == v.hidden == rules.access.confidential
    assert set(rules.access.confidential) == {
        "tax", "output", "revenue", "value_added", "energy", "electricity", "employees", "rd",
    }  # fmt: skip
    assert (g.totals, v.totals) == (False, True)  # public_totals = false: guests only
    assert r.sees_all and a.sees_all and not g.sees_all and not v.sees_all
    assert access.policy(None, rules) == g and access.policy("root", rules) == g
    assert len({g.stamp, v.stamp, r.stamp}) == 3 and r.stamp == a.stamp
    public = load_rules(overrides={"access": {"public_totals": True}})
    assert access.policy("guest", public).totals


def test_the_hidden_fields_of_the_demo_are_the_confidential_ones() -> None:
    res, g = full(), guest()
    parcels = {c for c in res.parcels.columns if g.hides(c)}
    flags = {c for c in parcels if pd.api.types.is_bool_dtype(res.parcels[c])}
    assert parcels - flags == {*confidential.PARCEL, *confidential.PARCEL_ZONE}
    assert flags == {"tax_per_mu_low", "output_per_mu_low"}  # rule outcomes stay visible
    ent = {c for c in res.enterprises.columns if g.hides(c)}
    assert ent == {c for c in confidential.ENTERPRISE if c in res.enterprises}
    assert "emission_t" not in ent and "score" not in ent and "class" not in ent
    # a rules file may add a quantity: emissions become confidential too
    more = load_rules(overrides={"access": {"confidential": ["tax", "emission"]}})
    p = access.policy("viewer", more)
    assert p.hides("emission_t") and p.hides("value_added_per_emission")
    assert not p.hides("output_wan") and not p.hides("labor_productivity")
    with pytest.raises(RulesError, match=r"access\.confidential"):
        load_rules(overrides={"access": {"confidential": ["税收"]}})


def test_visible_fields_per_role() -> None:
    cols = ["parcel_id", "far", "tax_wan", "labor_productivity", "land_area_mu"]
    for role in ("guest", "viewer"):
        assert access.visible_fields(role, load_rules(), cols) == [
            "parcel_id",
            "far",
            "land_area_mu",
        ]
    for role in ("reviewer", "admin"):
        assert access.visible_fields(role, load_rules(), cols) == cols
    assert access.visible_fields("viewer", load_rules(), ["tax_wan"], totals=True) == ["tax_wan"]


def test_masked_result_blanks_exactly_the_hidden_columns() -> None:
    res, g = full(), guest()
    m = g.mask_result(res)
    assert m.access == g and res.access is None
    for name in ("parcels", "enterprises", "allocation", "history"):
        before, after = getattr(res, name), getattr(m, name)
        hidden = [
            c for c in g.hidden_columns(before.columns) if not pd.api.types.is_bool_dtype(before[c])
        ]
        assert after[hidden].isna().all().all(), name
        rest = [c for c in before.columns if c not in hidden]
        pd.testing.assert_frame_equal(pd.DataFrame(after[rest]), pd.DataFrame(before[rest]))
    assert m.zones[list(confidential.ZONE)].isna().all().all()  # totals: guests
    viewer = access.policy("viewer", load_rules()).mask_result(res)
    pd.testing.assert_frame_equal(
        pd.DataFrame(viewer.zones[list(confidential.ZONE)]),
        pd.DataFrame(res.zones[list(confidential.ZONE)]),
    )
    assert viewer.parcels["tax_wan"].isna().all()
    assert access.policy("reviewer", load_rules()).mask_result(res) is res
    assert res.parcels["tax_wan"].notna().any()  # the full result is untouched


# --- every channel of the library --------------------------------------------------------------


def _occupied_parcel(res: Result) -> str:
    """A parcel with a rated occupant (its card has score rows)."""
    for pid in res.parcels["parcel_id"].astype(str):
        c = explain(res, pid)
        if (
            c is not None
            and not c.scores.empty
            and pd.notna(res.parcels.loc[res.parcels["parcel_id"] == pid, "tax_per_mu"].iloc[0])
        ):
            return pid
    raise AssertionError("no parcel with scores")


def test_card_of_a_masked_result_shows_no_confidential_figure() -> None:
    res = full()
    pid = _occupied_parcel(res)
    shown = explain(res, pid)
    masked = explain(guest().mask_result(res), pid)
    assert shown is not None and masked is not None
    f = secrets()
    assert confidential.leaks_in_text(format_text(shown), f)  # the search finds them …
    assert confidential.leaks_in_text(format_text(masked), f) == []  # … and none remain
    rules = masked.rules.set_index("规则")
    assert rules.loc["亩均税收偏低", "实际值"].startswith(access.MASKED)  # + "(3 年平均)"
    assert (
        rules.loc["亩均税收偏低", "结论"]
        == shown.rules.set_index("规则").loc["亩均税收偏低", "结论"]
    )
    figs = masked.figures.set_index("指标")
    assert figs.loc["税收", "数值"] == access.MASKED and figs.loc["容积率", "数值"] != access.MASKED
    tax = masked.scores[masked.scores["指标"].str.contains("税")]
    assert len(tax) and set(tax["数值"]) == set(tax["基准值"]) == set(tax["得分"]) == {
        access.MASKED
    }


@pytest.mark.slow  # every indicator of the map for every role: half a minute
def test_map_payload_of_a_masked_result_carries_no_confidential_figure() -> None:
    res = guest().mask_result(full())
    offered = maps.offered_indicators(res.access)
    assert offered == [
        "parcel_class", "disposition", "tier", "far", "coverage", "land_area_mu",
        maps.REVIEW_STATUS,
    ]  # fmt: skip
    assert maps.offered_indicators(None) == list(maps.INDICATORS)
    f = secrets()
    names = maps.main_names(res.parcels, res.enterprises)

    def payload(result: Result, indicator: str) -> str:
        classes = maps.classify_indicator(result.parcels, indicator, "quantiles", 5, res.rules)
        legend = maps.legend_for(indicator, classes, "quantiles")
        return maps.to_json(
            maps.parcel_payload(result.parcels, indicator, classes, legend, names=names)
        )

    for indicator in [*offered, "tax_per_mu", "output_per_mu"]:  # also if one is forced
        text = payload(res, indicator)
        assert confidential.leaks_in_text(text, f, thousands=False) == [], indicator
        assert confidential.leaks_in_payload(text, full(), f) == [], indicator
    # the search does find them in the unmasked payload
    assert confidential.leaks_in_payload(payload(full(), "tax_per_mu"), full(), f)


@pytest.mark.parametrize("suffix", report.OUTPUT_FORMATS)
def test_every_export_of_a_masked_result_holds_no_confidential_figure(
    suffix: str, tmp_path: Path
) -> None:
    f = secrets()
    out = report.write(guest().mask_result(full()), tmp_path / f"guest{suffix}")
    assert confidential.leaks_in_file(out.read_bytes(), out.name, f) == []
    control = report.write(full(), tmp_path / f"reviewer{suffix}")
    assert confidential.leaks_in_file(control.read_bytes(), control.name, f)


def test_workbook_for_a_viewer_keeps_zone_totals_only() -> None:
    viewer = access.policy("viewer", load_rules()).mask_result(full())
    sheets = report.workbook_sheets(viewer)
    zones = sheets["片区"]
    want = report.zone_table(full())
    park_total = want["tax_wan"].sum()  # the 片区 sheet ends with the 园区合计 row
    expected = [*want["tax_wan"].round(6).tolist(), round(park_total, 6)]
    assert zones[report.LABELS["tax_wan"]].round(6).tolist() == expected
    assert sheets["宗地"][report.LABELS["tax_wan"]].isna().all()
    assert sheets["企业"][report.LABELS["tax_per_mu"]].isna().all()
    assert confidential.leaks_in_frame(sheets["企业"], secrets(totals=False)) == []


@pytest.mark.parametrize("role", ["guest", "viewer"])
def test_exports_for_a_role_that_does_not_see_every_figure_leave_out_extras(
    role: str, toy_extras: Path, tmp_path: Path
) -> None:
    """The input files' own columns (extra:…) may hold anything: exported for reviewers and
    admins only, through the same policy as every confidential figure."""
    import openpyxl
    import pyogrio

    res = run(read_dataset(toy_extras), load_rules())
    seen = access.policy(role, load_rules()).mask_result(res)
    names = ("规划用途", "编码", "联系人", "Code", "code")
    values = {"一类工业用地", "物流仓储用地", "007", "010", "张三", "李四", "王五", "A1", "a1"}
    for who, result in (("reviewer", access.policy("reviewer", load_rules()).mask_result(res)),
                        (role, seen)):  # fmt: skip
        book = openpyxl.load_workbook(report.write(result, tmp_path / f"{who}.xlsx"))
        headers = [c.value for n in ("宗地", "企业") for c in book[n][1]]
        cells = {str(c) for n in ("宗地", "企业") for row in book[n].values for c in row}
        gpkg = report.write(result, tmp_path / f"{who}.gpkg")
        fields = [c for layer in ("parcels", "enterprises")
                  for c in pyogrio.read_info(gpkg, layer=layer)["fields"]]  # fmt: skip
        csv = pd.read_csv(report.write(result, tmp_path / f"{who}.csv"), dtype=str)
        shown = {f"附加:{n}" for n in names} & set(headers), values & cells
        written = {c for c in [*fields, *csv.columns] if c.startswith("extra:")}
        if who == "reviewer":  # the control: everything is there
            assert shown == ({f"附加:{n}" for n in names}, values)
            assert written == {"extra:规划用途", "extra:编码", "extra:联系人", "extra:Code",
                               "extra:code_2"}  # fmt: skip
        else:
            assert shown == (set(), set()) and written == set()
            assert not any(str(h).startswith("附加") for h in headers)
            notes = dict(list(book["说明"].values)[1:])
            assert "未包含" in notes["附加列"]
    assert seen.parcels["extra:规划用途"].isna().all()  # the masked result keeps them blank


# --- files checked before they are read ------------------------------------------------------


def test_rules_file_is_checked_before_it_is_read(tmp_path: Path) -> None:
    if Path("/dev/zero").exists():
        t = time.monotonic()
        with pytest.raises(RulesError, match="不是普通文件"):
            load_rules("/dev/zero")
        assert time.monotonic() - t < 1.0
    with pytest.raises(RulesError, match="不是普通文件"):
        load_rules(tmp_path)
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_RULES_BYTES + 1))
    with pytest.raises(RulesError, match="太大"):
        load_rules(big)
    gbk = tmp_path / "gbk.toml"  # a file saved by Notepad in GBK is read as it was written
    gbk.write_bytes("[idle]\n# 闲置\nfee_share = 0.1\n".encode("gbk"))
    assert load_rules(gbk).idle.fee_share == 0.1
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(RulesError, match="UTF-8"):
        load_rules(binary)
    ok = tmp_path / "ok.toml"
    ok.write_text("[access]\npublic_totals = true\n", encoding="utf-8")
    assert load_rules(ok).access.public_totals


def test_movers_table_is_size_limited_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "movers.csv"
    with open(big, "wb") as out:
        out.write(b"mover_id,need_mu\n")
        out.truncate(MAX_MOVERS_BYTES + 1)
    table, rep = read_movers_table(big)
    assert table is None and rep.has_errors
    assert "太大" in rep.errors[0].message and rep.errors[0].file == "movers.csv"
