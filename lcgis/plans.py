"""Plans as data: planning periods with their targets and baselines, frozen.

The default plans file ``lcgis/rules/plans.toml`` ships the 十四五 plan (泉鲤政文〔2021〕87号);
a user's file with ``[[plan]]`` tables (a rules file passed with --rules, or a plans file)
adds a plan or replaces the plan of the same key as a whole.

>>> p = default_plans()[0]
>>> p.key, p.start, p.end, p.target("above_scale_output_yi").value
('14th', 2021, 2025, 661.0)
>>> plans_from_tables([{"key": "15th", "name": "十五五", "period": {"start": 2026, "end": 2030},
...                     "target": [{"key": "x", "scope": "园区"}]}])
Traceback (most recent call last):
...
lcgis.errors.RulesError: 规划 15th 的目标 x 缺少 value(目标值)
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lcgis.errors import RulesError

#: Scope of a district-wide target (a park figure beside it is context, never "reached").
DISTRICT = "全区"
#: Scope of a target of the whole park.
PARK = "园区"
#: Largest plans file read (bytes).
MAX_PLANS_BYTES = 1024 * 1024

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_PLAN_KEYS = {"key", "name", "period", "source", "target", "baseline"}
_TARGET_KEYS = {"key", "value", "unit", "scope", "wording"}
_BASELINE_KEYS = {"key", "value", "year", "scope", "wording"}


@dataclass(frozen=True)
class Target:
    """One target of a plan: ``value`` of figure ``key`` by the plan's end year, in ``scope``."""

    key: str
    value: float
    unit: str
    scope: str
    wording: str = ""


@dataclass(frozen=True)
class Baseline:
    """A figure the plan states for a year before its period (its starting point)."""

    key: str
    value: float
    year: int
    scope: str
    wording: str = ""


@dataclass(frozen=True)
class Plan:
    """A planning period (start and end years included) with its targets and baselines."""

    key: str
    name: str
    start: int
    end: int
    source: str
    targets: tuple[Target, ...] = ()
    baselines: tuple[Baseline, ...] = ()

    def target(self, key: str, scope: str | None = None) -> Target | None:
        """The first target of figure ``key`` (in ``scope`` when given), None when none."""
        return next((t for t in self.targets if t.key == key and scope in (None, t.scope)), None)

    def baselines_of(self, key: str, scope: str | None = None) -> tuple[Baseline, ...]:
        """The baselines of figure ``key`` (in ``scope`` when given), oldest first."""
        found = [b for b in self.baselines if b.key == key and scope in (None, b.scope)]
        return tuple(sorted(found, key=lambda b: b.year))

    def first_year(self) -> int:
        """The first year an assessment shows: the oldest baseline's, else the year before
        the period."""
        return min([b.year for b in self.baselines] + [self.start - 1])


def default_plans_text() -> str:
    """The text of the default plans file shipped in the package."""
    return resources.files("lcgis").joinpath("rules/plans.toml").read_text(encoding="utf-8")


def _where(plan: str, part: str = "", key: str = "") -> str:
    kind = "目标" if part == "target" else "基数"
    return f"规划 {plan}" + (f" 的{kind} {key}" if part else "")


def _text(where: str, table: Mapping[str, Any], name: str, label: str, default: Any) -> str:
    value = table.get(name, default)
    if value is None:
        raise RulesError(f"{where} 缺少 {name}({label})")
    if not isinstance(value, str):
        raise RulesError(f"{where} 的 {name}({label}) 应为文字，实际为 {value!r}")
    return value


def _number(where: str, table: Mapping[str, Any], name: str, label: str) -> float:
    if name not in table:
        raise RulesError(f"{where} 缺少 {name}({label})")
    value = table[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{where} 的 {name}({label}) 应为数值，实际为 {value!r}")
    if not math.isfinite(value):
        raise RulesError(f"{where} 的 {name}({label}) 应为有限的数值，实际为 {value!r}")
    return float(value)


def _year(where: str, table: Mapping[str, Any], name: str, label: str) -> int:
    value = _number(where, table, name, label)
    if value != int(value) or not 1900 <= value <= 2200:
        raise RulesError(f"{where} 的 {name}({label}) 应为年份(如 2025)，实际为 {value!r}")
    return int(value)


def _key(where: str, table: Mapping[str, Any]) -> str:
    key = table.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise RulesError(f"{where} 的 key 应为英文字母、数字或下划线组成的代码，实际为 {key!r}")
    return key


def _scope(where: str, table: Mapping[str, Any]) -> str:
    scope = _text(where, table, "scope", f"范围：{DISTRICT}、{PARK}或片区编号", None)
    if scope not in (DISTRICT, PARK) and not _KEY.match(scope):
        raise RulesError(
            f"{where} 的范围 scope = {scope!r} 不可用：应为“{DISTRICT}”“{PARK}”或片区编号(如 north)"
        )
    return scope


def _unknown(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise RulesError(f"{where} 有未知的键 {extra[0]}：可用 {', '.join(sorted(allowed))}")


def _tables(where: str, table: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    items = table.get(name, [])
    if not isinstance(items, list) or not all(isinstance(t, Mapping) for t in items):
        raise RulesError(f"{where} 的 {name} 应写作 [[plan.{name}]] 表")
    return items


def _target(plan: str, table: Mapping[str, Any]) -> Target:
    where = _where(plan, "target", str(table.get("key", "")))
    key = _key(where, table)
    _unknown(where, table, _TARGET_KEYS)
    return Target(
        key=key,
        value=_number(where, table, "value", "目标值"),
        unit=_text(where, table, "unit", "单位", ""),
        scope=_scope(where, table),
        wording=_text(where, table, "wording", "规划原文", ""),
    )


def _baseline(plan: str, table: Mapping[str, Any]) -> Baseline:
    where = _where(plan, "baseline", str(table.get("key", "")))
    key = _key(where, table)
    _unknown(where, table, _BASELINE_KEYS)
    return Baseline(
        key=key,
        value=_number(where, table, "value", "数值"),
        year=_year(where, table, "year", "年份"),
        scope=_scope(where, table),
        wording=_text(where, table, "wording", "规划原文", ""),
    )


def plan_from_table(table: Mapping[str, Any]) -> Plan:
    """One ``[[plan]]`` table as a :class:`Plan`; a :class:`RulesError` naming the key on
    bad input."""
    where = f"规划 {table.get('key', '')}".rstrip()
    key = _key(where, table)
    where = _where(key)
    _unknown(where, table, _PLAN_KEYS)
    period = table.get("period")
    if not isinstance(period, Mapping):
        raise RulesError(
            f"{where} 缺少 period(规划期)：写作 period = {{ start = 2026, end = 2030 }}"
        )
    start = _year(where, period, "start", "起始年")
    end = _year(where, period, "end", "终止年")
    if end < start:
        raise RulesError(f"{where} 的规划期终止年 {end} 早于起始年 {start}")
    targets = tuple(_target(key, t) for t in _tables(where, table, "target"))
    seen: set[tuple[str, str]] = set()
    for t in targets:
        if (t.key, t.scope) in seen:
            raise RulesError(f"{_where(key, 'target', t.key)} 在范围 {t.scope} 重复")
        seen.add((t.key, t.scope))
    return Plan(
        key=key,
        name=_text(where, table, "name", "规划名称", None),
        start=start,
        end=end,
        source=_text(where, table, "source", "依据", ""),
        targets=targets,
        baselines=tuple(_baseline(key, b) for b in _tables(where, table, "baseline")),
    )


def plans_from_tables(tables: Iterable[Mapping[str, Any]]) -> tuple[Plan, ...]:
    """Every ``[[plan]]`` table as a :class:`Plan`; a key given twice is an error."""
    plans = tuple(plan_from_table(t) for t in tables)
    keys = [p.key for p in plans]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise RulesError(f"规划 {dup} 重复：同一文件中每个规划的 key 只能出现一次")
    return plans


def merge_plans(base: Sequence[Plan], extra: Sequence[Plan]) -> tuple[Plan, ...]:
    """``base`` with each plan of ``extra`` replacing the plan of its key, or added after.

    >>> a, b = Plan("14th", "A", 2021, 2025, ""), Plan("15th", "B", 2026, 2030, "")
    >>> [p.name for p in merge_plans([a], [b, Plan("14th", "A2", 2021, 2025, "")])]
    ['A2', 'B']
    """
    by_key = {p.key: p for p in base}
    by_key.update({p.key: p for p in extra})
    return tuple(by_key.values())


def check_scopes(plans: Iterable[Plan], zone_ids: Iterable[str]) -> None:
    """Refuse a target or baseline whose scope is neither 全区, 园区 nor one of ``zone_ids``.

    >>> t = Target("x", 1.0, "", "east")
    >>> check_scopes([Plan("15th", "B", 2026, 2030, "", (t,))], ["north"])
    Traceback (most recent call last):
    ...
    lcgis.errors.RulesError: 规划 15th 的目标 x 的范围 east 不是已知的片区：可用 全区、园区、north
    """
    known = [DISTRICT, PARK, *map(str, zone_ids)]
    for plan in plans:
        parts = [("target", t.key, t.scope) for t in plan.targets]
        parts += [("baseline", b.key, b.scope) for b in plan.baselines]
        for part, key, scope in parts:
            if scope not in known:
                where = _where(plan.key, part, key)
                raise RulesError(f"{where} 的范围 {scope} 不是已知的片区：可用 {'、'.join(known)}")


def plan_tables(text: str, name: str) -> list[Mapping[str, Any]]:
    """The ``[[plan]]`` tables of a TOML text (other tables ignored); ``name`` for messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"规划文件 {name} 不是合法的 TOML：{exc}") from exc
    tables = doc.get("plan", [])
    if not isinstance(tables, list):
        raise RulesError(f"规划文件 {name} 的 plan 应写作 [[plan]] 表")
    return tables


def default_plans() -> tuple[Plan, ...]:
    """The plans shipped with lcgis (the 十四五 plan)."""
    return plans_from_tables(plan_tables(default_plans_text(), "plans.toml"))


def read_plans_text(path: str | Path, *, limit: int = MAX_PLANS_BYTES) -> str:
    """The text of a plans (or rules) file: a regular file of at most ``limit`` bytes."""
    from lcgis.data.encoding import decode_text

    p = Path(path)
    if not p.is_file():
        raise RulesError(f"找不到规划文件 {p}(或不是普通文件)")
    try:
        with open(p, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise RulesError(f"无法读取规划文件 {p}：{exc.strerror or exc}") from exc
    if len(data) > limit:
        raise RulesError(f"规划文件 {p} 太大(超过 {limit // 1024} KB)")
    try:
        return decode_text(data)[0]
    except UnicodeError as exc:
        raise RulesError(f"规划文件 {p.name} 的编码无法识别({exc})：请另存为 UTF-8") from exc


def load_plans(
    path: str | Path | None = None,
    *,
    tables: Iterable[Mapping[str, Any]] = (),
    zone_ids: Iterable[str] | None = None,
) -> tuple[Plan, ...]:
    """The default plans, with the ``[[plan]]`` tables of the file ``path`` and of
    ``tables`` each adding a plan or replacing the plan of its key.  With ``zone_ids``, a
    scope that is no known zone is refused (:func:`check_scopes`)."""
    plans = default_plans()
    if path is not None:
        name = Path(path).name
        try:
            plans = merge_plans(plans, plans_from_tables(plan_tables(read_plans_text(path), name)))
        except RulesError as exc:
            raise RulesError(f"规划文件 {name}：{exc}") from exc
    plans = merge_plans(plans, plans_from_tables(tables))
    if zone_ids is not None:
        check_scopes(plans, zone_ids)
    return plans


def current_plan(plans: Sequence[Plan], year: int | None) -> Plan | None:
    """The plan whose period holds ``year``; else the latest that ended before it; else the
    first.

    >>> a, b = Plan("14th", "A", 2021, 2025, ""), Plan("15th", "B", 2026, 2030, "")
    >>> current_plan([a, b], 2027).key, current_plan([a], 2027).key, current_plan([b], 2024).key
    ('15th', '14th', '15th')
    """
    if not plans:
        return None
    if year is None:
        return max(plans, key=lambda p: p.end)
    holding = [p for p in plans if p.start <= year <= p.end]
    if holding:
        return holding[0]
    ended = [p for p in plans if p.end < year]
    return max(ended, key=lambda p: p.end) if ended else plans[0]
