"""Who may see what: one access policy for every channel of a result.

Roles, least to most privileged: ``guest`` (not logged in; the demo only), ``viewer``,
``reviewer``, ``admin``.  Reviewers and admins see everything.  Guests and viewers never see
a confidential figure of a parcel or an enterprise: the fields named in the rules file's
``[access] confidential`` list (tax, output, revenue, value added, energy, electricity,
employees, R&D by default) and every field computed from them.  Park and zone totals of those
fields are shown to viewers, and to guests only when ``[access] public_totals = true``.

The policy is applied once, to the result itself (:meth:`Policy.mask_result`): the masked
copy has the confidential columns blank, so whatever is built from it — the map payload and
tooltips, tables, the 体检表, the workbook, GeoPackage and CSV — cannot show them.  The copy
records its policy in ``Result.access``, so those builders can say "only for reviewers"
instead of showing an empty cell, and offer no colouring by a masked figure.

A column is confidential when its name contains a listed name as whole ``_``-separated
words (``tax`` matches ``tax_wan``, ``tax_per_mu``, ``est_extra_tax_wan``, ``score_tax_per_mu``,
not ``taxonomy``), or names a figure derived from a listed one (:data:`DERIVED`).  Chinese
headers are matched by the words of :data:`CHINESE`.  Flags (true/false columns such as
``tax_per_mu_low``) are rule outcomes, not figures, and stay visible.

>>> from lcgis.rules import load_rules
>>> guest = policy("guest", load_rules())
>>> [guest.hides(c) for c in ("tax_per_mu", "far", "labor_productivity", "亩均税收(万元/亩)")]
[True, False, True, True]
>>> guest.hides("tax_wan", total=True), policy("viewer", load_rules()).hides("tax_wan", total=True)
(True, False)
>>> policy("admin", load_rules()).sees_all, policy("somebody", load_rules()).role
(True, 'guest')
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

import numpy as np
import pandas as pd

from lcgis.data.canonical import EXTRA_PREFIX
from lcgis.rules import AccessRules, Rules
from lcgis.vocab import QUANTITY_WORDS as CHINESE
from lcgis.vocab import ROLE_LABELS, ROLES

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from lcgis.engine.pipeline import Result

__all__ = [
    "CHINESE",
    "DERIVED",
    "FULL_ACCESS",
    "MASKED",
    "ROLES",
    "ROLE_LABELS",
    "Policy",
    "is_confidential",
    "masked",
    "policy",
    "visible_fields",
]

#: Roles that see every figure.
FULL_ACCESS: Final = frozenset({"reviewer", "admin"})
#: What a masked figure shows where a text is expected (the 体检表).
MASKED: Final = "—(仅核查人员可见)"

#: Figures computed from other quantities, by a part of their name: confidential when any
#: of their sources is (labour productivity = value added / employees; kWh and tce are the
#: units of electricity and energy).
DERIVED: Final[Mapping[str, tuple[str, ...]]] = {
    "labor_productivity": ("value_added", "employees"),
    # a disposition's priority is land × zone tax per 亩 − the parcel's tax (or its extra tax)
    "priority": ("tax",),
    "kwh": ("electricity",),
    "tce": ("energy",),
}
#: Total columns outside a zones table: the zone's own figures repeated on its parcels.
_TOTAL_PREFIXES: Final = ("zone_", "park_")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.lower()) if w]


def _contains(words: list[str], name: str) -> bool:
    """Whether ``name`` (``value_added``) occurs in ``words`` as consecutive whole words."""
    part = name.split("_")
    n = len(part)
    return any(words[i : i + n] == part for i in range(len(words) - n + 1))


def is_confidential(column: object, names: Iterable[str]) -> bool:
    """Whether ``column`` holds (or is computed from) one of the quantities ``names``.

    >>> names = ("tax", "value_added", "employees", "electricity")
    >>> [is_confidential(c, names) for c in
    ...  ("est_extra_tax_wan", "taxonomy", "labor_productivity", "tax_per_kwh", "far", "实缴税金")]
    [True, False, True, True, False, True]
    >>> is_confidential("labor_productivity", ("tax",))
    False
    """
    text = str(column)
    wanted = set(names)
    words = _words(text)
    if any(_contains(words, n) for n in wanted):
        return True
    if any(_contains(words, d) and wanted.intersection(src) for d, src in DERIVED.items()):
        return True
    return any(zh in text for n in wanted for zh in CHINESE.get(n, ()))


_Frame = TypeVar("_Frame", bound=pd.DataFrame)


@dataclass(frozen=True)
class Policy:
    """What one role may see of a result.

    ``hidden``: the confidential quantities this role may not see (empty: everything is
    visible); ``totals``: whether it sees park and zone totals of them.
    """

    role: str
    hidden: tuple[str, ...] = ()
    totals: bool = True

    @property
    def sees_all(self) -> bool:
        """Reviewers and admins: nothing is masked."""
        return not self.hidden

    @property
    def stamp(self) -> str:
        """A short text that differs between policies that show different things (for
        cache keys)."""
        if self.sees_all:
            return "all"
        return f"hide:{','.join(self.hidden)};totals:{int(self.totals)}"

    def hides(self, column: object, *, total: bool = False) -> bool:
        """Whether this role may not see ``column``; ``total``: the column holds park or
        zone totals (so do ``zone_*`` columns anywhere).  A column of the user's files that no
        contract field took (``extra:…``) may hold anything, so a role that does not see every
        figure sees none of them.

        >>> p = Policy("guest", ("tax",), False)
        >>> p.hides("extra:营收"), p.hides("far"), Policy("admin").hides("extra:营收")
        (True, False, False)
        """
        if self.sees_all:
            return False
        if str(column).startswith(EXTRA_PREFIX):
            return True
        if not is_confidential(column, self.hidden):
            return False
        if total or str(column).startswith(_TOTAL_PREFIXES):
            return not self.totals
        return True

    def hidden_columns(self, columns: Iterable[object], *, totals: bool = False) -> list[str]:
        """The columns of ``columns`` this role may not see."""
        return [str(c) for c in columns if self.hides(c, total=totals)]

    def mask_frame(self, df: _Frame, *, totals: bool = False) -> _Frame:
        """``df`` with every hidden column blanked (NaN for numbers, else empty); ``df`` itself
        when nothing is hidden.  True/false columns (rule outcomes) are kept.  The input is
        never changed; a GeoDataFrame stays one.

        >>> df = pd.DataFrame({"far": [1.2], "tax_wan": [150.0], "tax_per_mu_low": [False]})
        >>> m = Policy("guest", ("tax",), False).mask_frame(df)
        >>> m["tax_wan"].isna().all(), float(m["far"].iloc[0]), bool(m["tax_per_mu_low"].iloc[0])
        (np.True_, 1.2, False)
        >>> float(df["tax_wan"].iloc[0])
        150.0
        """
        if self.sees_all:
            return df
        cols = [
            c
            for c in df.columns
            if c != getattr(df, "_geometry_column_name", None)
            and not pd.api.types.is_bool_dtype(df[c])
            and self.hides(c, total=totals)
        ]
        if not cols:
            return df
        out = df.copy()
        for c in cols:
            if pd.api.types.is_numeric_dtype(out[c]):
                out[c] = pd.Series(np.nan, index=out.index, dtype=float)
            else:
                out[c] = pd.Series(None, index=out.index, dtype=object)
        return out

    def mask_figures(self, figures: pd.DataFrame) -> pd.DataFrame:
        """The plan figures (park and zone totals per year) with the hidden totals blank; a
        chain's output (``chain_<key>_yi``) is output.

        >>> f = pd.DataFrame({"chain_textile_yi": [3.0], "listed": [2]})
        >>> Policy("guest", ("output",), False).mask_figures(f).values.tolist()
        [[nan, 2.0]]
        """
        if self.sees_all or self.totals or figures.empty:
            return self.mask_frame(figures, totals=True)
        out = self.mask_frame(figures, totals=True)
        chains = [c for c in out.columns if str(c).startswith("chain_")]
        if chains and self.hides("output_wan", total=True):
            out = out.copy()
            out[chains] = np.nan
        return out

    def mask_totals(self, figures: Mapping[str, float]) -> dict[str, float]:
        """Park or zone headline figures with the hidden ones set to NaN.

        >>> Policy("guest", ("tax",), False).mask_totals({"tax_wan": 9.0, "far": 1.1})
        {'tax_wan': nan, 'far': 1.1}
        """
        return {k: (math.nan if self.hides(k, total=True) else v) for k, v in figures.items()}

    def visible(self, keys: Iterable[str]) -> list[str]:
        """The keys (fields, indicators) of ``keys`` this role may see, in order."""
        return [k for k in keys if not self.hides(k)]

    def mask_result(self, result: Result) -> Result:
        """The result as this role may see it: parcels, enterprises, allocation and class
        history with the hidden columns blank, zones with hidden totals blank, and
        ``access`` set to this policy.  Reviewers and admins get ``result`` itself."""
        if self.sees_all:
            return result
        return dataclasses.replace(
            result,
            parcels=self.mask_frame(result.parcels),
            enterprises=self.mask_frame(result.enterprises),
            zones=self.mask_frame(result.zones, totals=True),
            allocation=self.mask_frame(result.allocation),
            history=self.mask_frame(result.history),
            plan_figures=self.mask_figures(result.plan_figures),
            access=self,
        )


def policy(role: str | None, rules: Rules | AccessRules) -> Policy:
    """The policy of ``role`` under the rules' ``[access]`` table.

    An unknown role (or ``None``) is a guest: the least privileged.
    """
    access = rules.access if isinstance(rules, Rules) else rules
    name = role if role in ROLES else "guest"
    if name in FULL_ACCESS:
        return Policy(name)
    totals = name == "viewer" or access.public_totals
    return Policy(name, tuple(access.confidential), totals)


def visible_fields(
    role: str | None, rules: Rules | AccessRules, columns: Iterable[str], *, totals: bool = False
) -> list[str]:
    """The fields of ``columns`` that ``role`` may see.

    >>> from lcgis.rules import load_rules
    >>> visible_fields("viewer", load_rules(), ["parcel_id", "far", "tax_per_mu", "rd_ratio"])
    ['parcel_id', 'far']
    """
    p = policy(role, rules)
    return [c for c in columns if not p.hides(c, total=totals)]


def masked(result: Result, column: str, *, total: bool = False) -> bool:
    """Whether ``column`` of ``result`` was blanked by its access policy."""
    return result.access is not None and result.access.hides(column, total=total)
