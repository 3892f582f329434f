"""The review workflow in the app: the panel under a parcel's 体检表, the review queue, the
review-status map colouring and the export.

Reads go to the installation's store (:func:`ui.auth.store`), for the current dataset
(:func:`ui.auth.dataset_id`); cached frames are keyed by the store URL, the dataset and the seq
of the store's newest history entry, so they refresh after any change.

A change is made with the version the form read (kept in session state when the form's
widgets are created from the stored review) as ``expect_version``: if someone else changed
the parcel meanwhile, the store refuses with its Chinese message and nothing is overwritten.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from lcgis import review
from lcgis.errors import ChangeRefused, LcgisError, StaleVersionError
from lcgis.views import maps, report, search
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS, QUEUE_LABELS, TIERS

from . import auth, keys, render, state

FORM_VERSION = keys.FORM_VERSION  # {parcel id: version the form's values were read at}
FORM_GEN = keys.FORM_GEN  # bumped to recreate the form's widgets from the store
MESSAGE = keys.FORM_MESSAGE  # (kind, text) of the last save, shown once
CLOSED = ("已处置", "不予处置")
#: Flags of the queue: (parcel column, Chinese header).
FLAGS: tuple[tuple[str, str], ...] = (
    ("idle", "闲置"),
    ("inefficient", "低效"),
    ("in_construction", "在建"),
)
#: Coded columns of the queue shown in Chinese: the disposition and the tier of its list.
CODED: tuple[tuple[str, str], ...] = (("disposition", "处置方式"), ("tier", "梯队"))


# --- cached reads ----------------------------------------------------------------------------


def stamp() -> tuple[str, str, int]:
    """(store URL, dataset id, seq of the store's newest history entry): the key of
    everything read from it."""
    try:
        dataset = auth.dataset_id()
    except LcgisError as exc:  # a bad dataset.toml: say so instead of guessing the dataset
        st.error(f"无法确定数据集：{render.md(exc)}")
        st.stop()
    return auth.store_url(), dataset, auth.last_seq(auth.store())


@st.cache_data(show_spinner=False, max_entries=16)
def _reviews(url: str, dataset: str, seq: int) -> pd.DataFrame:  # noqa: ARG001
    s = auth.store_at(url)
    if s is None:
        return pd.DataFrame(columns=list(review.REVIEW_LABELS))
    return s.reviews_frame(dataset)


@st.cache_data(show_spinner="正在生成文件…", max_entries=8)
def export_bytes(url: str, dataset: str, seq: int) -> bytes:  # noqa: ARG001
    """The dataset's decisions and history (``export_xlsx``) as .xlsx bytes."""
    s = auth.store_at(url)
    if s is None:
        return b""
    with tempfile.TemporaryDirectory(prefix="lcgis-review-") as tmp:
        return s.export_xlsx(Path(tmp) / "review.xlsx", dataset=dataset).read_bytes()


def reviews() -> pd.DataFrame:
    """Current reviews of the dataset (English columns of ``reviews_frame``)."""
    return _reviews(*stamp())


def map_columns(ctx: state.Context) -> tuple[str, dict[str, pd.Series]]:
    """(stamp, {"review_status": status per parcel}) for ``state.map_payload``."""
    url, dataset, seq = stamp()
    ids = ctx.result.parcels["parcel_id"].astype(str)
    frame = _reviews(url, dataset, seq)
    by_id = dict(zip(frame["parcel_id"].astype(str), frame["status"], strict=True))
    status = ids.map(lambda i: by_id.get(i, review.DEFAULT_STATUS))
    return f"{url}#{dataset}#{seq}", {maps.REVIEW_STATUS: status}


def queue(ctx: state.Context, today: dt.date | None = None) -> pd.DataFrame:
    """Every parcel with its review (待核查 when never reviewed), zone and flags; ``overdue``
    when the due date is before ``today`` and the status is not closed."""
    today = today or dt.date.today()
    p = ctx.result.parcels
    out = pd.DataFrame({"parcel_id": p["parcel_id"].astype(str).to_numpy()})
    out["zone_name"] = (
        p["zone_name"].astype("string").fillna("").to_numpy() if "zone_name" in p else ""
    )
    out["land_area_mu"] = pd.to_numeric(p.get("land_area_mu"), errors="coerce").to_numpy()
    for col, _ in FLAGS:
        on = p[col].astype("boolean").fillna(False) if col in p else pd.Series(False, index=p.index)
        out[col] = on.to_numpy(dtype=bool)
    for col, _ in CODED:
        values = p[col] if col in p else pd.Series(None, index=p.index)
        out[col] = pd.Series([report.value_zh(col, v) for v in values], index=out.index)
    r = reviews().astype({"parcel_id": str})
    out = out.merge(r, on="parcel_id", how="left")
    out["status"] = out["status"].fillna(review.DEFAULT_STATUS)
    out["version"] = pd.to_numeric(out["version"], errors="coerce").fillna(0).astype(int)
    due = pd.to_datetime(out["due_date"], errors="coerce")
    out["overdue"] = (due < pd.Timestamp(today)).to_numpy() & ~out["status"].isin(CLOSED)
    out["due_date"] = due.dt.date.astype(object).where(due.notna(), None)
    # the order of the 候选 lists: disposition, tier, priority (higher first), parcel id
    kinds = p["disposition"] if "disposition" in p else pd.Series(None, index=p.index)
    tiers = p["tier"] if "tier" in p else pd.Series(None, index=p.index)
    prio = pd.to_numeric(p.get("priority", pd.Series(np.nan, index=p.index)), errors="coerce")
    order = pd.DataFrame(
        {
            "parcel_id": p["parcel_id"].astype(str).to_numpy(),
            "_d": kinds.map({d: i for i, d in enumerate(DISPOSITIONS)}).fillna(len(DISPOSITIONS)),
            "_t": tiers.map({t: i for i, t in enumerate(TIERS)}).fillna(len(TIERS)),
            "_p": -prio.fillna(-np.inf).to_numpy(),
        }
    )
    out = out.merge(order, on="parcel_id", how="left")
    out = out.sort_values(["_d", "_t", "_p", "parcel_id"], kind="stable")
    return out.drop(columns=["_d", "_t", "_p"]).reset_index(drop=True)


def queue_view(q: pd.DataFrame) -> pd.DataFrame:
    """The queue with Chinese headers and 是/空 flags."""
    view = q[list(QUEUE_LABELS)].copy()
    for col in [c for c, _ in FLAGS] + ["overdue"]:
        view[col] = view[col].map(lambda b: "是" if b else "")
    return view.rename(columns=QUEUE_LABELS)


# --- the 审核 screen -------------------------------------------------------------------------

#: Status tiles per row (a label such as 列入无偿收回程序 reads whole at this width).
PER_ROW = 5


def status_tiles(q: pd.DataFrame) -> None:
    """Parcels per review status, and the overdue ones."""
    counts = q["status"].value_counts()
    tiles = [(s, int(counts.get(s, 0))) for s in review.STATUSES]
    tiles.append(("逾期", int(q["overdue"].sum())))
    for start in range(0, len(tiles), PER_ROW):
        row = tiles[start : start + PER_ROW]
        for col, (status, n) in zip(st.columns(PER_ROW), row, strict=False):
            col.metric(status, f"{n:,} 宗")


def queue_filters(q: pd.DataFrame) -> pd.DataFrame:
    """The filter widgets (状态, 片区, 处置方式, 责任人, 逾期) and the queue rows they keep."""
    f1, f2, f5, f3, f4 = st.columns([3, 2, 2, 2, 1], vertical_alignment="bottom")
    statuses = f1.multiselect(
        "核查状态", list(review.STATUSES), key=keys.RQ_STATUS, placeholder="全部状态"
    )
    zones = f2.multiselect(
        "片区", sorted({z for z in q["zone_name"] if z}), key=keys.RQ_ZONE, placeholder="全部片区"
    )
    kinds = f5.multiselect(
        "处置方式", list(DISPOSITION_LABELS.values()), key=keys.RQ_DISPOSITION, placeholder="全部"
    )
    people = sorted({str(a) for a in q["assignee"].dropna() if str(a)})
    assignee = f3.selectbox("责任人", [search.ALL, *people], key=keys.RQ_ASSIGNEE)
    overdue = f4.checkbox("只看逾期", key=keys.RQ_OVERDUE)
    return search.filter_queue(
        q, statuses=statuses, zones=zones, kinds=kinds, assignee=str(assignee), overdue=overdue
    )


def queue_table(ctx: state.Context, shown: pd.DataFrame) -> None:
    """The queue rows as shown (policy-hidden columns blank)."""
    st.markdown(f"**共 {len(shown):,} 宗**")
    view = queue_view(shown)
    render.table(
        view,
        key=keys.RQ_TABLE,
        height=460,
        hidden=render.hidden_labels(ctx.result.access, view.columns),
    )


def export_button(q: pd.DataFrame, today: dt.date) -> None:
    """The dataset's decisions and history as a workbook (once there are any)."""
    url, dataset, seq = stamp()
    if not (q["version"] > 0).any():
        st.caption("尚无核查记录可导出。")
        return
    st.download_button(
        "导出核查状态和变更记录(.xlsx)",
        data=export_bytes(url, dataset, seq),
        file_name=f"核查记录_{today.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=keys.RQ_EXPORT,
        icon=":material/download:",
    )


# --- the panel -------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return "—"
    return str(value)


def _current_table(rv: review.Review) -> None:
    rows = [
        ("核查状态", rv.status),
        ("原因", _text(rv.reason)),
        ("责任人", _text(rv.assignee)),
        ("办理期限", rv.due_date.isoformat() if rv.due_date else "—"),
        ("备注", _text(rv.note)),
        ("标签", "、".join(rv.tags) or "—"),
        ("版本", str(rv.version)),
        ("最后修改人", _text(rv.updated_by)),
        ("最后修改时间", review.format_time(rv.updated_at) or "—"),
    ]
    st.table(pd.DataFrame(rows, columns=["项目", "值"]).set_index("项目"))


def _history(s: review.ReviewStore | None, dataset: str, parcel_id: str) -> None:
    frame = s.history_frame(parcel_id, dataset=dataset) if s is not None else pd.DataFrame()
    with st.expander(f"变更记录({len(frame)} 条，最新在前)", expanded=False):
        if frame.empty:
            st.caption("尚无变更记录。")
            return
        frame = frame.sort_values("seq", ascending=False)
        frame["accepted"] = frame["accepted"].map({True: "是", False: "否"})
        cols = ["time", "user", "version", "status", "accepted", "message"]
        cols += ["reason", "assignee", "due_date", "tags", "note"]
        st.dataframe(
            frame[cols].rename(columns=review.HISTORY_LABELS),
            hide_index=True,
            width="stretch",
            key=keys.HISTORY_PREFIX + parcel_id,
        )


def _keys(parcel_id: str) -> dict[str, str]:
    gen = int(st.session_state.get(FORM_GEN, 0))
    return {f: keys.sub(keys.FORM_PREFIX + f, gen, parcel_id) for f in review.REVIEW_FIELDS}


def _save(parcel_id: str) -> None:
    """Form callback (runs before the rerun, so the panel then shows the stored result)."""
    ss = st.session_state
    wk = _keys(parcel_id)
    user = auth.current_user()
    s = auth.store() if user is not None else None
    if user is None or not user.can_review:
        ss[MESSAGE] = ("error", "只有核查人员或管理员可以修改核查状态。")
        return
    if s is None:  # logged in, so the store exists; it may have failed to open
        ss[MESSAGE] = ("error", "无法打开核查数据库，修改未保存。")
        return
    expect = int(ss.get(FORM_VERSION, {}).get(parcel_id, 0))

    def text(field: str) -> str | None:
        value = str(ss.get(wk[field]) or "").strip()
        return value or None

    try:
        done = s.set_review(
            parcel_id,
            dataset=auth.dataset_id(),
            by=user,
            expect_version=expect,
            status=str(ss.get(wk["status"])),
            reason=text("reason"),
            assignee=text("assignee"),
            due_date=ss.get(wk["due_date"]),
            note=text("note"),
            tags=str(ss.get(wk["tags"]) or ""),
        )
    except StaleVersionError as exc:
        ss[MESSAGE] = ("stale", str(exc))
        return
    except ChangeRefused as exc:
        ss[MESSAGE] = ("error", str(exc))
        return
    except LcgisError as exc:
        ss[MESSAGE] = ("error", f"保存失败：{render.public_text(exc)}")
        return
    _reload()
    ss[MESSAGE] = ("success", f"已保存：{done.entry.message}(版本 {done.review.version})")


def _reload() -> None:
    """Recreate the form from the stored review (and the version it has now)."""
    ss = st.session_state
    ss[FORM_GEN] = int(ss.get(FORM_GEN, 0)) + 1
    ss[FORM_VERSION] = {}


def _show_message() -> None:
    msg = st.session_state.pop(MESSAGE, None)
    if not msg:
        return
    kind, text = msg
    if kind == "success":
        st.success(render.md(text))
    else:
        st.error(render.md(text))
        if kind == "stale":
            st.button("重新读取最新记录", key=keys.FORM_RELOAD, on_click=_reload)


def _form(parcel_id: str, rv: review.Review) -> None:
    ss = st.session_state
    wk = _keys(parcel_id)
    read: dict[str, int] = ss.setdefault(FORM_VERSION, {})
    if wk["status"] not in ss or parcel_id not in read:
        read[parcel_id] = rv.version  # the widgets below are created from this version
    reasons = list(review.REASONS)
    if rv.reason and rv.reason not in reasons:
        reasons.append(rv.reason)
    with st.form(keys.FORM_PREFIX + f"form_{parcel_id}", border=True):
        st.markdown("**修改核查记录**")
        c1, c2 = st.columns(2)
        c1.selectbox(
            "核查状态",
            list(review.STATUSES),
            index=list(review.STATUSES).index(rv.status) if rv.status in review.STATUSES else 0,
            key=wk["status"],
        )
        c2.selectbox(
            "原因",
            reasons,
            index=reasons.index(rv.reason) if rv.reason in reasons else None,
            key=wk["reason"],
            accept_new_options=True,
            placeholder="选择或输入原因",
            help="政府原因造成的闲置不收闲置费；也可输入其他原因",
        )
        c3, c4 = st.columns(2)
        c3.text_input("责任人", value=rv.assignee or "", key=wk["assignee"])
        c4.date_input(
            "办理期限",
            value=rv.due_date,
            key=wk["due_date"],
            min_value=dt.date(2000, 1, 1),
            max_value=dt.date(2100, 12, 31),
        )
        st.text_input("标签(逗号分隔)", value=",".join(rv.tags), key=wk["tags"])
        st.text_area("备注", value=rv.note or "", key=wk["note"], height=80)
        st.caption(f"基于版本 {read[parcel_id]} 修改；若他人已先修改，保存会被拒绝，不会覆盖。")
        st.form_submit_button("保存", type="primary", on_click=_save, args=(parcel_id,))


def panel(parcel_id: str) -> None:
    """The parcel's review: current values, history (newest first), and for a reviewer or
    admin a form to change it."""
    st.markdown("#### 核查")
    s = auth.store()
    try:
        dataset = auth.dataset_id()
        found = s.get(parcel_id, dataset=dataset) if s is not None else None
    except LcgisError as exc:
        st.error(f"无法读取核查记录：{render.message(exc)}")
        return
    rv = found or review.Review.unreviewed(parcel_id, dataset)
    _show_message()
    _current_table(rv)
    _history(s, dataset, parcel_id)
    user = auth.current_user()
    if user is None:
        st.caption("登录(核查或管理角色)后可修改核查状态。")
    elif not user.can_review:
        st.caption("当前用户为查看角色，不能修改核查状态。")
    else:
        _form(parcel_id, rv)
