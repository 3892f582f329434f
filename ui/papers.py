"""Download buttons for the committee papers (PDF): the annual report on 总览, a list's
dossiers on 候选, one parcel's dossier on its card.

The PDF is made when the button is clicked (Streamlit runs the callable on its own thread,
outside the script: so everything it needs — result, dataset, review history, the viewer's
role — is captured while the page is drawn) and kept in a small cache keyed by the result,
the role, the parcels and the review store's last change.  Confidential figures are masked
for the viewer's role (:func:`lcgis.papers.role_policy`, the policy of :mod:`lcgis.access`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import streamlit as st

from lcgis import papers
from lcgis.errors import LcgisError
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS, TIER_LABELS, TIERS

from . import auth, keys, render, state

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable

    import pandas as pd

PDF = "application/pdf"
_CACHE: OrderedDict[Hashable, bytes] = OrderedDict()
_LOCK = threading.Lock()
_MAX = 8  # PDFs kept (a list of 60 dossiers is about 9 MB)


def _cached(key: Hashable, make: Callable[[], bytes]) -> bytes:
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    data = make()
    with _LOCK:
        _CACHE[key] = data
        while len(_CACHE) > _MAX:
            _CACHE.popitem(last=False)
    return data


def _dataset_name(ctx: state.Context) -> str:
    from pathlib import Path

    return Path(ctx.data_dir).name or ctx.data_dir


def policy_for(role: str, ctx: state.Context) -> papers.Policy | None:
    """The masking policy of a role under the evaluation's rules (None: every figure)."""
    return papers.role_policy(role, ctx.rules)


def _reviews() -> tuple[pd.DataFrame | None, int]:
    """The current dataset's review history and the store's last change (0: no store)."""
    store = auth.store()
    if store is None:
        return None, 0
    try:
        frame = store.history_frame(dataset=auth.dataset_id())
    except LcgisError as exc:  # a store that cannot be read: print without reviews, say so
        st.caption(f"审核记录暂不可读，体检表中不含审核记录：{render.public_text(exc)}")
        return None, 0
    return frame, auth.last_seq(store)


def report_button(ctx: state.Context, key: str = keys.PAPERS_REPORT) -> None:
    """总览: the annual report of the current evaluation."""
    role = auth.role()
    policy = policy_for(role, ctx)
    res, prev = ctx.result, state.previous(ctx)
    info = papers.ReportInfo(
        dataset=_dataset_name(ctx),
        rules_label=ctx.rules_label,
        illustrative=papers.is_illustrative(ctx.result),
    )

    def make() -> bytes:
        return _cached(
            ("report", ctx.key, role),
            lambda: papers.annual_report_pdf(res, previous=prev, info=info, policy=policy),
        )

    st.download_button(
        "打印年度评价报告(PDF)",
        data=make,
        file_name=f"亩均效益评价报告_{ctx.year or ''}.pdf",
        mime=PDF,
        key=key,
        icon=":material/picture_as_pdf:",
        on_click="ignore",
        help="A4 竖版，含封面、目录、园区与片区指标、类别、图件、四张处置清单与规则依据"
        + ("；涉密指标按当前权限隐去" if policy is not None else ""),
    )


def _dossier_data(ctx: state.Context, ids: list[str], title: str, role: str) -> Callable[[], bytes]:
    policy = policy_for(role, ctx)
    res = ctx.result
    ds = state.dataset(ctx.key[0], ctx.key[1])
    reviews, seq = _reviews()
    info = papers.DossierInfo(
        title=title,
        dataset=_dataset_name(ctx),
        rules_label=ctx.rules_label,
        illustrative=papers.is_illustrative(ctx.result),
    )
    cache_key = ("dossiers", ctx.key, role, tuple(ids), seq)

    def make() -> bytes:
        return _cached(
            cache_key,
            lambda: papers.dossiers_pdf(
                res, ids, dataset=ds, reviews=reviews, policy=policy, info=info
            ),
        )

    return make


def parcel_button(ctx: state.Context, parcel_id: str, key: str = keys.PAPERS_PARCEL) -> None:
    """The parcel card: this parcel's dossier."""
    st.download_button(
        "打印本宗地体检表(PDF)",
        data=_dossier_data(ctx, [parcel_id], "", auth.role()),
        file_name=f"体检表_{parcel_id}.pdf",
        mime=PDF,
        key=key,
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )


def list_buttons(ctx: state.Context, key: str = keys.PAPERS_LIST) -> None:
    """候选: choose a list (and a tier), then print its dossiers in list order."""
    res = ctx.result
    counts: dict[str, int] = {d: len(papers.list_parcels(res, d)) for d in DISPOSITIONS}
    c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
    which = c1.selectbox(
        "打印清单的宗地体检表",
        [d for d in DISPOSITIONS if counts[d]] or list(DISPOSITIONS),
        format_func=lambda d: f"{DISPOSITION_LABELS[d]}({counts[d]} 宗)",
        key=keys.sub(key, "list"),
    )
    tier: Any = c2.selectbox(
        "分期",
        [None, *TIERS],
        format_func=lambda t: "全部" if t is None else TIER_LABELS[t],
        key=keys.sub(key, "tier"),
    )
    ids = papers.list_parcels(res, which, tier)
    name = DISPOSITION_LABELS[which] + (f"_{TIER_LABELS[tier]}" if tier else "")
    title = f"{DISPOSITION_LABELS[which]}候选宗地体检表" + (
        f"({TIER_LABELS[tier]})" if tier else ""
    )
    with c3:
        st.download_button(
            f"下载 {len(ids)} 宗的体检表(PDF)",
            data=_dossier_data(ctx, ids, title, auth.role()) if ids else b"",
            file_name=f"体检表_{name}_{ctx.year or ''}.pdf",
            mime=PDF,
            key=keys.sub(key, "download"),
            icon=":material/picture_as_pdf:",
            on_click="ignore",
            disabled=not ids,
        )
