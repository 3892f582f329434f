"""Rules as data: the default rules file, a user's overrides, frozen dataclasses.

>>> r = load_rules()
>>> r.evaluation.score_cap, r.evaluation.class_shares
(1.5, (0.2, 0.6, 0.95))
>>> load_rules(overrides={"densify": {"min_extra_floor_area_m2": 800}}).densify
... # doctest: +ELLIPSIS
DensifyRules(..., min_extra_floor_area_m2=800.0)
>>> load_rules(overrides={"densify": {"min_extra_floor_areas": 1}})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
lcgis.errors.RulesError: 规则文件中有未知的键 densify.min_extra_floor_areas：请检查拼写...
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import RulesError

#: Indicators of the comprehensive evaluation (data-contract §5 names).
INDICATORS = (
    "tax_per_mu",
    "value_added_per_mu",
    "value_added_per_energy",
    "value_added_per_emission",
    "labor_productivity",
    "rd_ratio",
    "tax_per_kwh",
    "output_per_mu",
    "revenue_per_mu",
)

#: Tables whose keys are the user's to choose (with the allowed key check).
_OPEN_TABLES = {
    "land.min_far_by_industry": "two_digit",
    "evaluation.fixed_benchmarks": "indicator",
    "evaluation.weights.above_scale": "indicator",
    "evaluation.weights.below_scale": "indicator",
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
    fixed_benchmarks: Mapping[str, float]
    weights_above_scale: Mapping[str, float]
    weights_below_scale: Mapping[str, float]


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


@dataclass(frozen=True)
class InefficientRules:
    far_below_min: bool
    far_utilization_below: float | None
    coverage_below_min: bool
    tax_per_mu_below: float | None
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
class DensifyRules:
    tax_per_mu_min: float
    tax_per_mu_high: float
    target_far_mid: float
    target_far_high: float
    min_extra_floor_area_m2: float


@dataclass(frozen=True)
class RelocationRules:
    area_tolerance: float
    require_zone_industry: bool
    industry_mismatch_penalty_share: float
    use_idle: bool
    use_undeveloped: bool
    use_vacate: bool
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


@dataclass(frozen=True, eq=False)
class Rules:
    """All rules, frozen.  ``digest`` identifies the content (for caches)."""

    measure: MeasureRules
    evaluation: EvaluationRules
    land: LandRules
    idle: IdleRules
    inefficient: InefficientRules
    vacate: VacateRules
    densify: DensifyRules
    relocation: RelocationRules
    sources: Mapping[str, str]
    digest: str
    access: AccessRules = AccessRules()

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


_KIND_ZH = {"bool": "true/false", "number": "数值", "str": "文本", "list": "列表", "table": "表"}


def _merge(default: dict[str, Any], user: Mapping[str, Any], path: str) -> dict[str, Any]:
    out = dict(default)
    for key, value in user.items():
        dotted = f"{path}.{key}" if path else key
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
    if kind == "two_digit" and not (len(key) == 2 and key.isdigit()):
        raise RulesError(f"规则 {dotted}：行业代码应为两位数字(GB/T 4754-2017 大类)")
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


def rules_from_dict(merged: dict[str, Any]) -> Rules:
    """Build frozen :class:`Rules` from a complete (merged) rules dictionary."""
    ev = merged["evaluation"]
    if ev["benchmark"] not in ("mean", "median"):
        raise RulesError(
            f'规则 evaluation.benchmark 应为 "mean" 或 "median"，实际为 {ev["benchmark"]!r}'
        )
    shares = tuple(float(s) for s in ev["class_shares"])
    if len(shares) != 3 or not all(
        0 < a <= b <= 1 for a, b in zip(shares, (*shares[1:], 1.0), strict=True)
    ):
        raise RulesError(
            "规则 evaluation.class_shares 应为三个递增的比例(0–1)，如 [0.20, 0.60, 0.95]"
        )
    evaluation = _build(
        EvaluationRules,
        ev,
        class_shares=shares,
        fixed_benchmarks=_floats(ev["fixed_benchmarks"]),
        weights_above_scale=_floats(ev["weights"]["above_scale"]),
        weights_below_scale=_floats(ev["weights"]["below_scale"]),
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
        inefficient=_build(InefficientRules, merged["inefficient"]),
        vacate=_build(VacateRules, merged["vacate"]),
        densify=_build(DensifyRules, merged["densify"]),
        relocation=_build(RelocationRules, merged["relocation"]),
        sources=dict(merged["sources"]),
        digest=digest,
        access=_access(merged["access"]),
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
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RulesError(f"规则文件 {p} 不是 UTF-8 编码的文本：请另存为 UTF-8") from exc


def load_rules(
    path: str | Path | None = None, *, overrides: Mapping[str, Any] | None = None
) -> Rules:
    """The default rules, overridden key by key by the TOML file ``path`` and ``overrides``."""
    merged = tomllib.loads(default_rules_text())
    if path is not None:
        p = Path(path)
        try:
            user = tomllib.loads(read_rules_text(p))
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"规则文件 {p} 不是合法的 TOML：{exc}") from exc
        merged = _merge(merged, user, "")
    if overrides:
        merged = _merge(merged, overrides, "")
    return rules_from_dict(merged)
