"""Free land for relocation and the sites built from it (rules.md §7).

Free parcels (rules.md §8) are those whose disposition frees them — 无偿收回 (reclaim),
收储改造 (buyback), 腾笼换鸟 (vacate) — and truly free land (undeveloped, never granted, nobody
on it), each kind switchable, plus parcels the user names, minus those the user excludes.
Land in construction, or held by a rights holder still in the idle-fee stage (or delayed by
the government), is never offered unless the user names it.  The current parcel of an
in-park mover is free only if that mover moves.  A *site* is one free parcel, or a
connected set of 2 … ``max_site_parcels`` free parcels of one zone, adjacent when their
boundaries share at least ``min_shared_boundary_m`` metres (a shared corner does not count).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lcgis.data.frame import flag, numbers
from lcgis.engine.land import granted
from lcgis.vocab import FREE_KIND_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from lcgis.rules import RelocationRules

_EPS = 1e-9


def zone_key(p: pd.DataFrame) -> np.ndarray:
    """zone_id as text, '' for a parcel outside every zone."""
    z = p["zone_id"] if "zone_id" in p else pd.Series(pd.NA, index=p.index)
    return z.astype(object).where(z.notna(), "").astype(str).to_numpy()


def zone_names(p: pd.DataFrame) -> dict[str, str]:
    """zone key -> zone_name (the key when unnamed; 片区外 for parcels outside every zone)."""
    names = p["zone_name"] if "zone_name" in p else pd.Series(pd.NA, index=p.index)
    frame = pd.DataFrame({"z": zone_key(p), "n": names.astype(object).where(names.notna(), "")})
    first = frame.drop_duplicates("z")
    return {
        str(z): (str(n) or str(z) or "片区外") for z, n in zip(first["z"], first["n"], strict=True)
    }


def kinds_zh(kinds: str) -> str:
    """Chinese names of ';'-joined free-land kinds.

    >>> kinds_zh("reclaim;mover_current")
    '无偿收回、搬迁企业现用地'
    """
    return "、".join(FREE_KIND_LABELS.get(k, k) for k in kinds.split(";") if k)


def free_parcels(
    parcels: pd.DataFrame,
    rules: RelocationRules,
    *,
    current: Iterable[str] = (),
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """Positions of the free parcels in ``parcels`` with their kinds (';'-joined codes).

    kinds ⊂ reclaim, buyback, vacate (the parcel's disposition), undeveloped (undeveloped,
    never granted, no occupant, not in construction) — as switched on in ``rules`` — and
    user (``include``), mover_current (``current``: parcels of in-park movers, free only if
    they move).  A parcel in construction or whose idle_action is ``fee`` / ``government``
    gets none of the first four.  ``exclude`` wins over everything; parcels without land
    (NaN or 0 亩) are left out.

    >>> from lcgis.rules import load_rules
    >>> p = pd.DataFrame({"parcel_id": list("ABCDEF"), "land_area_mu": [5.0, 6, 7, 0, 8, 9],
    ...     "disposition": ["reclaim", None, "vacate", "reclaim", "vacate", None],
    ...     "idle_action": [None, None, None, None, "fee", None],
    ...     "undeveloped": [False, True, False, False, True, True],
    ...     "land_user": [None, None, None, None, "某公司", "某公司"]})
    >>> free = free_parcels(p, load_rules().relocation, include=["F"])
    >>> free["parcel_id"].tolist(), free["kinds"].tolist()
    (['A', 'B', 'C', 'F'], ['reclaim', 'undeveloped', 'vacate', 'user'])
    """
    ids = parcels["parcel_id"].astype(str).to_numpy()
    kind = (
        parcels["disposition"].astype(object).to_numpy()
        if "disposition" in parcels
        else np.full(len(ids), None, dtype=object)
    )
    action = (
        parcels["idle_action"].astype(object).to_numpy()
        if "idle_action" in parcels
        else np.full(len(ids), None, dtype=object)
    )
    held = flag(parcels, "in_construction").to_numpy() | np.isin(action, ["fee", "government"])
    occupied = numbers(parcels, "n_occupants") > 0
    free_land = flag(parcels, "undeveloped").to_numpy() & ~granted(parcels) & ~occupied
    marks = {
        "reclaim": (kind == "reclaim") & rules.use_reclaim & ~held,
        "buyback": (kind == "buyback") & rules.use_buyback & ~held,
        "vacate": (kind == "vacate") & rules.use_vacate & ~held,
        "undeveloped": free_land & rules.use_undeveloped & ~held,
        "user": np.isin(ids, [str(i) for i in include]),
        "mover_current": np.isin(ids, [str(i) for i in current]),
    }
    kinds = pd.Series("", index=range(len(ids)), dtype=object)
    for code, mask in marks.items():
        kinds = kinds + np.where(mask, f"{code};", "")
    kinds = kinds.str.rstrip(";")
    keep = kinds.ne("").to_numpy() & ~np.isin(ids, [str(i) for i in exclude])
    keep &= numbers(parcels, "land_area_mu") > 0
    pos = np.flatnonzero(keep)
    return pd.DataFrame(
        {"pos": pos.tolist(), "parcel_id": ids[pos].tolist(), "kinds": kinds.iloc[pos].tolist()}
    )


def adjacent_pairs(geoms: np.ndarray | gpd.GeoSeries, min_shared_m: float = 1.0) -> pd.DataFrame:
    """Pairs (i < j) of polygons whose boundaries share at least ``min_shared_m`` metres.

    shared_m = length(boundary_i ∩ boundary_j), for the candidates of one STRtree query
    (``intersects``), vectorised; a shared corner is a point, of length 0.

    >>> sq = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10), shapely.box(20, 10, 30, 20)]
    >>> adjacent_pairs(np.array(sq)).to_dict("list")
    {'i': [0], 'j': [1], 'shared_m': [10.0]}
    """
    g = np.asarray(geoms.values if isinstance(geoms, gpd.GeoSeries) else geoms, dtype=object)
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(g[i]), shapely.boundary(g[j])))
    ok = shared >= min_shared_m
    return pd.DataFrame({"i": i[ok].tolist(), "j": j[ok].tolist(), "shared_m": shared[ok].tolist()})


def connected_sets(
    n: int,
    edges: pd.DataFrame,
    max_size: int,
    land: np.ndarray | None = None,
    max_land: float = np.inf,
) -> list[tuple[int, ...]]:
    """Connected sets of 2 … ``max_size`` of the nodes 0 … n−1 (sorted tuples), each once.

    Grown one neighbour at a time; a set whose ``land`` total exceeds ``max_land`` is not
    kept or grown (land only grows).

    >>> e = pd.DataFrame({"i": [0, 1, 2], "j": [1, 2, 3]})  # a path 0-1-2-3
    >>> connected_sets(4, e, 3)
    [(0, 1), (1, 2), (2, 3), (0, 1, 2), (1, 2, 3)]
    >>> connected_sets(4, e, 3, land=np.array([5.0, 5.0, 5.0, 9.0]), max_land=12.0)
    [(0, 1), (1, 2)]
    """
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for a, b in zip(edges["i"].tolist(), edges["j"].tolist(), strict=True):
        nbrs[a].add(b)
        nbrs[b].add(a)
    w = np.zeros(n) if land is None else np.asarray(land, dtype=float)
    level: set[tuple[int, ...]] = {(k,) for k in range(n) if w[k] <= max_land + _EPS}
    out: list[tuple[int, ...]] = []
    for _size in range(2, max_size + 1):
        grown: set[tuple[int, ...]] = set()
        for s in level:  # small sets of the few free parcels
            base = float(w[list(s)].sum())
            for k in set().union(*(nbrs[u] for u in s)) - set(s):
                if base + w[k] <= max_land + _EPS:
                    grown.add(tuple(sorted((*s, k))))
        level = grown
        out.extend(sorted(grown))
    return out


@dataclass(frozen=True)
class Sites:
    """Candidate sites over the free list: members (CSR: ``idx[ptr[s]:ptr[s+1]]``), land, zone.

    >>> s = Sites.of([(0,), (1,), (0, 1)], land=np.array([4.0, 6.0]), zone=np.array([0, 0]))
    >>> s.land.tolist(), s.size.tolist(), s.members_of(np.array([2, 0]))
    ([4.0, 6.0, 10.0], [1, 1, 2], (array([0, 0, 1]), array([0, 1, 0])))
    """

    members: list[tuple[int, ...]]
    ptr: np.ndarray
    idx: np.ndarray
    land: np.ndarray
    zone: np.ndarray

    @classmethod
    def of(cls, members: list[tuple[int, ...]], land: np.ndarray, zone: np.ndarray) -> Sites:
        size = np.array([len(m) for m in members], dtype=int)
        ptr = np.concatenate([[0], np.cumsum(size)]).astype(int)
        idx = np.array([k for m in members for k in m], dtype=int)
        total = np.add.reduceat(land[idx], ptr[:-1]) if len(members) else np.zeros(0)
        first = zone[idx[ptr[:-1]]] if len(members) else np.zeros(0, dtype=int)
        return cls(members, ptr, idx, total, first)

    @property
    def size(self) -> np.ndarray:
        return np.diff(self.ptr)

    def members_of(self, site: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row in ``site``, free position) for every parcel of every given site."""
        starts, counts = self.ptr[site], self.size[site]
        rows = np.repeat(np.arange(len(site)), counts)
        offs = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return rows, self.idx[np.repeat(starts, counts) + offs]

    def sum_over(self, values: np.ndarray) -> np.ndarray:
        """Σ over each site's parcels of a per-free-parcel array."""
        return np.add.reduceat(values[self.idx], self.ptr[:-1]) if len(self.members) else values[:0]


def build_sites(
    geoms: np.ndarray,
    land: np.ndarray,
    zone: np.ndarray,
    rules: RelocationRules,
    *,
    merge_up_to_mu: float | None,
) -> Sites:
    """Every free parcel, plus (when ``merge_up_to_mu`` is given) connected sets of touching
    free parcels of one zone with at most that much land in all."""
    members: list[tuple[int, ...]] = [(k,) for k in range(len(land))]
    if merge_up_to_mu is not None and rules.max_site_parcels >= 2 and len(land) > 1:
        edges = adjacent_pairs(geoms, rules.min_shared_boundary_m)
        same = zone[edges["i"].to_numpy(dtype=int)] == zone[edges["j"].to_numpy(dtype=int)]
        members += connected_sets(
            len(land), edges[same], rules.max_site_parcels, land, merge_up_to_mu
        )
    return Sites.of(members, land, zone)
