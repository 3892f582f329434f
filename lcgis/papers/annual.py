"""The annual 亩均效益评价报告: park and zones, classes, maps, the four lists, targets, sources.

:func:`annual_report` describes the report as blocks (:mod:`lcgis.papers.layout`) from a
finished :class:`~lcgis.engine.pipeline.Result` (and the year before's, when there is one);
:func:`annual_report_pdf` typesets it.  Every figure is printed beside how it is computed or
the rule and source it comes from, on the same page.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from lcgis.papers import maps as pmaps
from lcgis.papers.common import (
    ILLUSTRATIVE,
    ILLUSTRATIVE_NOTE,
    MASKED_NOTE,
    Policy,
    count,
    masked_result,
    num,
    signed,
    text,
)
from lcgis.papers.layout import (
    Contents,
    Document,
    Figure,
    Heading,
    PageBreak,
    Para,
    Spacer,
    Table,
    render,
)
from lcgis.papers.rules_text import rule_rows
from lcgis.plan.before_after import FIGURES as TARGET_FIGURES
from lcgis.plan.before_after import PARK_ID, before_after
from lcgis.views import summary
from lcgis.views.maps import main_names
from lcgis.vocab import (
    DISPOSITION_LABELS,
    DISPOSITION_REASON_LABELS,
    DISPOSITIONS,
    GROUP_NAMES,
    GROUPS,
    REASON_LABELS,
    TIER_LABELS,
    TIERS,
)

if TYPE_CHECKING:
    from lcgis.engine.pipeline import Result

REPORT_TITLE = "鲤城高新区工业用地亩均效益评价报告"

#: Park headline rows: (summary key, digits, how it is computed).
HEADLINE_ROWS: tuple[tuple[str, int, str], ...] = (
    ("land_area_mu", 1, "各宗地用地面积之和(有登记面积取登记面积)"),
    ("n_parcels", 0, "宗地图层中的宗地数"),
    ("n_enterprises", 0, "评价年度有年度数据的企业数"),
    ("n_above_scale", 0, "其中规模以上企业数"),
    ("output_wan", 0, "各宗地工业总产值之和(企业产值按使用建筑面积分到宗地)"),
    ("tax_wan", 0, "各宗地税收之和(分摊方法同上)"),
    ("output_per_mu", 1, "工业总产值 ÷ 用地面积"),
    ("tax_per_mu", 2, "税收 ÷ 用地面积"),
    ("far", 2, "建筑面积之和 ÷ 用地面积之和(m²)"),
    ("idle_mu", 1, "闲置土地的用地面积之和"),
    ("undeveloped_mu", 1, "未开发宗地的用地面积之和"),
    ("inefficient_mu", 1, "低效用地的用地面积之和"),
)

#: Columns of the zone table: (zone field, header, digits).
ZONE_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("land_area_mu", "用地(亩)", 1),
    ("n_parcels", "宗地(宗)", 0),
    ("n_enterprises", "企业(家)", 0),
    ("output_wan", "工业总产值(万元)", 0),
    ("tax_wan", "税收(万元)", 0),
    ("output_per_mu", "亩均产值(万元/亩)", 1),
    ("tax_per_mu", "亩均税收(万元/亩)", 2),
    ("far", "综合容积率", 2),
    ("idle_mu", "闲置(亩)", 1),
    ("inefficient_mu", "低效(亩)", 1),
)

_CLASS_COLUMNS = ("A", "B", "C", "D")


@dataclass(frozen=True)
class ReportInfo:
    """What the cover says about the evaluation."""

    dataset: str = ""
    rules_label: str = ""
    illustrative: bool = False
    masked: bool = False
    created: dt.datetime | None = None


def _label(key: str) -> tuple[str, str]:
    return summary.HEADLINE_LABELS[key]


def _headline_table(now: dict[str, float], before: dict[str, float], prev_year: Any) -> Table:
    change = summary.year_change(now, before)
    rows = []
    for key, digits, how in HEADLINE_ROWS:
        name, unit = _label(key)
        rows.append(
            [
                name,
                unit,
                num(now.get(key), digits),
                num(before.get(key), digits) if before else "—",
                signed(change.get(key, math.nan), digits) if before else "—",
                how,
            ]
        )
    return Table(
        ["指标", "单位", "本年", f"上年({prev_year})" if before else "上年", "变化", "计算方法"],
        rows,
        widths=[2.2, 1.2, 1.7, 1.7, 1.5, 5.0],
        align="LLRRRL",
        caption="表1 园区主要指标",
        notes=[
            "亩均指标 = 合计 ÷ 全部用地面积(不是各宗地亩均值的平均)"
            "；1 亩 = 10000/15 m²；金额单位万元。"
        ],
    )


def _zone_rows(zones: pd.DataFrame) -> dict[str, dict[str, Any]]:
    if zones is None or len(zones) == 0 or "zone_id" not in zones:
        return {}
    return {text(r["zone_id"]): dict(r) for _, r in pd.DataFrame(zones).iterrows()}


def _zone_table(
    result: Result, previous: Result | None, now: dict[str, float], before: dict[str, float]
) -> Table:
    cur = _zone_rows(result.zones)
    prev = _zone_rows(previous.zones) if previous is not None else {}
    rows: list[list[str]] = []
    bold: set[int] = set()
    for zid, z in cur.items():
        name = text(z.get("zone_name")) or (zid or "片区外")
        rows.append([name, "本年", *[num(z.get(c), d) for c, _, d in ZONE_COLUMNS]])
        p = prev.get(zid)
        if previous is not None:
            rows.append(
                [
                    "",
                    f"上年({previous.year})",
                    *[num(p.get(c) if p else None, d) for c, _, d in ZONE_COLUMNS],
                ]
            )
    park = {
        "land_area_mu": now.get("land_area_mu"),
        "n_parcels": now.get("n_parcels"),
        "n_enterprises": now.get("n_enterprises"),
        "output_wan": now.get("output_wan"),
        "tax_wan": now.get("tax_wan"),
        "output_per_mu": now.get("output_per_mu"),
        "tax_per_mu": now.get("tax_per_mu"),
        "far": now.get("far"),
        "idle_mu": now.get("idle_mu"),
        "inefficient_mu": now.get("inefficient_mu"),
    }
    bold.add(len(rows))
    rows.append(["全园", "本年", *[num(park.get(c), d) for c, _, d in ZONE_COLUMNS]])
    if before:
        bold.add(len(rows))
        rows.append(
            [
                "",
                f"上年({previous.year if previous else ''})",
                *[num(before.get(c), d) for c, _, d in ZONE_COLUMNS],
            ]
        )
    return Table(
        ["片区", "年度", *[h for _, h, _ in ZONE_COLUMNS]],
        rows,
        widths=[1.5, 1.4, 1.3, 1.0, 1.0, 1.5, 1.3, 1.3, 1.3, 1.1, 1.1, 1.1],
        align="LL" + "R" * len(ZONE_COLUMNS),
        bold_rows=bold,
        font_size=7,
        caption="表2 各片区主要指标(本年与上年)",
        notes=[
            "片区亩均 = 片区内宗地合计 ÷ 片区全部用地；"
            "企业数按用地所在片区计(跨片区企业在各片区各计一次)；"
            "上年按同一规则、同样距年末的基准日评价。"
        ],
    )


def class_table(
    enterprises: pd.DataFrame, previous: pd.DataFrame | None, years: tuple[Any, Any]
) -> Table:
    """Counts of A/B/C/D (share of the rated firms of the group), T and unrated per group."""
    rows: list[list[str]] = []
    bold: set[int] = set()

    def line(frame: pd.DataFrame, group: str | None, label: str, year: str) -> list[str]:
        sub = (
            frame
            if group is None
            else frame[frame.get("eval_group", pd.Series(dtype=object)) == group]
        )
        cls = sub.get("class", pd.Series(dtype=object)).astype(object)
        counts = {c: int((cls == c).sum()) for c in (*_CLASS_COLUMNS, "T")}
        rated = sum(counts[c] for c in _CLASS_COLUMNS)
        none = int(cls.isna().sum())
        cells = [f"{counts[c]}({counts[c] / rated:.1%})" if rated else "0" for c in _CLASS_COLUMNS]
        return [label, year, *cells, count(rated), count(counts["T"]), count(none), count(len(sub))]

    groups = [g for g in GROUPS if "eval_group" in enterprises]
    for g in [*groups, None]:
        label = GROUP_NAMES[g] if g else "全部"
        if g is None:
            bold.add(len(rows))
        rows.append(line(enterprises, g, label, str(years[0])))
        if previous is not None:
            if g is None:
                bold.add(len(rows))
            rows.append(line(previous, g, "", str(years[1])))
    return Table(
        [
            "组别",
            "年度",
            "A类",
            "B类",
            "C类",
            "D类",
            "参评(家)",
            "T类(不参评)",
            "未评类别",
            "合计(家)",
        ],
        rows,
        widths=[1.3, 1.0, 1.5, 1.5, 1.5, 1.5, 1.2, 1.3, 1.2, 1.1],
        align="LLRRRRRRRR",
        bold_rows=bold,
        caption="表3 企业类别数量与占比(括号内为占本组参评企业的比例)",
    )


def _unrated_notes(enterprises: pd.DataFrame) -> list[str]:
    if "class" not in enterprises or "class_reason" not in enterprises:
        return []
    none = enterprises[enterprises["class"].isna()]
    if none.empty:
        return []
    reasons = none["class_reason"].astype(str).str.split("：").str[0].str.split("，").str[0]
    parts = [f"{r} {n} 家" for r, n in reasons.value_counts().items()]
    return ["未评类别的原因：" + "；".join(parts) + "。"]


def _legend_table(parcels: pd.DataFrame, theme: str, number: int) -> Table:
    rows = [[c.label, count(n), num(mu, 1)] for c, n, mu in pmaps.legend_rows(parcels, theme)]
    return Table(
        ["图例", "宗地(宗)", "用地(亩)"],
        rows,
        widths=[4.0, 1.5, 1.5],
        align="LRR",
        caption=f"表{number} {pmaps.THEMES[theme][0]}：宗数与面积",
    )


def reasons_text(codes: Any) -> str:
    """';'-joined reason codes in Chinese ('、'-joined)."""
    if not isinstance(codes, str) or not codes:
        return ""
    labels = {**REASON_LABELS, **DISPOSITION_REASON_LABELS}
    return "、".join(labels.get(c, c) for c in codes.split(";") if c)


def _tax_3y(row: pd.Series) -> str:
    value = num(row.get("tax_per_mu_3y"), 2)
    n = row.get("n_years_3y")
    if n is None or pd.isna(n):
        return value
    years = int(n)
    return value if years >= 3 or value == "—" else f"{value}*({years}年)"


def shortlist(result: Result, disposition: str, names: pd.Series | None = None) -> pd.DataFrame:
    """The parcels of one list, by tier then priority (higher first), with main firm names."""
    p = result.parcels
    sub = p[
        p.get("disposition", pd.Series(None, index=p.index)).eq(disposition).fillna(False)
    ].copy()
    if names is None:
        names = main_names(p, result.enterprises)
    sub["main_name"] = names.reindex(sub.index)
    order = {t: i for i, t in enumerate(TIERS)}
    sub["_tier"] = sub.get("tier", pd.Series(None, index=sub.index)).map(order).fillna(len(TIERS))
    sub = sub.sort_values(["_tier", "priority", "parcel_id"], ascending=[True, False, True])
    return sub.drop(columns="_tier")


def _list_table(result: Result, disposition: str, number: int, names: pd.Series) -> Table:
    sub = shortlist(result, disposition, names)
    densify = disposition == "densify"
    if densify:
        columns = [
            "序号",
            "宗地编号",
            "片区",
            "主要用地企业",
            "用地(亩)",
            "容积率",
            "目标容积率",
            "可增建筑面积(m²)",
            "三年亩均税收(万元/亩)",
            "预计新增税收(万元，潜力上限)",
            "优先度",
        ]
        widths = [0.7, 1.6, 1.0, 3.0, 1.0, 0.9, 0.9, 1.3, 1.3, 1.5, 1.1]
        align = "RLLLRRRRRRR"
    else:
        columns = [
            "序号",
            "宗地编号",
            "片区",
            "主要用地企业",
            "用地(亩)",
            "三年亩均税收(万元/亩)",
            "类别",
            "理由",
            "潜力税收(万元，潜力上限)",
            "优先度",
        ]
        widths = [0.7, 1.6, 1.0, 2.8, 1.0, 1.3, 0.7, 3.0, 1.4, 1.1]
        align = "RLLLRRCLRR"
    rows: list[list[str]] = []
    groups: set[int] = set()
    bold: set[int] = set()
    k = 0
    for tier in (*TIERS, None):
        part = sub[sub["tier"].eq(tier)] if tier else sub[~sub["tier"].isin(TIERS)]
        if part.empty:
            continue
        groups.add(len(rows))
        label = TIER_LABELS.get(tier, "未分期") if tier else "未分期"
        rows.append([f"{label}：{len(part)} 宗，{num(part['land_area_mu'].sum(), 1)} 亩"])
        for _, r in part.iterrows():
            k += 1
            common = [
                str(k),
                text(r["parcel_id"]),
                text(r.get("zone_name")) or "片区外",
                text(r.get("main_name")),
                num(r.get("land_area_mu"), 2),
            ]
            if densify:
                rows.append(
                    [
                        *common,
                        num(r.get("far")),
                        num(r.get("target_far")),
                        num(r.get("extra_floor_area_m2"), 0),
                        _tax_3y(r),
                        num(r.get("est_extra_tax_wan"), 1),
                        num(r.get("priority"), 1),
                    ]
                )
            else:
                rows.append(
                    [
                        *common,
                        _tax_3y(r),
                        text(r.get("parcel_class")),
                        reasons_text(r.get("disposition_reasons")),
                        num(r.get("potential_tax_wan"), 1),
                        num(r.get("priority"), 1),
                    ]
                )
    if len(sub):
        bold.add(len(rows))
        gain_col = "est_extra_tax_wan" if densify else "potential_tax_wan"
        total = ["", "合计", "", f"{len(sub)} 宗", num(sub["land_area_mu"].sum(), 2)]
        if densify:
            total += [
                "",
                "",
                num(sub["extra_floor_area_m2"].sum(), 0),
                "",
                f"{num(sub[gain_col].sum(min_count=1), 1)}(潜力上限)",
                "",
            ]
        else:
            total += ["", "", "", f"{num(sub[gain_col].sum(min_count=1), 1)}(潜力上限)", ""]
        rows.append(total)
    name = DISPOSITION_LABELS[disposition]
    src = result.rules.source(disposition)
    notes = [f"依据：{src or '未注明'}。"]
    if densify:
        notes.append(
            "预计新增税收 = 可增建筑面积 × 现有单位建筑面积税收，为潜力上限，不是预测；"
            "目标容积率按三年平均亩均税收取档。"
        )
    else:
        notes.append(
            "潜力税收 = 用地面积 × 所在片区亩均税收，"
            "为潜力上限(土地按片区平均水平利用时)，不是预测。"
        )
    notes.append(
        "优先度：" + rule_rows(result.rules, ("priority",))[0][1] + "。"
        "三年亩均税收带 * 者不足三年，按已有年份平均。"
    )
    return Table(
        columns,
        rows,
        widths=widths,
        align=align,
        group_rows=groups,
        bold_rows=bold,
        font_size=7,
        caption=f"表{number} {name}候选清单({len(sub)} 宗)",
        notes=notes,
        empty=f"本年度没有{name}候选宗地。",
    )


def targets_blocks(result: Result, number: int) -> list[Any]:
    """The plan-target table when the rules set ``relocation.targets``, else a sentence."""
    targets = dict(result.rules.relocation.targets or {})
    if not targets:
        return [
            Para("尚未设定规划指标。", "body"),
            Para(
                "规划目标(如“十四五”亩均税收目标)取得正式文本后，"
                "可在规则文件的 [relocation.targets] "
                "中填写，并在 [sources] relocation_targets 中注明出处，"
                "本表即列出目标、现状与差距。",
                "note",
            ),
        ]
    empty_plan = pd.DataFrame(
        {
            "parcel_ids": pd.Series(dtype=str),
            "current_parcel_id": pd.Series(dtype=str),
            "credit_code": pd.Series(dtype=str),
            "expected_output_wan": pd.Series(dtype=float),
            "expected_tax_wan": pd.Series(dtype=float),
        }
    )
    given_up = pd.DataFrame(
        {
            "given_up_output_wan": pd.Series(dtype=float),
            "given_up_tax_wan": pd.Series(dtype=float),
            "whole_parcel": pd.Series(dtype=bool),
        }
    )
    long = before_after(result.parcels, empty_plan, given_up, targets)
    long = long[long["target"].notna()]
    rows = []
    for _, r in long.iterrows():
        higher_better = TARGET_FIGURES[r["figure"]][1]
        gap = r["to_target"]
        state = "已达到" if pd.notna(gap) and gap <= 0 else f"差 {num(abs(gap), 2)}"
        rows.append(
            [
                "全园" if r["zone_id"] == PARK_ID else text(r["zone_name"]),
                text(r["label"]),
                num(r["target"], 2),
                num(r["before"], 2),
                state,
                "越高越好" if higher_better else "越低越好",
            ]
        )
    src = result.rules.source("relocation_targets")
    return [
        Table(
            ["范围", "指标", "规划目标", "本年现状", "差距", "方向"],
            rows,
            widths=[1.3, 2.6, 1.4, 1.4, 1.4, 1.2],
            align="LLRRRL",
            caption=f"表{number} 规划指标与现状",
            notes=[f"目标来源：{src or '规则文件未注明出处'}。现状按本年度评价结果计算。"],
        )
    ]


def _quality_table(result: Result, number: int) -> Table:
    frame = result.report.to_frame()
    rows = [
        [text(r["级别"]), text(r["图层"]), text(r["问题"]), text(r["行号"]), text(r["处理建议"])]
        for _, r in frame.iterrows()
    ]
    return Table(
        ["级别", "图层", "问题", "涉及行", "处理建议"],
        rows,
        widths=[0.8, 1.0, 4.5, 2.2, 3.0],
        align="LLLLL",
        font_size=7,
        caption=f"表{number} 数据质量检查",
        empty="数据检查没有发现问题。",
    )


def annual_report(
    result: Result,
    *,
    previous: Result | None = None,
    info: ReportInfo | None = None,
    policy: Policy | None = None,
) -> Document:
    """The annual report of ``result`` as a document (see :func:`annual_report_pdf`).

    ``previous``: the year before, evaluated alike (same rules, same distance of the date from
    its year end), for the comparisons; ``policy`` masks confidential figures (None: all shown).
    """
    info = info or ReportInfo()
    masked = info.masked or policy is not None
    result = masked_result(result, policy)
    previous = masked_result(previous, policy) if previous is not None else None
    year = result.year
    now = summary.park_summary(result)
    before = summary.park_summary(previous) if previous is not None else {}
    names = main_names(result.parcels, result.enterprises)
    created = info.created or dt.datetime.now().replace(microsecond=0)
    rules = result.rules

    blocks: list[Any] = [
        Spacer(40),
        Para(REPORT_TITLE, "title"),
        Para(f"{year or ''}年度", "subtitle"),
        Spacer(12),
        Table(
            ["项目", "内容"],
            [
                ["数据集", info.dataset or "—"],
                ["评价年度", f"{year or '—'} 年(企业按 {result.year_end} 评价)"],
                ["评价基准日", str(result.as_of)],
                [
                    "对照年度",
                    f"{previous.year} 年" if previous is not None else "无(数据中没有上一年度)",
                ],
                ["规则版本", info.rules_label or f"摘要 {rules.digest[:8]}"],
                ["宗地 / 企业", f"{len(result.parcels):,} 宗 / {len(result.enterprises):,} 家"],
                ["生成时间", created.strftime("%Y-%m-%d %H:%M")],
                ["查看权限", "涉密指标已隐去" if masked else "全部指标"],
            ],
            widths=[1.2, 4.0],
            align="LL",
            font_size=9,
        ),
    ]
    if info.illustrative:
        blocks += [Spacer(10), Para(ILLUSTRATIVE_NOTE, "mark")]
    if masked:
        blocks += [Spacer(4), Para(MASKED_NOTE, "note")]
    blocks += [PageBreak(), Contents(), PageBreak()]

    # 一、park and zones
    blocks.append(Heading("一、园区与片区主要指标"))
    blocks.append(
        Para(
            f"{year or ''}年度园区用地 {num(now['land_area_mu'], 1)} 亩，"
            f"宗地 {count(now['n_parcels'])} 宗，"
            f"企业 {count(now['n_enterprises'])} 家(规上 {count(now['n_above_scale'])} 家)；"
            f"工业总产值 {num(now['output_wan'], 0)} 万元，税收 {num(now['tax_wan'], 0)} 万元，"
            f"亩均税收 {num(now['tax_per_mu'], 2)} 万元/亩"
            + (f"(上年 {num(before.get('tax_per_mu'), 2)})" if before else "")
            + f"；闲置土地 {num(now['idle_mu'], 1)} 亩，"
            f"低效用地 {num(now['inefficient_mu'], 1)} 亩。"
        )
    )
    blocks.append(_headline_table(now, before, previous.year if previous is not None else ""))
    blocks.append(_zone_table(result, previous, now, before))

    # 二、classes
    blocks.append(Heading("二、企业亩均效益评价类别", new_page=True))
    blocks.append(
        Para(
            "企业按规上、规下、小微三组分别评价，组内按综合得分排序分为 A(优先发展)、B(鼓励提升)、"
            "C(帮扶转型)、D(落后整治)四类；T 类不参评。"
        )
    )
    blocks.append(
        class_table(
            result.enterprises,
            previous.enterprises if previous is not None else None,
            (year, previous.year if previous is not None else ""),
        )
    )
    params = {r[0]: r for r in rule_rows(rules, ("evaluation", "class_t", "small_group"))}
    notes = [f"{name}：{p}。依据：{src}" for name, p, src in params.values()]
    blocks += [Para(n, "note") for n in notes + _unrated_notes(result.enterprises)]

    # 三、maps
    number = 4
    blocks.append(Heading("三、图件", new_page=True))
    for i, theme in enumerate(pmaps.THEMES, start=1):
        title = pmaps.THEMES[theme][0]
        png = pmaps.park_map(result.parcels, _zones_geo(result), theme)
        if i > 1:
            blocks.append(PageBreak())
        blocks.append(Heading(f"图{i} {title}", level=2))
        blocks.append(
            Figure(png, 178.0, 190.0, f"图{i} {title}(虚线为片区界线；比例尺与指北针见图内)")
        )
        blocks.append(_legend_table(result.parcels, theme, number))
        number += 1

    # 四、lists
    blocks.append(Heading("四、处置清单", new_page=True))
    blocks.append(
        Para(
            "每宗地至多列入一种处置，先后次序为：无偿收回 > 收储改造 > 腾笼换鸟 > 零地增资；"
            "每张清单按优先度排序并分为近期、中期、储备三期。建设期内的宗地不列入任何清单。"
        )
    )
    for k, disposition in enumerate(DISPOSITIONS, start=1):
        sub = result.parcels["disposition"].eq(disposition).fillna(False)
        mu = result.parcels.loc[sub, "land_area_mu"].sum()
        blocks.append(
            Heading(
                f"（{'一二三四'[k - 1]}）{DISPOSITION_LABELS[disposition]}：{int(sub.sum())} 宗，"
                f"{num(mu, 1)} 亩",
                level=2,
            )
        )
        blocks.append(_list_table(result, disposition, number, names))
        number += 1

    # 五、targets
    blocks.append(Heading("五、规划指标", new_page=True))
    blocks += targets_blocks(result, number)
    number += 1

    # 六、rules and sources
    blocks.append(Heading("六、评价规则与依据"))
    blocks.append(
        Table(
            ["规则", "本次采用的参数", "依据"],
            rule_rows(rules),
            widths=[2.0, 5.0, 5.0],
            align="LLL",
            font_size=7,
            caption=f"表{number} 规则、参数与政策依据",
            notes=[
                f"规则摘要 {rules.digest[:12]}：规则文件逐项覆盖默认规则，上表为本次实际采用的值。"
            ],
        )
    )
    number += 1

    # 七、data quality
    blocks.append(Heading("七、数据质量"))
    blocks.append(_quality_table(result, number))

    header = f"{REPORT_TITLE}({year or ''}年度)"
    return Document(
        title=f"{REPORT_TITLE}({year or ''}年度)",
        blocks=blocks,
        header=header,
        mark=ILLUSTRATIVE if info.illustrative else "",
        footer_note="涉密指标已隐去" if masked else "",
        created=created,
        cover=True,
        subject="亩均效益评价年度报告",
    )


def _zones_geo(result: Result) -> Any:
    import geopandas as gpd

    z = result.zones
    return z if isinstance(z, gpd.GeoDataFrame) and len(z) else None


def annual_report_pdf(
    result: Result,
    *,
    previous: Result | None = None,
    info: ReportInfo | None = None,
    policy: Policy | None = None,
) -> bytes:
    """The annual report as PDF bytes."""
    return render(annual_report(result, previous=previous, info=info, policy=policy))
