"""The data of the overview's charts (one small frame per chart, Chinese column names where
the chart shows them).  Plain pandas; the chart specs are drawn by ``ui``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from lcgis.views import summary
from lcgis.vocab import DISPOSITION_LABELS, DISPOSITIONS

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Classes drawn in the class chart (T, not rated, is only counted in its caption).
RATED: list[str] = [c for c in summary.CLASSES if c != "T"]


def tax_histogram(parcels: pd.DataFrame, bins: int = 15) -> pd.DataFrame:
    """Bins of the parcels' 亩均税收 (``left``, ``right``, ``count``) with a ``区间`` label.

    >>> tax_histogram(pd.DataFrame({"tax_per_mu": [1.0, 2.0, 3.0]}), bins=2)["区间"].tolist()
    ['1.0–2.0', '2.0–3.0']
    """
    hist = summary.distribution(parcels.get("tax_per_mu", pd.Series(dtype=float)), bins=bins)
    hist["区间"] = [f"{a:,.1f}–{b:,.1f}" for a, b in zip(hist["left"], hist["right"], strict=True)]
    return hist


def class_bars(counts: Mapping[str, int]) -> pd.DataFrame:
    """Enterprises per rated class (类别, 企业数).

    >>> class_bars({"A": 1, "B": 2, "C": 0, "D": 3, "T": 9})["企业数"].tolist()
    [1, 2, 0, 3]
    """
    return pd.DataFrame({"类别": RATED, "企业数": [counts[c] for c in RATED]})


def zone_bars(zones: pd.DataFrame) -> pd.DataFrame:
    """亩均税收 and 亩均产值 per zone (:func:`lcgis.views.report.zone_table`)."""
    return zones[["zone_name", "tax_per_mu", "output_per_mu"]].rename(
        columns={"zone_name": "片区", "tax_per_mu": "亩均税收", "output_per_mu": "亩均产值"}
    )


def attention_land(now: Mapping[str, float]) -> pd.DataFrame:
    """Land to watch (亩) by type: 闲置, 未开发, 低效, 在建 and each disposition but 零地增资
    (an opportunity, not a problem).

    >>> figures = {k: 1.0 for k in ("idle_mu", "undeveloped_mu", "inefficient_mu",
    ...            "in_construction_mu", "reclaim_mu", "buyback_mu", "vacate_mu")}
    >>> attention_land(figures)["类型"].tolist()
    ['闲置', '未开发', '低效', '在建', '无偿收回', '收储改造', '腾笼换鸟']
    """
    kinds = [k for k in DISPOSITIONS if k != "densify"]
    return pd.DataFrame(
        {
            "类型": ["闲置", "未开发", "低效", "在建", *(DISPOSITION_LABELS[k] for k in kinds)],
            "面积(亩)": [
                now["idle_mu"],
                now["undeveloped_mu"],
                now["inefficient_mu"],
                now["in_construction_mu"],
                *(now[f"{k}_mu"] for k in kinds),
            ],
        }
    )
