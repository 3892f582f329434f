"""Sections of the 候选 screen: the workbook download, the tier filter and one tab per
disposition list with its per-zone totals (tables from :mod:`lcgis.views.tables`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lcgis.views import report, tables
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS, TIER_LABELS

from . import keys, render, state

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(ctx: state.Context) -> None:
    """The workbook of the evaluation (every sheet)."""
    st.download_button(
        "下载 Excel 工作簿(" + "、".join(report.SHEETS) + ")",
        data=state.export_bytes(ctx.key, ".xlsx", _result=ctx.result),
        file_name=f"评价结果_{ctx.year or ''}.xlsx",
        mime=XLSX,
        key=keys.CAND_DOWNLOAD,
        icon=":material/download:",
    )


def tier_filter() -> list[str]:
    """The tiers to show (Chinese labels; all by default)."""
    return list(
        st.multiselect(
            "梯队",
            list(TIER_LABELS.values()),
            default=list(TIER_LABELS.values()),
            key=keys.CAND_TIER,
            help="只看所选梯队的宗地(各片区合计随之变化)。",
        )
    )


def list_tabs(ctx: state.Context, tiers: list[str]) -> None:
    """One tab per disposition: its source, per-zone totals and the list."""
    res, rules = ctx.result, ctx.result.rules
    sheets = state.workbook_sheets(ctx.key, _result=res)
    labels = {kind: DISPOSITION_LABELS[kind] for kind in DISPOSITIONS}
    lists, shown = tables.candidate_lists(sheets, labels, tiers)
    zone_order = res.zones.get("zone_name", pd.Series(dtype=object))
    tabs = st.tabs([f"{labels[k]}({len(shown[k])}/{len(lists[k])} 宗)" for k in DISPOSITIONS])
    for tab, kind in zip(tabs, DISPOSITIONS, strict=True):
        with tab:
            df = shown[kind]
            st.caption(f"依据：{render.md(rules.source(kind))}")
            if lists[kind].empty:
                st.info(f"本次评价没有列入{labels[kind]}的宗地。")
                continue
            st.markdown("**各片区合计**")
            sums = [report.LABELS[c] for c in tables.SUMS[kind]]
            totals = tables.zone_totals(df, sums, zone_order)
            render.table(
                totals,
                key=keys.sub(keys.CAND_PREFIX + kind, "zones"),
                hidden=render.hidden_labels(res.access, totals.columns, totals=True),
            )
            st.markdown(
                f"**清单**(按梯队、优先级排列；处置理由为规则判定结果；{tables.GAINS[kind]})"
            )
            render.table(
                df,
                key=keys.CAND_PREFIX + kind,
                height=420,
                hidden=render.hidden_labels(res.access, df.columns),
            )
