"""Per-parcel dossiers (体检表) for a committee agenda: one or two pages each, one PDF a list.

Each dossier carries: where the parcel is (a locator map of the park with its zones) and what
is on and around it (a detail map with its buildings and its neighbours' ids); every figure of
the 体检表 with its formula and its inputs; the parcel's figures over the years; every rule
tested with its threshold, outcome and source (the ones that hold in bold) and the
disposition with its tier and priority; the firms on it with their class in each year; the
review history with who changed what and when; and the parcel's own fields as loaded.

The figures come from :func:`lcgis.views.explain.explain` (the same 体检表 as the app and the
command line); :func:`dossiers` adds the maps, the years and the reviews.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lcgis.data.frame import flag
from lcgis.engine import metrics
from lcgis.engine.pipeline import Result, firms_of_year
from lcgis.errors import LcgisError
from lcgis.papers import maps as pmaps
from lcgis.papers.annual import reasons_text, shortlist
from lcgis.papers.common import (
    ILLUSTRATIVE,
    ILLUSTRATIVE_NOTE,
    MASKED_NOTE,
    Policy,
    apply,
    masked_result,
    num,
    text,
)
from lcgis.papers.layout import (
    Contents,
    Document,
    Figure,
    FigureRow,
    Heading,
    PageBreak,
    Para,
    Section,
    Spacer,
    Table,
    render,
)
from lcgis.papers.rules_text import parameters
from lcgis.views.explain import Card, explain
from lcgis.vocab import (
    DISPOSITION_LABELS,
    DISPOSITIONS,
    GROUP_LABELS,
    HISTORY_LABELS,
    TIER_LABELS,
    TIERS,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lcgis.data.io import Dataset

YEAR_FIGURES = ("tax_wan", "output_wan", "tax_per_mu", "output_per_mu")


class ParcelNotFoundError(LcgisError):
    """A parcel id asked for is not in the result."""


@dataclass(frozen=True)
class DossierInfo:
    """What the cover of a set of dossiers says."""

    title: str = ""
    dataset: str = ""
    rules_label: str = ""
    illustrative: bool = False
    masked: bool = False
    created: dt.datetime | None = None


# --- inputs besides the result ------------------------------------------------------------


def parcel_years(
    result: Result, dataset: Dataset | None, parcel_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """Tax and output of every parcel in every year up to the evaluated one (long table).

    Columns parcel_id, year, tax_wan, output_wan, tax_per_mu, output_per_mu; each year's
    enterprise figures are split over the parcels by the evaluated year's land use, as the
    three-year tax of rules.md §8 is (``pipeline.tax_history``).
    """
    cols = ["parcel_id", "year", *YEAR_FIGURES]
    if dataset is None or dataset.enterprises is None or result.allocation.empty:
        return pd.DataFrame(columns=cols)
    years = [y for y in result.years if result.year is None or y <= result.year]
    mu = result.parcels.set_index(result.parcels["parcel_id"].astype(str))["land_area_mu"]
    alloc = result.allocation
    if parcel_ids is not None:  # the occupants of these parcels, with all their land
        wanted = set(map(str, parcel_ids))
        mu = mu[mu.index.isin(wanted)]
        codes = alloc.loc[alloc["parcel_id"].astype(str).isin(wanted), "credit_code"]
        alloc = alloc[alloc["credit_code"].isin(set(codes))]
    frames = []
    for y in years:
        firms = firms_of_year(dataset.enterprises, y).set_index("credit_code", drop=True)
        if alloc.empty:
            econ = pd.DataFrame(index=pd.Index([], name="parcel_id"))
        else:
            econ = metrics.parcel_economics(alloc, firms)
        econ.index = econ.index.astype(str)
        f = pd.DataFrame(index=mu.index)
        for name in ("tax_wan", "output_wan"):
            f[name] = econ[name].reindex(mu.index).astype(float) if name in econ else np.nan
        f["tax_per_mu"] = metrics.per_mu(f["tax_wan"], mu)
        f["output_per_mu"] = metrics.per_mu(f["output_wan"], mu)
        f["year"] = y
        frames.append(f.rename_axis("parcel_id").reset_index())
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True)[cols]


def read_reviews(data_dir: str | None = None, db: str | None = None) -> pd.DataFrame | None:
    """The review history of the dataset in ``data_dir`` (``ReviewStore.history_frame``);
    None when there is no store yet.  A SQLite store that does not exist is not created
    (merely printing never writes).

    Reads the installation's store (:mod:`lcgis.review.store`), opened read-only, for the dataset's
    id (:func:`lcgis.review.store.dataset_id`).
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from lcgis import review

    folder = data_dir or "data"
    url = review.resolve_database_url(db)
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and not Path(parsed.database or "").is_file():
        return None
    with review.ReviewStore(url, read_only=True) as store:
        return store.history_frame(dataset=review.dataset_id(folder))


# --- one dossier --------------------------------------------------------------------------


def _f(row: pd.Series, col: str, digits: int = 2, unit: str = "") -> str:
    return num(row.get(col), digits, unit)


def figure_inputs(row: pd.Series) -> dict[str, str]:
    """The inputs of each 体检表 figure (keyed by 指标 name, or name|unit when repeated)."""
    mu = _f(row, "land_area_mu")
    land = _f(row, "land_area_m2", 1)
    reg = row.get("registered_area_m2")
    kind = text(row.get("coverage_kind")) or "建筑系数"
    extra = [
        f"{name} {_f(row, col, 1)} m²"
        for col, name in (("structure_area_m2", "构筑物"), ("yard_area_m2", "堆场"))
        if pd.notna(row.get(col))
    ]
    given_floor = pd.notna(row.get("floor_area_m2_given"))
    given_fp = pd.notna(row.get("footprint_area_m2_given"))
    n_tall = row.get("n_tall_buildings")
    tall = (
        f"，其中层高超过8米 {int(n_tall)} 栋按两层计"
        if pd.notna(n_tall) and int(n_tall) > 0
        else ""
    )
    occupants = row.get("n_occupants")
    firms = f"用地企业 {int(occupants)} 家(见用地企业表)" if pd.notna(occupants) else "无用地关系"
    zone = text(row.get("zone_name")) or "园区(不在片区内)"
    footprint = f"基底 {_f(row, 'footprint_area_m2', 1)} m²"
    return {
        "实测面积": "宗地图形，工作坐标系中量算",
        "用地面积|m²": f"登记面积 {num(reg, 1)} m²"
        if pd.notna(reg)
        else f"无登记面积，取实测 {_f(row, 'geom_area_m2', 1)} m²",
        "用地面积|亩": f"{land} m² ÷ 666.67",
        "建筑面积": "宗地字段" if given_floor else "建筑图层" + tall,
        "建筑占地面积": "宗地字段" if given_fp else "建筑图层(落在宗地内的基底)",
        "容积率": f"{_f(row, 'floor_area_m2', 1)} m² ÷ {land} m²",
        "建筑系数": f"{kind}：({' + '.join([footprint, *extra])}) ÷ {land} m²",
        "建筑密度": f"基底 {_f(row, 'footprint_area_m2', 1)} m² ÷ {land} m²",
        "容积率利用率": f"{_f(row, 'far')} ÷ 上限 {_f(row, 'max_far')}",
        "工业总产值": firms,
        "税收": firms,
        "亩均产值": f"{_f(row, 'output_wan', 1)} 万元 ÷ {mu} 亩",
        "亩均税收": f"{_f(row, 'tax_wan', 1)} 万元 ÷ {mu} 亩",
        "上年亩均税收": f"上年税收 ÷ {mu} 亩(见历年指标)",
        "亩均税收增长率": f"({_f(row, 'tax_per_mu')} − {_f(row, 'tax_per_mu_prev')}) ÷ "
        f"{_f(row, 'tax_per_mu_prev')}",
        "三年平均亩均税收": f"近 {int(row['n_years_3y'])} 个年度亩均税收的平均(见历年指标)"
        if pd.notna(row.get("n_years_3y"))
        else "",
        "片区亩均产值": zone,
        "片区亩均税收": zone,
    }


def _figures_table(card: Card, row: pd.Series) -> Table:
    inputs = figure_inputs(row)
    rows = []
    names = set()
    for rec in card.figures.to_dict("records"):
        name = text(rec.get("指标"))
        unit = text(rec.get("单位"))
        names.add(name)
        key = f"{name}|{unit}" if f"{name}|{unit}" in inputs else name
        rows.append([name, text(rec.get("公式")), inputs.get(key, ""), text(rec.get("数值")), unit])
    if "三年平均亩均税收" not in names and "tax_per_mu_3y" in row.index:
        n = row.get("n_years_3y")
        rows.append(
            [
                "三年平均亩均税收",
                "评价年度及前两年亩均税收的平均(有数据的年份)",
                inputs["三年平均亩均税收"],
                _f(row, "tax_per_mu_3y"),
                "万元/亩" + ("" if pd.isna(n) or int(n) >= 3 else f"(仅 {int(n)} 年)"),
            ]
        )
    return Table(
        ["指标", "公式", "输入", "数值", "单位"],
        rows,
        widths=[2.0, 4.2, 3.6, 1.6, 1.2],
        align="LLLRL",
        font_size=6.5,
        caption="一、计算指标(公式与输入)",
    )


def _rules_table(card: Card) -> Table:
    rows = [[text(v) for v in rec.values()] for rec in card.rules.to_dict("records")]
    fired = {i for i, rec in enumerate(card.rules.to_dict("records")) if rec.get("结论") == "是"}
    return Table(
        list(card.rules.columns),
        rows,
        widths=[1.9, 2.6, 1.7, 1.9, 0.9, 3.6],
        align="LLLLCL",
        bold_rows=fired,
        font_size=6.5,
        caption="二、规则检验(加粗为成立的规则)",
    )


def list_positions(result: Result) -> dict[str, str]:
    """Per listed parcel: its tier, place on its list and priority, in words."""
    out: dict[str, str] = {}
    for d in DISPOSITIONS:
        listed = shortlist(result, d)
        n = len(listed)
        for k, (_, r) in enumerate(listed.iterrows(), start=1):
            tier = TIER_LABELS.get(text(r.get("tier")), "未分期")
            out[str(r["parcel_id"])] = (
                f"{tier}，清单第 {k} 位/共 {n} 宗，优先度 {_f(r, 'priority', 1)}"
            )
    return out


def _disposition_table(result: Result, row: pd.Series) -> Table:
    params = parameters(result.rules)
    reasons = text(row.get("disposition_reasons"))
    one = pd.DataFrame([row])
    years = text(row.get("n_years_3y")) or "—"
    inefficient = "是" if bool(flag(one, "inefficient").iloc[0]) else "否"
    actual = {
        "reclaim": f"闲置 {_f(row, 'idle_years')} 年"
        + ("；政府原因(不收回)" if bool(flag(one, "government_delay").iloc[0]) else ""),
        "buyback": f"三年平均亩均税收 {_f(row, 'tax_per_mu_3y')} 万元/亩(近 {years} 年)，"
        f"用地 {_f(row, 'land_area_mu')} 亩",
        "vacate": f"低效：{inefficient}；类别 {text(row.get('parcel_class')) or '—'}",
        "densify": f"目标容积率 {_f(row, 'target_far')}，"
        f"可增建筑面积 {_f(row, 'extra_floor_area_m2', 0)} m²",
    }
    chosen = text(row.get("disposition"))
    rows = []
    bold = set()
    for i, d in enumerate(DISPOSITIONS):
        hit = d == chosen
        if hit:
            bold.add(i)
        rows.append(
            [
                DISPOSITION_LABELS[d],
                params.get(d, ""),
                actual[d],
                ("是：" + reasons_text(reasons)) if hit else "否",
                result.rules.source(d) or "未注明",
            ]
        )
    notes = ["一宗地至多列入一种处置，先后次序：无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资。"]
    if bool(flag(pd.DataFrame([row]), "in_construction").iloc[0]):
        notes.append("本宗地在约定建设期内，不评价容积率、税收等指标，不列入任何清单。")
    if chosen in ("reclaim", "buyback", "vacate"):
        # a parcel outside every zone is measured against the park (lcgis.engine.land)
        level = "片区" if text(row.get("zone_id")) else "园区"
        notes.append(
            f"潜力上限：用地 {_f(row, 'land_area_mu')} 亩 × "
            f"{level}亩均税收 {_f(row, 'zone_tax_per_mu')} 万元/亩 = "
            f"{_f(row, 'potential_tax_wan', 1)} 万元(潜力上限，不是预测)。"
        )
    if chosen == "densify":
        notes.append(
            f"预计新增税收 {_f(row, 'est_extra_tax_wan', 1)} 万元、"
            f"产值 {_f(row, 'est_extra_output_wan', 1)} "
            "万元(潜力上限：可增建筑面积 × 现有单位建筑面积产出，不是预测)。"
        )
    return Table(
        ["处置", "条件", "本宗地", "结论", "依据"],
        rows,
        widths=[1.3, 3.4, 2.8, 2.2, 3.4],
        align="LLLLL",
        bold_rows=bold,
        font_size=6.5,
        caption="三、处置结论",
        notes=notes,
    )


def _card_disposition(card: Card) -> list[Table]:
    """The 体检表's own table of the disposition's reasons and clauses, when it has one."""
    frame = getattr(card, "disposition", None)
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return []
    rows = [[text(v) for v in rec] for rec in frame.itertuples(index=False)]
    n = len(frame.columns)
    return [
        Table(
            [str(c) for c in frame.columns],
            rows,
            widths=[1.4, 1.4, 4.5, 4.5][:n] + [2.0] * max(0, n - 4),
            font_size=6.5,
            caption="处置理由与条款",
        )
    ]


def _years_table(result: Result, row: pd.Series, years: pd.DataFrame) -> Table:
    pid = str(row["parcel_id"])
    mine = years[years["parcel_id"].astype(str) == pid].sort_values("year") if len(years) else years
    main = text(row.get("main_credit_code"))
    ent = result.enterprises
    klass = (
        ent[ent["credit_code"].astype(str) == main]
        if main and "credit_code" in ent
        else ent.iloc[:0]
    )
    rows = []
    for _, y in mine.iterrows():
        col = f"class_{int(y['year'])}"
        cls = text(klass[col].iloc[0]) if len(klass) and col in klass else ""
        rows.append(
            [
                f"{int(y['year'])}",
                num(y["tax_wan"], 1),
                num(y["output_wan"], 1),
                num(y["tax_per_mu"], 2),
                num(y["output_per_mu"], 2),
                cls or "—",
            ]
        )
    notes = [
        f"历年税收、产值按 {result.year or ''} 年度的用地关系分到宗地"
        "(与三年平均亩均税收的算法相同)；"
        f"用地 {_f(row, 'land_area_mu')} 亩。三年平均亩均税收 {_f(row, 'tax_per_mu_3y')} 万元/亩。"
    ]
    return Table(
        [
            "年度",
            "税收(万元)",
            "工业总产值(万元)",
            "亩均税收(万元/亩)",
            "亩均产值(万元/亩)",
            "主要用地企业类别",
        ],
        rows,
        widths=[1.0, 1.6, 1.8, 1.8, 1.8, 1.8],
        align="LRRRRC",
        font_size=6.5,
        caption="四、历年指标",
        notes=notes,
        empty="没有历年数据(未提供数据集的企业年度表)。",
    )


def _firms_table(result: Result, card: Card, by_code: pd.DataFrame) -> Table:
    ent = result.enterprises
    year_cols = sorted(
        (c for c in ent.columns if re.fullmatch(r"class_\d{4}", str(c))), key=lambda c: int(c[6:])
    )[-5:]
    rows = []
    for rec in card.occupants.to_dict("records"):
        code = text(rec.get("信用代码"))
        e = by_code.loc[code] if code in by_code.index else pd.Series(dtype=object)
        group = GROUP_LABELS.get(text(e.get("eval_group")), "")
        history = [text(e.get(c)) or "—" for c in year_cols]
        rows.append(
            [
                text(rec.get("企业名称")),
                code,
                group,
                text(rec.get("权属")),
                text(rec.get("用地(亩)")),
                text(rec.get("用地方式")),
                *history,
                text(rec.get("得分")),
                text(rec.get("分类说明")),
            ]
        )
    years = [f"{c[6:]}" for c in year_cols]
    return Table(
        [
            "企业名称",
            "信用代码",
            "组别",
            "权属",
            "用地(亩)",
            "用地方式",
            *years,
            "得分",
            "分类说明",
        ],
        rows,
        widths=[2.6, 2.4, 0.8, 0.8, 1.0, 1.4, *[0.7] * len(years), 0.9, 3.2],
        align="LLCCRL" + "C" * len(years) + "RL",
        font_size=6.5,
        caption="五、用地企业及历年类别",
        empty="本宗地没有用地企业。",
    )


def _scores_table(card: Card) -> Table | None:
    if card.scores.empty:
        return None
    return Table(
        list(card.scores.columns),
        [[text(v) for v in rec.values()] for rec in card.scores.to_dict("records")],
        widths=[3.0, 3.0, 1.6, 1.6, 1.0, 1.2],
        align="LLRRRR",
        font_size=6.5,
        caption="企业得分明细",
    )


def _reviews_table(reviews: pd.DataFrame | None, parcel_id: str) -> Table:
    cols = ["时间", "操作人", "状态", "原因", "责任人 / 期限", "备注", "版本", "结果"]
    if reviews is None:
        return Table(cols, [], caption="六、审核记录", empty="未找到审核库，无审核记录。")
    mine = reviews[reviews["parcel_id"].astype(str) == str(parcel_id)]
    rows = []
    for _, r in mine.iterrows():
        who = " / ".join(x for x in (text(r.get("assignee")), text(r.get("due_date"))) if x)
        ok = bool(r.get("accepted"))
        rows.append(
            [
                text(r.get("time")).replace("T", " "),
                text(r.get("user")),
                text(r.get("status")),
                text(r.get("reason")),
                who,
                text(r.get("note")),
                text(r.get("version")),
                "生效" if ok else f"被拒绝：{text(r.get('message'))}",
            ]
        )
    return Table(
        cols,
        rows,
        widths=[2.2, 1.3, 1.6, 1.2, 1.8, 3.0, 0.7, 1.8],
        align="LLLLLLRL",
        font_size=6.5,
        caption="六、审核记录",
        notes=[
            f"时间为北京时间；每条记录带哈希链，可用 review verify 核验({HISTORY_LABELS['hash']})。"
        ]
        if rows
        else [],
        empty="暂无审核记录。",
    )


def _inputs_table(card: Card) -> Table:
    recs = [(text(r.get("项目")), text(r.get("值"))) for r in card.inputs.to_dict("records")]
    half = (len(recs) + 1) // 2
    left, right = recs[:half], recs[half:]
    rows = []
    for i in range(half):
        a = left[i]
        b = right[i] if i < len(right) else ("", "")
        rows.append([a[0], a[1], b[0], b[1]])
    return Table(
        ["项目", "值", "项目", "值"],
        rows,
        widths=[2.0, 3.0, 2.0, 3.0],
        align="LLLL",
        font_size=6.5,
        caption="七、宗地基础数据(原始输入)",
    )


def _by_code(result: Result) -> pd.DataFrame:
    ent = result.enterprises
    if "credit_code" not in ent:
        return pd.DataFrame()
    return ent.drop_duplicates("credit_code").set_index("credit_code")


def dossier_blocks(
    result: Result,
    parcel_id: str,
    *,
    years: pd.DataFrame,
    reviews: pd.DataFrame | None,
    locator: bytes,
    detail: bytes,
    positions: dict[str, str] | None = None,
    firms: pd.DataFrame | None = None,
) -> list[Any]:
    """The blocks of one parcel's dossier (``result`` already masked where it must be)."""
    card = explain(result, parcel_id)
    if card is None:
        raise ParcelNotFoundError(f"找不到宗地 {parcel_id}：请检查编号")
    p = result.parcels
    row = p[p["parcel_id"].astype(str) == str(parcel_id)].iloc[0]
    chosen = text(row.get("disposition"))
    verdict = list(card.verdict)
    if chosen in DISPOSITION_LABELS:
        where = (positions if positions is not None else list_positions(result)).get(
            str(parcel_id), ""
        )
        verdict.insert(0, f"处置方式：{DISPOSITION_LABELS[chosen]}({where})")
    elif bool(flag(pd.DataFrame([row]), "in_construction").iloc[0]):
        verdict.insert(0, "处置方式：无(建设期内，不评价)")
    else:
        verdict.insert(0, "处置方式：无")
    zone = text(row.get("zone_name")) or "片区外"
    blocks: list[Any] = [
        Section(f"宗地 {parcel_id}"),
        Heading(card.title, level=1, toc=f"宗地 {parcel_id} · {zone} · {verdict[0][5:]}"),
        *[Para("· " + v, "verdict" if i == 0 else "small") for i, v in enumerate(verdict)],
        FigureRow(
            (
                Figure(locator, 58.0, 58.0, f"位置图：{zone}(黑色为本宗地)"),
                Figure(detail, 110.0, 58.0, "本宗地(斜线)、建筑(深灰)与相邻宗地(注编号)"),
            )
        ),
        _figures_table(card, row),
        _rules_table(card),
        _disposition_table(result, row),
        *_card_disposition(card),
        _years_table(result, row, years),
        _firms_table(result, card, firms if firms is not None else _by_code(result)),
    ]
    scores = _scores_table(card)
    if scores is not None:
        blocks.append(scores)
    blocks += [_reviews_table(reviews, str(parcel_id)), _inputs_table(card)]
    return blocks


# --- a set of dossiers --------------------------------------------------------------------


def list_parcels(result: Result, disposition: str, tier: str | None = None) -> list[str]:
    """The parcel ids of one list (in its order: tier, then priority), optionally one tier."""
    if disposition not in DISPOSITIONS:
        raise LcgisError(f"未知的清单 {disposition}：可选 {'、'.join(DISPOSITIONS)}")
    sub = shortlist(result, disposition)
    if tier is not None:
        if tier not in TIERS:
            raise LcgisError(f"未知的分期 {tier}：可选 {'、'.join(TIERS)}")
        sub = sub[sub["tier"].eq(tier)]
    return sub["parcel_id"].astype(str).tolist()


def dossiers(
    result: Result,
    parcel_ids: Sequence[str],
    *,
    dataset: Dataset | None = None,
    reviews: pd.DataFrame | None = None,
    policy: Policy | None = None,
    info: DossierInfo | None = None,
) -> Document:
    """The dossiers of ``parcel_ids`` (in that order) as one document.

    ``dataset`` gives the buildings of the detail maps and the figures of past years;
    ``reviews`` is the review history (``ReviewStore.history_frame()``); ``policy`` masks the
    confidential figures of every table (None: all shown).
    """
    info = info or DossierInfo()
    ids = list(dict.fromkeys(str(i) for i in parcel_ids))
    known = set(result.parcels["parcel_id"].astype(str))
    missing = [i for i in ids if i not in known]
    if missing:
        raise ParcelNotFoundError(f"找不到宗地 {'、'.join(missing[:10])}：请检查编号")
    if not ids:
        raise ParcelNotFoundError("没有要打印的宗地：请给出宗地编号或清单")
    masked = info.masked or policy is not None
    res = masked_result(result, policy)
    years = apply(policy, parcel_years(result, dataset, ids))
    zones = res.zones if isinstance(res.zones, gpd.GeoDataFrame) and len(res.zones) else None
    buildings = dataset.buildings if dataset is not None else None
    if buildings is not None and buildings.crs != res.parcels.crs and res.parcels.crs is not None:
        buildings = buildings.to_crs(res.parcels.crs)
    locator = pmaps.LocatorMaps(res.parcels, zones, width_mm=58.0, height_mm=58.0)
    sindex = res.parcels.sindex
    positions = list_positions(res)
    firms = _by_code(res)
    created = info.created or dt.datetime.now().replace(microsecond=0)
    title = info.title or (
        f"宗地 {ids[0]} 体检表" if len(ids) == 1 else f"宗地体检表({len(ids)} 宗)"
    )
    blocks: list[Any] = []
    if len(ids) > 1:
        blocks += [
            Spacer(30),
            Para(title, "title"),
            Para(f"{result.year or ''}年度 · 共 {len(ids)} 宗", "subtitle"),
            Spacer(8),
            Table(
                ["项目", "内容"],
                [
                    ["数据集", info.dataset or "—"],
                    ["评价年度 / 基准日", f"{result.year or '—'} 年 / {result.as_of}"],
                    ["规则版本", info.rules_label or f"摘要 {result.rules.digest[:8]}"],
                    ["生成时间", created.strftime("%Y-%m-%d %H:%M")],
                    ["查看权限", "涉密指标已隐去" if masked else "全部指标"],
                ],
                widths=[1.4, 4.0],
                align="LL",
                font_size=9,
            ),
        ]
        if info.illustrative:
            blocks += [Spacer(6), Para(ILLUSTRATIVE_NOTE, "mark")]
        if masked:
            blocks += [Spacer(4), Para(MASKED_NOTE, "note")]
        blocks += [PageBreak(), Contents("目  录(宗地体检表)"), PageBreak()]
    else:
        if info.title:
            blocks.append(Para(info.title, "lead"))
        if info.illustrative:
            blocks.append(Para(ILLUSTRATIVE_NOTE, "note"))
        if masked:
            blocks.append(Para(MASKED_NOTE, "note"))
    for k, pid in enumerate(ids):
        if k:
            blocks.append(PageBreak())
        blocks += dossier_blocks(
            res,
            pid,
            years=years,
            reviews=reviews,
            locator=locator.png(pid),
            detail=pmaps.detail_map(
                res.parcels, buildings, pid, sindex=sindex, width_mm=110.0, height_mm=58.0
            ),
            positions=positions,
            firms=firms,
        )
    return Document(
        title=title,
        blocks=blocks,
        header=f"宗地体检表 · {result.year or ''}年度",
        mark=ILLUSTRATIVE if info.illustrative else "",
        footer_note="涉密指标已隐去" if masked else "",
        created=created,
        cover=len(ids) > 1,
        subject="宗地体检表",
    )


def dossiers_pdf(
    result: Result,
    parcel_ids: Sequence[str],
    *,
    dataset: Dataset | None = None,
    reviews: pd.DataFrame | None = None,
    policy: Policy | None = None,
    info: DossierInfo | None = None,
) -> bytes:
    """:func:`dossiers` as PDF bytes."""
    return render(
        dossiers(result, parcel_ids, dataset=dataset, reviews=reviews, policy=policy, info=info)
    )
