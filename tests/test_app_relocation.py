"""The 搬迁规划 screen under streamlit.testing.v1.AppTest: it renders on the demo, solves the
example movers to the library's own figures, refuses invalid movers, saves and compares plans
(in a temporary review store, never the repository's data/), and does not re-solve on reruns.
A plan weighs confidential figures: the screen is seen as a reviewer; guests and viewers may
not plan."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from argon2 import PasswordHasher

pytest.importorskip("streamlit")
from typing import TYPE_CHECKING

from streamlit.testing.v1 import AppTest

from lcgis import review
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.plan import relocation
from lcgis.plan import view as plan_map
from lcgis.plan.movers import read_movers, read_movers_table
from lcgis.review import ReviewStore, User
from lcgis.rules import load_rules
from ui import relocation as reloc

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from lcgis.plan.relocation import RelocationPlan

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "app_pages/relocation.py"
EXAMPLE = ROOT / "data" / "movers_example.csv"


@pytest.fixture(autouse=True)
def temp_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test saves into its own SQLite store; data/ is never written."""
    db = tmp_path / "r.sqlite"
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{db}")
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with review.open_store(hasher=fast) as s:  # the app re-reads the session user's role
        s.add_user("核查员", "reviewer-password", "reviewer")
    before = sorted(p.name for p in (ROOT / "data").iterdir())
    yield db
    assert sorted(p.name for p in (ROOT / "data").iterdir()) == before


def assert_shown(shown: pd.Series, want: pd.Series) -> None:
    """The figures a table shows (numbers, or text such as "2,139.2" where the column has
    gaps) equal ``want`` at the precision shown; a blank cell is a missing value."""
    assert len(shown) == len(want)
    for text, value in zip(shown.tolist(), want.tolist(), strict=True):
        if isinstance(text, int | float) and not isinstance(text, bool):
            assert (pd.isna(text) and pd.isna(value)) or text == pytest.approx(value), (text, value)
            continue
        cell = str(text).replace(",", "").strip()
        if cell in ("", "—"):
            assert pd.isna(value), (text, value)
            continue
        decimals = len(cell.split(".")[1]) if "." in cell else 0
        assert float(cell) == pytest.approx(round(float(value), decimals), abs=1e-9), (text, value)


def nothing_saved() -> bool:
    """The test's store holds no saved plan and no change (it only holds the test's user)."""
    with review.open_store() as s:
        return not s.plans() and s.verify().entries == 0


@cache
def library(year: int | None, as_of: dt.date) -> Result:
    return run(read_dataset(ROOT / "data"), load_rules(), year=year, as_of=as_of)


def direct_plan(at: AppTest, objective: str = "tax") -> RelocationPlan:
    """What lcgis.plan.relocation.plan gives for the example movers with the screen's defaults."""
    res = library(at.session_state["lcgis_year"], at.session_state["lcgis_as_of"])
    ids = set(res.parcels["parcel_id"].astype(str))
    movers, _rep = read_movers(EXAMPLE, parcel_ids=ids)
    return relocation.plan(res, movers, objective=objective, time_limit_s=60.0)


def page(**state: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in {"lcgis_user": User("核查员", "reviewer"), **state}.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def frame(at: AppTest, *columns: str, exact: bool = False) -> pd.DataFrame:
    """The first shown table that has these columns (exactly these, with ``exact``)."""
    for d in at.dataframe:
        cols = [str(c) for c in d.value.columns]
        if (cols == list(columns)) if exact else set(columns) <= set(cols):
            return d.value
    shown = [list(d.value.columns) for d in at.dataframe]
    raise AssertionError(f"no table with {columns}: {shown}")


def solve(at: AppTest) -> AppTest:
    at.button(key="reloc_solve").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_screen_renders_on_the_demo_with_the_example_movers(temp_store: Path) -> None:
    at = page()
    assert at.title[0].value == "搬迁规划"
    assert nothing_saved()  # looking at saved plans writes nothing
    assert not at.error, [e.value for e in at.error]
    editor = frame(at, "mover_id", "need_mu")
    want = pd.read_csv(EXAMPLE, encoding="utf-8-sig")
    assert editor["mover_id"].astype(str).tolist() == want["mover_id"].tolist()
    assert not at.button(key="reloc_solve").disabled
    for kind in ("reclaim", "buyback", "vacate", "undev"):  # the disposition land, by default
        assert at.checkbox(key=f"reloc_use_{kind}").value is True
    assert at.radio(key="reloc_objective").value == "tax"
    assert not any(s.value == "3. 搬迁方案" for s in at.subheader)  # nothing solved yet


def test_solving_the_example_shows_the_library_figures() -> None:
    at = solve(page())
    rp = direct_plan(at)
    assert not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("求解状态：已证明最优") for s in at.success)
    shown = frame(at, "搬迁企业编号", "安排宗地编号", "预期税收(万元)")
    shown = shown[["搬迁企业编号", "安排宗地编号", "预期税收(万元)", "说明"]]
    want = rp.plan
    assert shown["搬迁企业编号"].tolist() == want["mover_id"].tolist()
    assert shown["安排宗地编号"].tolist() == want["parcel_ids"].tolist()
    assert shown["说明"].tolist() == want["reason"].tolist()
    assert_shown(shown["预期税收(万元)"], want["expected_tax_wan"])
    # unplaced movers with their reasons
    placed = want["parcel_ids"].ne("")
    unplaced = frame(at, "搬迁企业编号", "企业名称", "需求用地(亩)", "行业代码", "说明", exact=True)
    assert unplaced["搬迁企业编号"].tolist() == want.loc[~placed, "mover_id"].tolist()
    assert unplaced["说明"].tolist() == want.loc[~placed, "reason"].tolist()
    # before/after per zone and 全园
    ba = frame(at, "片区", "指标", "搬迁前", "搬迁后")
    assert ba["片区"].tolist() == rp.before_after["zone_name"].tolist()
    assert "全园" in ba["片区"].tolist()
    assert ba["指标"].tolist() == rp.before_after["label"].tolist()
    assert_shown(ba["搬迁后"], rp.before_after["after"])
    assert_shown(ba["变化"], rp.before_after["change"])
    metrics = {m.label: m for m in at.metric}
    assert metrics["已安排企业(家)"].value == f"{int(placed.sum())} / {len(want)}"
    park = rp.before_after[rp.before_after["zone_id"] == "park"].set_index("figure")["after"]
    assert metrics["全园税收(万元)"].value == f"{float(park['tax_wan']):,.0f}"
    # the download is the plan workbook
    assert len(at.get("download_button")) == 1


def test_an_invalid_mover_shows_the_chinese_error_and_no_plan() -> None:
    movers = read_movers_table(EXAMPLE)[0]
    assert movers is not None
    movers.loc[2, "need_mu"] = -5.0
    at = page(
        **{reloc.MOVERS: movers, reloc.MOVERS_DIR: str(ROOT / "data")},
    )
    errors = [e.value for e in at.error]
    assert any("搬迁企业表有 1 处错误" in e for e in errors), errors
    lines = [m.value for m in at.markdown]
    assert any("第 3 行" in m and "需求用地" in m and "不大于0" in m for m in lines), lines
    assert at.button(key="reloc_solve").disabled
    at.run()
    assert not at.success and not at.metric
    assert not any(s.value == "3. 搬迁方案" for s in at.subheader)


@pytest.mark.parametrize("user", [None, User("王五", "viewer")])
def test_guests_and_viewers_cannot_plan(temp_store: Path, user: User | None) -> None:
    at = page(lcgis_user=user)
    assert any("仅核查人员和管理员可用" in str(i.value) for i in at.info)
    assert not [b for b in at.button if b.key == "reloc_solve"]
    assert not at.get("download_button") and not at.dataframe
    assert nothing_saved()


def test_save_two_plans_and_compare_them(temp_store: Path) -> None:
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with ReviewStore(f"sqlite:///{temp_store}", hasher=fast) as s:  # the role is re-read
        s.add_user("张三", "zhangsan-password", "reviewer")
    at = solve(page(lcgis_user=User("张三", "reviewer")))
    at.text_input(key="reloc_plan_name").input("税收优先").run()
    at.button(key="reloc_save").click().run()
    assert any("已保存方案“税收优先”(保存人：张三)" in s.value for s in at.success)
    at.radio(key="reloc_objective").set_value("output").run()
    assert any("请点击“求解”" in i.value for i in at.info)  # inputs changed: not shown stale
    solve(at)
    at.text_input(key="reloc_plan_name").input("产值优先").run()
    at.button(key="reloc_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert temp_store.is_file()
    totals = frame(at, "项目")
    assert set(totals.columns[1:3]) == {"税收优先", "产值优先"}
    want = {
        "税收优先": plan_map.plan_totals(plan_map.plan_payload(direct_plan(at, "tax"), {})),
        "产值优先": plan_map.plan_totals(plan_map.plan_payload(direct_plan(at, "output"), {})),
    }
    rows = totals.set_index("项目")
    for name, figures in want.items():
        for code, label in plan_map.TOTALS.items():
            assert rows.loc[label, name] == pytest.approx(figures[code]), (name, label)
    zones = frame(at, "片区", f"税收变化(万元)·{totals.columns[1]}")
    assert zones["片区"].iloc[-1] == "全园"
    captions = " ".join(c.value for c in at.caption)
    assert "税收优先" in captions and "产值优先" in captions
    # the same name again is refused unless overwrite is ticked
    at.text_input(key="reloc_plan_name").input("税收优先").run()
    at.button(key="reloc_save").click().run()
    assert any("已存在" in e.value for e in at.error)


def test_reruns_do_not_solve_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = relocation.plan

    def counting(*args: object, **kwargs: object) -> RelocationPlan:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(relocation, "plan", counting)
    reloc._plans.clear()
    at = solve(page())
    assert len(calls) == 1
    at.run()  # a plain rerun
    at.selectbox(key="reloc_basemap").set_value("none").run()
    assert len(calls) == 1
    assert any(s.value.startswith("求解状态") for s in at.success)
    solve(at)  # 求解 again with the same inputs: from the cache
    assert len(calls) == 1
    at.checkbox(key="reloc_use_vacate").set_value(False).run()
    solve(at)
    assert len(calls) == 2


def test_a_bad_upload_comes_back_editable(tmp_path: Path) -> None:
    f = tmp_path / "movers.csv"
    f.write_text("企业编号,企业名称,需求用地（亩）,行业代码\nM1,甲,约8,3911\n", encoding="utf-8")
    table, rep = read_movers_table(f)
    assert table is not None and table["mover_id"].tolist() == ["M1"]
    assert rep.has_errors
    assert plan_map.issue_rows(rep).iloc[0]["字段"] == "需求用地(亩)"
    assert read_movers_table(tmp_path / "x.txt")[0] is None


def test_a_plan_stopped_by_the_time_limit_shows_its_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    """The solver stopped at the limit (stubbed: the demo solves at once): the screen shows
    the gap; the limit typed in is the one the solver got; above the notice size the
    expected time is said."""
    from lcgis.plan import solver

    got: list[float | None] = []

    def stopped(a: object, v: object, b: object, **kw: object) -> solver.Solution:
        got.append(kw.get("time_limit_s"))  # type: ignore[arg-type]
        n = len(v)  # type: ignore[arg-type]
        return solver.Solution(np.zeros(n, dtype=bool), solver.LIMIT, 0.038, 1.0, n)

    monkeypatch.setattr(solver, "solve", stopped)
    monkeypatch.setattr(solver, "NOTICE_FROM", 1)
    at = page()
    assert any("预计求解约" in str(i.value) for i in at.info), [i.value for i in at.info]
    at.number_input(key="reloc_time_limit").set_value(25).run()
    solve(at)
    assert got == [25.0]
    warnings = [w.value for w in at.warning]
    assert any("与最优解差距不超过 3.8%" in w for w in warnings), warnings
