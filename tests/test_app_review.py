"""Login and the review workflow in the app (streamlit.testing.v1.AppTest): guests read the
demo with confidential figures masked, other datasets need a login, reviewers change a parcel's
review with the version they read (a stale one is refused), the 审核 screen filters the queue.

Every test uses its own SQLite store (env LCGIS_DATABASE_URL); data/ is never written."""

from __future__ import annotations

import datetime as dt
import time
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")
from typing import TYPE_CHECKING

from streamlit.testing.v1 import AppTest

from lcgis import review
from lcgis.access import MASKED
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import run as evaluate
from lcgis.review import ReviewStore, User
from lcgis.rules import load_rules
from lcgis.vocab import DISPOSITION_LABELS, TIER_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PW = "correct-horse-9"
#: The dataset id of the embedded demo (reviews are kept per dataset).
DEMO = review.dataset_id(ROOT / "data")


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReviewStore]:
    """A fresh store with a reviewer 张三, a reviewer 李四 and a viewer 王五."""
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{tmp_path / 'review.sqlite'}")
    before = sorted(p.name for p in (ROOT / "data").iterdir())
    s = review.open_store()
    s.add_user("张三", PW, "reviewer")
    s.add_user("李四", PW, "reviewer")
    s.add_user("王五", PW, "viewer")
    yield s
    s.close()
    assert sorted(p.name for p in (ROOT / "data").iterdir()) == before


@cache
def parcel_ids() -> list[str]:
    return read_dataset(ROOT / "data").parcels["parcel_id"].astype(str).tolist()


def run(page: str | None = None, **session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def login(at: AppTest, name: str, password: str = PW) -> None:
    at.text_input(key="login_side_name").input(name)
    at.text_input(key="login_side_password").input(password)
    button(at, "登录").click().run()
    ok(at)


def submit(at: AppTest, pid: str, status: str, **fields: object) -> None:
    """Fill the review form of ``pid`` (first form generation) and save."""
    gen = at.session_state["review_form_gen"] if "review_form_gen" in at.session_state else 0  # noqa: SIM401 (no .get)
    at.selectbox(key=f"rv_status_{gen}_{pid}").set_value(status)
    for field, value in fields.items():
        at.text_input(key=f"rv_{field}_{gen}_{pid}").input(str(value))
    button(at, "保存").click().run()
    ok(at)


MAP = "app_pages/map.py"
REVIEW = "app_pages/review.py"


def test_guest_sees_the_demo_read_only_with_confidential_figures_masked() -> None:
    pid = parcel_ids()[3]
    at = run(MAP, lcgis_selected_parcel=pid)
    assert not any(b.label == "保存" for b in at.button)
    assert any("登录(核查或管理角色)后可修改" in c.value for c in at.caption)
    assert any("核查状态" in t.value.index for t in at.table)  # the current review, 待核查
    assert not at.get("form") or all("rv_form" not in str(f.proto) for f in at.get("form"))
    at.switch_page("app_pages/enterprises.py").run()
    ok(at)
    ent = at.dataframe[0].value
    assert ent["亩均税收(万元/亩)"].eq(MASKED).all() and ent["亩均产值(万元/亩)"].eq(MASKED).all()
    assert ent["企业名称"].notna().all()
    # the data screen: no upload for a guest
    at.switch_page("app_pages/data.py").run()
    assert any("管理员权限" in i.value for i in at.info)
    assert not at.get("file_uploader") or all(
        u.proto.label != "选择文件" for u in at.get("file_uploader")
    )


def test_card_scores_of_tax_are_masked_for_a_guest_and_shown_to_a_reviewer() -> None:
    found = False  # the first parcel whose card has score rows
    for pid in parcel_ids()[:40]:
        at = run(MAP, lcgis_selected_parcel=pid)
        scores = [d.value for d in at.dataframe if "基准值" in d.value.columns]
        if scores and not scores[0].empty:
            found = True
            break
    assert found
    tax = scores[0][scores[0]["指标"].astype(str).str.contains("税")]
    assert len(tax) and set(tax["数值"]) == {"—(仅核查人员可见)"}
    at = run(MAP, lcgis_selected_parcel=pid, lcgis_user=User("张三", "reviewer"))
    scores = [d.value for d in at.dataframe if "基准值" in d.value.columns]
    tax = scores[0][scores[0]["指标"].astype(str).str.contains("税")]
    assert "—(仅核查人员可见)" not in set(tax["数值"])


def test_another_dataset_without_login_shows_only_the_login_form(toy: Path) -> None:
    at = run(lcgis_data_dir=str(toy))
    assert [t.value for t in at.title] == ["登录"]
    assert {t.label for t in at.text_input} == {"用户名", "密码"}
    assert not at.metric and not at.dataframe and not at.get("selectbox")
    at.text_input(key="login_main_name").input("张三")
    at.text_input(key="login_main_password").input("wrong-password")
    button(at, "登录").click().run()
    assert any("用户名或密码错误" in e.value for e in at.error)
    assert [t.value for t in at.title] == ["登录"]
    at.text_input(key="login_main_name").input("张三")
    at.text_input(key="login_main_password").input(PW)
    button(at, "登录").click().run()
    ok(at)
    assert at.title[0].value == "总览"
    assert any("张三" in m.value for m in at.sidebar.markdown)


def test_an_empty_store_says_how_to_create_the_first_admin(
    toy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    at = run(lcgis_data_dir=str(toy))
    assert any("还没有任何用户" in i.value for i in at.info)
    assert any("python -m lcgis users add 名字 --role admin" in c.value for c in at.code)
    assert not (tmp_path / "empty.sqlite").exists()  # looking creates nothing


def test_reviewer_logs_in_and_changes_a_status(store: ReviewStore) -> None:
    pid = parcel_ids()[0]
    at = run(MAP, lcgis_selected_parcel=pid)
    login(at, "张三")
    assert any("张三" in m.value for m in at.sidebar.markdown)
    submit(at, pid, "核查中", assignee="赵六")
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    rv = store.get(pid, dataset=DEMO)
    assert rv is not None and rv.version == 1 and rv.status == "核查中" and rv.assignee == "赵六"
    hist = store.history(pid, dataset=DEMO)
    assert [(h.user, h.version, h.accepted, h.status) for h in hist] == [
        ("张三", 1, True, "核查中")
    ]
    # the panel shows the stored review and its history
    current = next(t.value for t in at.table if "核查状态" in t.value.index)
    assert current.loc["核查状态"].iloc[0] == "核查中" and current.loc["版本"].iloc[0] == "1"
    assert any("变更记录(1 条" in e.label for e in at.expander)
    # a second change from the same (recreated) form is based on version 1
    submit(at, pid, "已核实")
    rv = store.get(pid, dataset=DEMO)
    assert rv is not None and rv.version == 2 and rv.status == "已核实"
    # logout: back to a guest
    button(at, "退出登录").click().run()
    ok(at)
    assert not any(b.label == "保存" for b in at.button)


def test_a_stale_version_is_refused_and_nothing_is_overwritten(store: ReviewStore) -> None:
    pid = parcel_ids()[1]
    at = run(MAP, lcgis_selected_parcel=pid, lcgis_user=User("张三", "reviewer"))
    assert any(b.label == "保存" for b in at.button)
    other = store.get_user("李四")
    assert other is not None
    store.set_review(
        pid, dataset=DEMO, by=other, expect_version=0, status="列入腾笼换鸟计划"
    )  # behind the back
    submit(at, pid, "不予处置")
    errors = [e.value for e in at.error]
    assert any("李四" in e and "未保存" in e for e in errors), errors
    rv = store.get(pid, dataset=DEMO)
    assert rv is not None and rv.status == "列入腾笼换鸟计划" and rv.version == 1
    refused = [h for h in store.history(pid, dataset=DEMO) if not h.accepted]
    assert len(refused) == 1 and refused[0].user == "张三"
    # reload: the form now reads version 1 and the change goes through
    button(at, "重新读取最新记录").click().run()
    submit(at, pid, "不予处置")
    rv = store.get(pid, dataset=DEMO)
    assert rv is not None and rv.status == "不予处置" and rv.version == 2


def test_a_viewer_cannot_change(store: ReviewStore) -> None:
    pid = parcel_ids()[2]
    at = run(MAP, lcgis_selected_parcel=pid)
    login(at, "王五")
    assert any("查看角色" in c.value for c in at.caption)
    assert not any(b.label == "保存" for b in at.button)
    at.switch_page("app_pages/enterprises.py").run()
    assert at.dataframe[0].value["亩均税收(万元/亩)"].eq(MASKED).all()
    assert store.get(pid, dataset=DEMO) is None


def test_review_screen_counts_and_filters(store: ReviewStore) -> None:
    ids = parcel_ids()
    user = store.get_user("张三")
    assert user is not None
    old = dt.date(2020, 1, 1)
    store.set_review(ids[0], dataset=DEMO, by=user, status="核查中", due_date=old, assignee="赵六")
    store.set_review(ids[1], dataset=DEMO, by=user, status="已处置", due_date=old)
    store.set_review(ids[2], dataset=DEMO, by=user, status="核查中", due_date=dt.date(2099, 1, 1))
    at = run(REVIEW)
    assert at.title[0].value == "审核"
    m = {x.label: x.value for x in at.metric}
    assert m["核查中"] == "2 宗" and m["已处置"] == "1 宗" and m["逾期"] == "1 宗"
    assert m["待核查"] == f"{len(ids) - 3:,} 宗"
    table = at.dataframe[0].value
    assert len(table) == len(ids)
    assert table.set_index("宗地编号").loc[ids[5], "核查状态"] == "待核查"
    at.multiselect(key="rq_status").set_value(["核查中"]).run()
    assert sorted(at.dataframe[0].value["宗地编号"]) == sorted([ids[0], ids[2]])
    at.checkbox(key="rq_overdue").check().run()
    assert at.dataframe[0].value["宗地编号"].tolist() == [ids[0]]
    at.multiselect(key="rq_status").set_value([]).run()
    assert at.dataframe[0].value["宗地编号"].tolist() == [ids[0]]  # 已处置 is never overdue
    at.checkbox(key="rq_overdue").uncheck().run()
    at.selectbox(key="rq_assignee").set_value("赵六").run()
    assert at.dataframe[0].value["宗地编号"].tolist() == [ids[0]]
    assert at.get("download_button")


def legend_counts(at: AppTest) -> pd.Series:
    box = next(e for e in at.expander if e.label.startswith("图例与分级统计"))
    assert "核查状态" in box.label
    return box.dataframe[0].value.set_index("分级")["宗地数(宗)"]


def test_map_colours_by_review_status_and_refreshes_after_a_change(store: ReviewStore) -> None:
    ids = parcel_ids()
    at = run(MAP)
    at.selectbox(key="map_indicator").set_value("review_status").run()
    ok(at)
    legend = legend_counts(at)
    assert legend["待核查"] == len(ids) and legend["已处置"] == 0
    user = store.get_user("张三")
    assert user is not None
    store.set_review(ids[0], dataset=DEMO, by=user, status="已处置")
    at.run()
    legend = legend_counts(at)
    assert legend["待核查"] == len(ids) - 1 and legend["已处置"] == 1


def test_queue_frame_is_aligned_with_the_parcels() -> None:
    at = run(REVIEW)
    table = at.dataframe[0].value
    assert isinstance(table, pd.DataFrame)
    assert sorted(table["宗地编号"]) == sorted(parcel_ids())  # every parcel once


def test_queue_shows_each_parcel_disposition_and_tier_and_filters_by_it() -> None:
    res = evaluate(read_dataset(ROOT / "data"), load_rules())
    at = run(REVIEW)
    table = at.dataframe[0].value
    p = res.parcels.set_index(res.parcels["parcel_id"].astype(str))
    ids = table["宗地编号"].tolist()
    want_kind = [DISPOSITION_LABELS.get(d, "") for d in p.loc[ids, "disposition"]]
    assert table["处置方式"].tolist() == want_kind
    assert table["梯队"].tolist() == [TIER_LABELS.get(t, "") for t in p.loc[ids, "tier"]]
    at.multiselect(key="rq_disposition").set_value([DISPOSITION_LABELS["buyback"]]).run()
    shown = at.dataframe[0].value
    assert shown["宗地编号"].tolist() == [i for i in ids if p.loc[i, "disposition"] == "buyback"]


# --- the installation's users across datasets, roles re-read, login back-off, idle logout ------


def test_switching_datasets_keeps_the_login_and_the_reviews_apart(
    store: ReviewStore, toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lcgis-app.toml"  # the server offers the toy park beside the demo
    config.write_text(f'[datasets]\n"小园区" = "{toy.as_posix()}"\n', encoding="utf-8")
    monkeypatch.setenv("LCGIS_APP_CONFIG", str(config))
    pid = parcel_ids()[0]
    at = run(MAP, lcgis_selected_parcel=pid)
    login(at, "张三")
    submit(at, pid, "核查中")
    # another dataset, switched as the app does it (ui.state.switch_dataset)
    at.session_state["lcgis_data_dir"] = str(toy)
    at.session_state["lcgis_data_generation"] = 1
    at.session_state["lcgis_selected_parcel"] = "P1"
    at.run()
    ok(at)
    assert any("张三" in m.value for m in at.sidebar.markdown)  # still logged in
    submit(at, "P1", "已核实", assignee="赵六")
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    toy_id = review.dataset_id(toy)
    rv = store.get("P1", dataset=toy_id)
    assert rv is not None and (rv.status, rv.version, rv.assignee) == ("已核实", 1, "赵六")
    demo = store.get(pid, dataset=DEMO)
    assert demo is not None and demo.status == "核查中" and demo.version == 1
    at.switch_page(REVIEW).run()
    ok(at)
    m = {x.label: x.value for x in at.metric}
    assert m["已核实"] == "1 宗" and m["核查中"] == "0 宗" and m["待核查"] == "1 宗"
    assert store.verify().ok


def test_the_role_is_reread_on_every_run(store: ReviewStore) -> None:
    pid = parcel_ids()[4]
    at = run(MAP, lcgis_selected_parcel=pid)
    login(at, "张三")
    assert any(b.label == "保存" for b in at.button)
    store.set_role("张三", "viewer")
    at.run()
    ok(at)
    assert not any(b.label == "保存" for b in at.button)
    assert any("查看角色" in c.value for c in at.caption)
    store.remove_user("张三")
    at.run()
    ok(at)
    assert not any("张三" in m.value for m in at.sidebar.markdown)  # logged out
    assert any(b.label == "登录" for b in at.button)


def test_five_failed_logins_pause_the_login_for_that_name_and_client(store: ReviewStore) -> None:
    at = run()
    login(at, "张三", "wrong-password")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]
    for _ in range(3):  # three more from elsewhere in the same browser (another tab)
        assert store.login("张三", "wrong-password", client="本机").retry_after_s == 0
    login(at, "张三", "wrong-password")  # the fifth
    assert any("用户名或密码错误" in e.value and "暂停 30 秒" in e.value for e in at.error)
    login(at, "张三", PW)  # the right password, but paused
    assert any("失败次数过多" in e.value for e in at.error)
    assert not any("张三" in m.value for m in at.sidebar.markdown)
    again = run()  # a new session: the counters are in the store, not the session
    login(again, "张三", PW)
    assert any("失败次数过多" in e.value for e in again.error)
    assert {(e.user, e.client, e.outcome) for e in store.login_log()} == {
        ("张三", "本机", "failed")
    }
    store.unlock(user="张三", client="本机")
    login(again, "张三", PW)
    assert any("张三" in m.value for m in again.sidebar.markdown)


def test_an_idle_session_is_logged_out(store: ReviewStore, monkeypatch: pytest.MonkeyPatch) -> None:
    user = User("张三", "reviewer")
    at = run(lcgis_user=user, lcgis_last_active=time.time() - 31 * 60)
    assert not any("张三" in m.value for m in at.sidebar.markdown)
    assert any("30 分钟未操作" in w.value for w in at.sidebar.warning)  # said once, where to log in
    at.run()
    assert not any("未操作" in w.value for w in at.warning)
    at = run(MAP, lcgis_user=user, lcgis_last_active=time.time() - 29 * 60)
    assert any("张三" in m.value for m in at.sidebar.markdown)
    monkeypatch.setenv("LCGIS_SESSION_IDLE_MINUTES", "5")
    at = run(MAP, lcgis_user=user, lcgis_last_active=time.time() - 6 * 60)
    assert not any("张三" in m.value for m in at.sidebar.markdown)


def test_the_client_of_a_login() -> None:
    from ui.auth import client_from

    assert client_from("10.1.2.3", {"X-Real-IP": "1.1.1.1"}) == "10.1.2.3"  # header not trusted
    assert client_from("10.0.0.1", {"x-real-ip": " 1.1.1.1 "}, "X-Real-IP") == "1.1.1.1"
    assert client_from("10.0.0.1", {"X-Forwarded-For": "6.6.6.6, 2.2.2.2"}, "X-Forwarded-For") == (
        "2.2.2.2"  # the address the trusted proxy appended, not what the browser claimed
    )
    assert client_from("10.0.0.1", {}, "X-Real-IP") == "10.0.0.1"
    assert client_from(None, {}) == client_from(object(), {}) == "本机"


def test_queue_is_in_disposition_tier_priority_order_and_takes_the_new_statuses(
    store: ReviewStore,
) -> None:
    from lcgis.vocab import DISPOSITIONS, TIERS

    user = store.get_user("张三")
    assert user is not None
    res = evaluate(read_dataset(ROOT / "data"), load_rules())
    p = res.parcels.assign(parcel_id=res.parcels["parcel_id"].astype(str))
    want: list[str] = []
    for kind in DISPOSITIONS:
        for tier in TIERS:
            rows = p[(p["disposition"] == kind) & (p["tier"] == tier)]
            rows = rows.sort_values(["priority", "parcel_id"], ascending=[False, True])
            want += rows["parcel_id"].tolist()
    want += sorted(p.loc[p["disposition"].isna(), "parcel_id"])
    for status in ("列入收储改造计划", "列入无偿收回程序"):
        assert status in review.STATUSES
    pid = want[0]
    store.set_review(pid, dataset=DEMO, by=user, status="列入收储改造计划")
    store.set_review(want[1], dataset=DEMO, by=user, status="列入无偿收回程序")
    saved = store.get(pid, dataset=DEMO)
    assert saved is not None and saved.status == "列入收储改造计划"
    at = run(REVIEW, lcgis_user=user)
    m = {x.label: x.value for x in at.metric}
    assert m["列入收储改造计划"] == "1 宗" and m["列入无偿收回程序"] == "1 宗"
    table = at.dataframe[0].value
    assert table["宗地编号"].tolist() == want
    kinds = table["处置方式"].tolist()
    assert kinds[0] == DISPOSITION_LABELS[str(p.set_index("parcel_id").loc[pid, "disposition"])]
    assert table["梯队"].iloc[0] == TIER_LABELS[str(p.set_index("parcel_id").loc[pid, "tier"])]
