"""Rules as data: the default rules file, a user's overrides, frozen dataclasses.

>>> r = load_rules()
>>> r.evaluation.score_cap, r.evaluation.class_shares
(1.5, (0.2, 0.6, 0.95))
>>> load_rules(overrides={"densify": {"min_extra_floor_area_m2": 800}}).densify
... # doctest: +ELLIPSIS
DensifyRules(..., min_extra_floor_area_m2=800.0, ...)
>>> load_rules(overrides={"densify": {"min_extra_floor_areas": 1}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lcgis.errors.RulesError: 规则文件中有未知的键 densify.min_extra_floor_areas：请检查拼写...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from lcgis.errors import RulesError
from lcgis.plans import Plan, default_plans, merge_plans, plans_from_tables
from lcgis.vocab import INDICATORS, INEFFICIENT_REASONS
from lcgis.vocab import RULE_VALUE_KIND_LABELS as _KIND_ZH

#: What a missing indicator scores.
MISSING_MODES = ("zero", "group_mean")

#: Tables whose keys are the user's to choose (with the allowed key check).
_OPEN_TABLES = {
    "land.min_far_by_industry": "two_digit",
    "evaluation.fixed_benchmarks": "indicator",
    "evaluation.weights.above_scale": "indicator",
    "evaluation.weights.below_scale": "indicator",
    "evaluation.weights.small": "indicator",
    "evaluation.missing_indicator": "missing_mode",
    "priority.zone_weights": "number",
    "priority.densify_zone_weights": "number",
    "sources": "any",
    "relocation.targets": "target",
}
#: Figures of the relocation before/after table that a plan target may name.
RELOCATION_TARGETS = (
    "tax_per_mu",
    "output_per_mu",
    "tax_wan",
    "output_wan",
    "in_use_mu",
    "idle_undeveloped_mu",
)
#: Keys whose default is false but that also take a number.
_FALSE_OR_NUMBER = {
    "inefficient.far_utilization_below",
    "inefficient.tax_per_mu_below",
    "inefficient.output_per_mu_below_zone_share",
    "inefficient.output_per_mu_below",
    "buyback.tax_per_mu_below",
    "buyback.small_parcel_mu_below",
    "inefficient.small_parcel_mu_below",
    "inefficient.leased_share_above",
    "inefficient.completion_overdue_years",
    "vacate.tax_per_mu_below",
    "land.default_min_far",
}


@dataclass(frozen=True)
class MeasureRules:
    double_storey_height_m: float
    area_mismatch_share: float


@dataclass(frozen=True)
class EvaluationRules:
    benchmark: str
    score_cap: float
    class_shares: tuple[float, float, float]
    min_land_mu_below_scale: float
    min_years_in_production: float
    min_group_size: int
    fixed_benchmarks: Mapping[str, float]
    weights_above_scale: Mapping[str, float]
    weights_below_scale: Mapping[str, float]
    weights_small: Mapping[str, float]
    #: indicator -> "zero" | "group_mean" (indicators not named score zero).
    missing_indicator: Mapping[str, str]

    def weights(self, group: str) -> Mapping[str, float]:
        """The weights of one evaluation group (``above_scale``, ``below_scale``, ``small``)."""
        return {
            "above_scale": self.weights_above_scale,
            "below_scale": self.weights_below_scale,
            "small": self.weights_small,
        }[group]


@dataclass(frozen=True)
class LandRules:
    coverage_min: float
    office_share_max: float
    default_min_far: float | None
    min_far_by_industry: Mapping[str, float]


@dataclass(frozen=True)
class IdleRules:
    not_started_years: float
    developed_share_below: float
    invested_share_below: float
    suspended_years: float
    fee_share: float
    fee_years: float
    reclaim_years: float
    government_reason: str


@dataclass(frozen=True)
class ConstructionRules:
    construction_years: float


@dataclass(frozen=True)
class InefficientRules:
    land_uses: tuple[str, ...]
    secondary: tuple[str, ...]
    far_below_min: bool
    far_utilization_below: float | None
    coverage_below_min: bool
    tax_per_mu_below: float | None
    output_per_mu_below: float | None
    output_per_mu_below_zone_share: float | None
    not_producing: bool
    small_parcel_mu_below: float | None
    industry_mismatch: bool
    leased_share_above: float | None
    completion_overdue_years: float | None


@dataclass(frozen=True)
class VacateRules:
    tax_per_mu_below: float | None
    class_d: bool
    idle: bool
    undeveloped: bool


@dataclass(frozen=True)
class DispositionRules:
    land_uses: tuple[str, ...]


@dataclass(frozen=True)
class BuybackRules:
    tax_per_mu_below: float | None
    small_parcel_mu_below: float | None
    require_industrial_block: bool
    valid_from: dt.date
    valid_to: dt.date


@dataclass(frozen=True)
class DensifyRules:
    tax_per_mu_min: float
    tax_per_mu_high: float
    target_far_mid: float
    target_far_high: float
    min_extra_floor_area_m2: float
    min_land_mu: float


@dataclass(frozen=True)
class PriorityRules:
    #: Cumulative shares of a list in the tiers 近期 and 中期 (the rest is 储备).
    tier_shares: tuple[float, float]
    #: zone_id -> weight of the stake on the disposal lists (zones not named: 1).
    zone_weights: Mapping[str, float]
    #: zone_id -> weight of the stake on the 零地增资 list.
    densify_zone_weights: Mapping[str, float]
    #: Dispositions whose lists are not tiered (every parcel 近期).
    untiered: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelocationRules:
    area_tolerance: float
    require_zone_industry: bool
    industry_mismatch_penalty_share: float
    use_reclaim: bool
    use_buyback: bool
    use_vacate: bool
    use_undeveloped: bool
    min_shared_boundary_m: float
    max_site_parcels: int
    count_displaced: bool
    #: Park targets {figure: value} and zone targets {zone_id: {figure: value}}.
    targets: Mapping[str, Any]


@dataclass(frozen=True)
class AccessRules:
    """Who sees what (:mod:`lcgis.access`): the confidential quantities and whether park and
    zone totals of them are shown to guests."""

    confidential: tuple[str, ...] = (
        "tax",
        "output",
        "revenue",
        "value_added",
        "energy",
        "electricity",
        "employees",
        "rd",
    )
    public_totals: bool = False


@dataclass(frozen=True)
class WorkbookRules:
    """The committee's workbook: the most rows of a detail sheet (宗地, 企业); a larger table
    is written beside the workbook as CSV (:func:`lcgis.views.report.write_workbook`)."""

    max_rows: int = 200_000


@dataclass(frozen=True)
class ChainRule:
    """An industry chain (产业链群): its name, the two-digit industry codes (GB/T 4754-2017
    大类) of its firms and its source."""

    key: str
    name: str
    codes: tuple[str, ...]
    source: str = ""


_CHAIN_KEYS = {"name": "str", "codes": "list", "source": "str"}
_CHAIN_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


def _merge_chain(dotted: str, key: str, default: Any, value: Any) -> dict[str, Any]:
    """One ``[chains.<key>]`` of a user's file over the default chain of that key (a new
    chain needs a name and codes)."""
    if not _CHAIN_KEY.match(key):
        raise RulesError(f"规则 {dotted}：产业链代码应为小写英文字母、数字或下划线，如 textile")
    if _kind(value) != "table":
        raise RulesError(f"规则 {dotted} 应为表([{dotted}])，实际为{value!r}")
    out = dict(default or {})
    for k, v in value.items():
        want = _CHAIN_KEYS.get(k)
        if want is None:
            raise RulesError(f"规则文件中有未知的键 {dotted}.{k}：可用 name、codes、source")
        if _kind(v) != want:
            raise RulesError(
                f"规则 {dotted}.{k} 的类型不对：应为{_KIND_ZH.get(want, want)}，实际为{v!r}"
            )
        out[k] = v
    missing = [k for k in ("name", "codes") if k not in out]
    if missing:
        raise RulesError(f"规则 {dotted} 缺少 {missing[0]}：新的产业链需写 name 和 codes")
    return out


def _chains(data: Mapping[str, Any]) -> dict[str, ChainRule]:
    chains: dict[str, ChainRule] = {}
    owner: dict[str, str] = {}
    for key, table in data.items():
        codes = tuple(str(c) for c in table["codes"])
        for code in codes:
            if not (len(code) == 2 and code.isdigit()):
                raise RulesError(
                    f"规则 chains.{key}.codes 中的 {code!r} 不是两位行业代码(GB/T 4754-2017 大类)"
                )
            if code in owner:
                raise RulesError(
                    f"规则 chains.{key}.codes：行业代码 {code} 已属于产业链 {owner[code]}"
                )
            owner[code] = key
        chains[key] = ChainRule(key, str(table["name"]), codes, str(table.get("source", "")))
    return chains


def _plans(tables: Any) -> tuple[Plan, ...]:
    """The default plans with the user's ``[[plan]]`` tables adding or replacing by key."""
    if not isinstance(tables, list) or not all(isinstance(t, Mapping) for t in tables):
        raise RulesError("规则文件中的 plan 应写作 [[plan]] 表(见 lcgis/rules/plans.toml)")
    return merge_plans(default_plans(), plans_from_tables(tables))


_QUANTITY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _access(data: Mapping[str, Any]) -> AccessRules:
    names = data["confidential"]
    bad = [n for n in names if not (isinstance(n, str) and _QUANTITY.match(n))]
    if bad:
        raise RulesError(
            f"规则 access.confidential 中的 {bad[0]!r} 不是字段名：请填小写英文字段名或其一部分，"
            '如 "tax"、"value_added"'
        )
    return AccessRules(tuple(dict.fromkeys(names)), bool(data["public_totals"]))


def _workbook(data: Mapping[str, Any]) -> WorkbookRules:
    rows = data["max_rows"]
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise RulesError(
            f"workbook.max_rows 应为正整数(工作簿每张明细表的最多行数)，而不是 {rows!r}"
        )
    return WorkbookRules(max_rows=rows)


@dataclass(frozen=True, eq=False)
class Rules:
    """All rules, frozen.  ``digest`` identifies the content (for caches)."""

    measure: MeasureRules
    evaluation: EvaluationRules
    land: LandRules
    idle: IdleRules
    construction: ConstructionRules
    inefficient: InefficientRules
    disposition: DispositionRules
    buyback: BuybackRules
    vacate: VacateRules
    densify: DensifyRules
    priority: PriorityRules
    relocation: RelocationRules
    sources: Mapping[str, str]
    digest: str
    access: AccessRules = AccessRules()
    workbook: WorkbookRules = WorkbookRules()
    #: chain key -> industry chain ([chains]).
    chains: Mapping[str, ChainRule] = field(default_factory=dict)
    #: The plans (default plans file, then the rules file's own [[plan]] tables).
    plans: tuple[Plan, ...] = ()

    def __hash__(self) -> int:
        return hash(self.digest)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rules) and other.digest == self.digest

    def source(self, code: str) -> str:
        """The policy source of a rule code ('' when none is recorded)."""
        return self.sources.get(code, "")


def default_rules_text() -> str:
    """The text of the default rules file shipped in the package."""
    return resources.files("lcgis").joinpath("rules/default.toml").read_text(encoding="utf-8")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def _merge(default: dict[str, Any], user: Mapping[str, Any], path: str) -> dict[str, Any]:
    out = dict(default)
    for key, value in user.items():
        dotted = f"{path}.{key}" if path else key
        if dotted == "plan":  # [[plan]] tables: read by lcgis.plans (rules_from_dict)
            out[key] = value
            continue
        if path == "chains":
            out[key] = _merge_chain(dotted, key, default.get(key), value)
            continue
        open_kind = _OPEN_TABLES.get(path)
        if key not in default and open_kind is None:
            raise RulesError(
                f"规则文件中有未知的键 {dotted}：请检查拼写"
                "(可用的键见默认规则文件 lcgis/rules/default.toml)"
            )
        if open_kind is not None:
            _check_open_key(open_kind, dotted, key, value)
            out[key] = value
            continue
        want = _kind(default[key])
        got = _kind(value)
        if want == "table":
            if got != "table":
                raise RulesError(
                    f"规则 {dotted} 应为表([{dotted}])，实际为{_KIND_ZH.get(got, got)}"
                )
            out[key] = _merge(default[key], value, dotted)
            continue
        if dotted in _FALSE_OR_NUMBER and (value is False or got == "number"):
            out[key] = value
            continue
        if want != got:
            raise RulesError(
                f"规则 {dotted} 的类型不对：应为{_KIND_ZH.get(want, want)}，"
                f"实际为{_KIND_ZH.get(got, got)}({value!r})"
            )
        out[key] = value
    return out


def _check_open_key(kind: str, dotted: str, key: str, value: Any) -> None:
    if (
        kind == "target"
        and isinstance(value, dict)
        and "." not in dotted.removeprefix("relocation.targets.")
    ):  # a zone's own targets: [relocation.targets.<zone_id>]
        for k, v in value.items():
            _check_open_key("target", f"{dotted}.{k}", k, v)
        return
    if kind == "target" and key not in RELOCATION_TARGETS:
        raise RulesError(f"规则 {dotted} 不是可设目标的指标：可用 {', '.join(RELOCATION_TARGETS)}")
    if kind == "indicator" and key not in INDICATORS:
        raise RulesError(f"规则 {dotted} 不是已知的评价指标：可用 {', '.join(INDICATORS)}")
    if kind == "two_digit" and not (2 <= len(key) <= 4 and key.isdigit()):
        raise RulesError(f"规则 {dotted}：行业代码应为2–4位数字(GB/T 4754-2017 大类、中类或小类)")
    if kind == "missing_mode":
        if key not in INDICATORS:
            raise RulesError(f"规则 {dotted} 不是已知的评价指标：可用 {', '.join(INDICATORS)}")
        if value not in MISSING_MODES:
            raise RulesError(f'规则 {dotted} 应为 "zero" 或 "group_mean"，实际为 {value!r}')
        return
    want = "str" if kind == "any" else "number"
    if _kind(value) != want:
        raise RulesError(f"规则 {dotted} 的类型不对：应为{_KIND_ZH[want]}，实际为{value!r}")


def _num_or_none(value: Any) -> float | None:
    if value is False or value is None:
        return None
    if value is True:
        raise RulesError("阈值不能为 true：请填数值，或填 false 关闭该项")
    return float(value)


def _build(section: type, data: Mapping[str, Any], **extra: Any) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(section):
        if f.name in extra:
            kwargs[f.name] = extra[f.name]
            continue
        value = data[f.name]
        ann = str(f.type)
        if ann == "bool":
            kwargs[f.name] = bool(value)
        elif ann == "float":
            kwargs[f.name] = float(value)
        elif ann == "int":
            kwargs[f.name] = int(value)
        elif ann == "float | None":
            kwargs[f.name] = _num_or_none(value)
        else:
            kwargs[f.name] = value
    return section(**kwargs)


def _floats(table: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in table.items()}


def _date(dotted: str, value: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RulesError(f"规则 {dotted} 应为日期(YYYY-MM-DD)，实际为 {value!r}") from exc


def _shares(dotted: str, values: Any, n: int, example: str) -> tuple[float, ...]:
    """``n`` strictly increasing shares in (0, 1]."""
    shares = tuple(float(s) for s in values)
    ok = len(shares) == n and all(math.isfinite(s) for s in shares)
    bounds = (*shares[1:], 1.0 + 1e-12)
    if not ok or not all(0 < a < b for a, b in zip(shares, bounds, strict=True)):
        raise RulesError(
            f"规则 {dotted} 应为{n}个严格递增、在 (0, 1] 内的比例，如 {example}，"
            f"实际为 {list(values)!r}"
        )
    return shares


def _inefficient(data: Mapping[str, Any]) -> InefficientRules:
    secondary = tuple(str(c) for c in data["secondary"])
    unknown = [c for c in secondary if c not in INEFFICIENT_REASONS]
    if unknown:
        raise RulesError(f"规则 inefficient.secondary 中有未知的低效原因：{'、'.join(unknown)}")
    return _build(
        InefficientRules,
        data,
        land_uses=tuple(str(u) for u in data["land_uses"]),
        secondary=secondary,
    )


def _buyback(data: Mapping[str, Any]) -> BuybackRules:
    start = _date("buyback.valid_from", data["valid_from"])
    end = _date("buyback.valid_to", data["valid_to"])
    if end < start:
        raise RulesError("规则 buyback.valid_to 早于 valid_from：请检查有效期")
    return _build(BuybackRules, data, valid_from=start, valid_to=end)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_ranges(merged: Mapping[str, Any], path: str = "") -> None:
    """Refuse numbers no rule can mean: every number finite and not negative; shares in
    [0, 1] (lists of shares in (0, 1]); weights not negative and not all 0 in a group;
    fixed benchmarks and the score cap above 0.

    >>> check_ranges({"evaluation": {"score_cap": float("nan")}})
    Traceback (most recent call last):
    ...
    lcgis.errors.RulesError: 规则 evaluation.score_cap 应为有限的数值，实际为 nan
    >>> check_ranges({"evaluation": {"weights": {"above_scale": {"tax_per_mu": 0}}}})
    Traceback (most recent call last):
    ...
    lcgis.errors.RulesError: 规则 evaluation.weights.above_scale 的权重全为 0：至少一项应大于 0
    """
    for key, value in merged.items():
        dotted = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            check_ranges(value, dotted)
            if (
                path == "evaluation.weights"
                and value
                and not any(_is_number(w) and w > 0 for w in value.values())
            ):
                raise RulesError(f"规则 {dotted} 的权重全为 0：至少一项应大于 0")
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if not _is_number(item):
                continue
            if not math.isfinite(item):
                raise RulesError(f"规则 {dotted} 应为有限的数值，实际为 {item!r}")
            if item < 0:
                raise RulesError(f"规则 {dotted} 不能为负数，实际为 {item!r}")
            if isinstance(value, list) and "share" in str(key) and not 0 < item <= 1:
                raise RulesError(f"规则 {dotted} 中的比例应在 (0, 1] 内，实际为 {item!r}")
            if not isinstance(value, list) and "share" in str(key) and item > 1:
                raise RulesError(
                    f"规则 {dotted} 是比例，应在 0–1 之间(50% 写作 0.5)，实际为 {item!r}"
                )
            if path == "evaluation.fixed_benchmarks" and item <= 0:
                raise RulesError(f"规则 {dotted}：基准值应大于 0，实际为 {item!r}")
            if dotted == "evaluation.score_cap" and item <= 0:
                raise RulesError(f"规则 {dotted} 应大于 0，实际为 {item!r}")


def rules_from_dict(merged: dict[str, Any]) -> Rules:
    """Build frozen :class:`Rules` from a complete (merged) rules dictionary."""
    ev = merged["evaluation"]
    if ev["benchmark"] not in ("mean", "median"):
        raise RulesError(
            f'规则 evaluation.benchmark 应为 "mean" 或 "median"，实际为 {ev["benchmark"]!r}'
        )
    check_ranges(merged)
    shares = _shares("evaluation.class_shares", ev["class_shares"], 3, "[0.20, 0.60, 0.95]")
    evaluation = _build(
        EvaluationRules,
        ev,
        class_shares=shares,
        fixed_benchmarks=_floats(ev["fixed_benchmarks"]),
        weights_above_scale=_floats(ev["weights"]["above_scale"]),
        weights_below_scale=_floats(ev["weights"]["below_scale"]),
        weights_small=_floats(ev["weights"]["small"]),
        missing_indicator={str(k): str(v) for k, v in ev["missing_indicator"].items()},
    )
    pr = merged["priority"]
    tiers = _shares("priority.tier_shares", pr["tier_shares"], 2, "[0.20, 0.50]")
    priority = PriorityRules(
        tier_shares=(tiers[0], tiers[1]),
        zone_weights=_floats(pr["zone_weights"]),
        densify_zone_weights=_floats(pr["densify_zone_weights"]),
        untiered=tuple(str(d) for d in pr["untiered"]),
    )
    land = _build(
        LandRules,
        merged["land"],
        min_far_by_industry=_floats(merged["land"]["min_far_by_industry"]),
    )
    digest = hashlib.sha256(json.dumps(merged, sort_keys=True).encode()).hexdigest()[:16]
    return Rules(
        measure=_build(MeasureRules, merged["measure"]),
        evaluation=evaluation,
        land=land,
        idle=_build(IdleRules, merged["idle"]),
        construction=_build(ConstructionRules, merged["construction"]),
        inefficient=_inefficient(merged["inefficient"]),
        disposition=DispositionRules(
            land_uses=tuple(str(u) for u in merged["disposition"]["land_uses"])
        ),
        buyback=_buyback(merged["buyback"]),
        vacate=_build(VacateRules, merged["vacate"]),
        densify=_build(DensifyRules, merged["densify"]),
        priority=priority,
        relocation=_build(RelocationRules, merged["relocation"]),
        sources=dict(merged["sources"]),
        digest=digest,
        access=_access(merged["access"]),
        workbook=_workbook(merged["workbook"]),
        chains=_chains(merged["chains"]),
        plans=_plans(merged.get("plan", [])),
    )


#: Largest rules file read (bytes): the default file is about 12 kB.
MAX_RULES_BYTES = 1024 * 1024


def read_rules_text(path: str | Path, *, limit: int = MAX_RULES_BYTES) -> str:
    """The text of a rules file, checked before it is read: a regular file of at most
    ``limit`` bytes, UTF-8 (a BOM is allowed).  A device, a folder or a huge file is refused
    with a :class:`RulesError`, never read.

    >>> read_rules_text(".")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lcgis.errors.RulesError: 规则文件 . 不是普通文件...
    """
    p = Path(path)
    try:
        if not p.exists():
            raise RulesError(f"找不到规则文件 {p}")
        if not p.is_file():
            raise RulesError(f"规则文件 {p} 不是普通文件(是文件夹或设备)：请选择一个 .toml 文件")
        if p.stat().st_size > limit:
            raise RulesError(
                f"规则文件 {p} 太大(超过 {limit // 1024} KB)：规则文件只需几 KB，请检查是否选错文件"
            )
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise RulesError(f"无法读取规则文件 {p}：{exc.strerror or exc}") from exc
    if len(data) > limit:
        raise RulesError(f"规则文件 {p} 太大(超过 {limit // 1024} KB)")
    from lcgis.data.encoding import decode_text

    try:
        return decode_text(data)[0]  # UTF-8 (with or without BOM), else GBK or Big5
    except UnicodeError as exc:
        fix = "请用记事本“另存为 UTF-8”"
        raise RulesError(f"规则文件 {p.name} 的编码无法识别({exc})：{fix}") from exc


def load_rules(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Rules:
    """The default rules, overridden key by key by the TOML file ``path`` and ``overrides``."""
    merged = tomllib.loads(default_rules_text())
    if path is None:
        if overrides:
            merged = _merge(merged, overrides, "")
        return rules_from_dict(merged)
    p = Path(path)
    try:
        user = tomllib.loads(read_rules_text(p))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"规则文件 {p.name} 不是合法的 TOML：{exc}") from exc
    except RecursionError as exc:
        raise RulesError(f"规则文件 {p.name} 不是合法的 TOML：嵌套过深") from exc
    try:
        merged = _merge(merged, user, "")
        if overrides:
            merged = _merge(merged, overrides, "")
        return rules_from_dict(merged)
    except RulesError as exc:
        raise RulesError(f"规则文件 {p.name}：{exc}") from exc
