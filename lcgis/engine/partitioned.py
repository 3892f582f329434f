"""The evaluation on a Dask cluster (``--engine dask``): the geometric steps on spatial
partitions, everything with park-wide statistics on the gathered frames.

:func:`run` opens a client — on ``scheduler`` (an existing cluster's address) or on a
:class:`distributed.LocalCluster` it starts and stops — and runs
:func:`lcgis.engine.pipeline.run` with :class:`Partitioned` kernels:

- parcels are ordered along a Hilbert curve (``dask_geopandas``, by the midpoints of their
  bounds, in the calling process: a fraction of a second) and cut into partitions of
  neighbouring parcels, one per ``per_partition`` parcels and at least one per worker
  thread; each partition gets the buildings whose bounds meet its parcels' bounds;
- per partition the workers run the *same* functions as the single-machine path:
  :func:`lcgis.engine.metrics.parcel_building_totals` (the overlay of buildings and
  parcels), :func:`lcgis.engine.metrics.assign_zones` (the zones are sent to every worker)
  and :func:`lcgis.engine.metrics.allocate_land` (the occupancy rows of the partition's
  parcels);
- rows keep their original order inside a partition and the pieces are put back in the
  original order, so every sum adds the same numbers in the same order: the results are
  identical to the single-machine path, bit for bit.

Reading, the enterprises' evaluation (ranks and classes within groups), the land rules,
candidates and zone summaries use park-wide figures (percentiles, medians, zone
benchmarks) and run on the gathered frames in the calling process, with the same code.

>>> positions = hilbert_partitions(np.array([5, 1, 4, 1, 9, 2], dtype=np.uint32), 3)
>>> [p.tolist() for p in positions]
[[1, 3], [2, 5], [0, 4]]
"""

from __future__ import annotations

import contextlib
import math
import os
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lcgis.engine import metrics
from lcgis.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from distributed import Client

    from lcgis.data.io import Dataset
    from lcgis.engine.pipeline import Result
    from lcgis.rules import MeasureRules, Rules

#: Parcels per partition (at least one partition per worker thread).
PARCELS_PER_PARTITION = 25_000
INSTALL = "pip install 'dask[dataframe]' distributed dask-geopandas"


def _require() -> None:
    try:
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"--engine dask 需要安装 Dask：{INSTALL}") from exc


@contextlib.contextmanager
def client_for(scheduler: str | None = None, *, processes: bool = False) -> Iterator[Client]:
    """A client on ``scheduler`` (``tcp://host:8786``), else on a LocalCluster of this
    machine's cores (threads of this process unless ``processes``; no dashboard) that is
    closed on leaving."""
    _require()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UsageError(f"无法连接 Dask 调度器 {scheduler}：{exc}") from exc
        with client:
            yield client
        return
    cores = os.cpu_count() or 1
    workers, threads = (cores, 1) if processes else (1, cores)
    where: dict[str, Any] = {"host": "127.0.0.1"} if processes else {}  # else in-process
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=threads,
            processes=processes,
            dashboard_address=None,  # no dashboard; its health routes on a free loopback port:
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            **where,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def hilbert_partitions(distance: np.ndarray, n: int) -> list[np.ndarray]:
    """Positions cut into ``n`` runs along the curve, each run in ascending position order."""
    order = np.argsort(distance, kind="stable")
    return [np.sort(part) for part in np.array_split(order, n) if len(part)]


def _overlaps(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Rows of ``bounds`` (x0, y0, x1, y1) that meet ``box`` (NaN bounds meet nothing)."""
    return (
        (bounds[:, 0] <= box[2])
        & (bounds[:, 2] >= box[0])
        & (bounds[:, 1] <= box[3])
        & (bounds[:, 3] >= box[1])
    )


def _zones_of(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    return metrics.assign_zones(parcels, zones).astype(object).to_numpy()


class Partitioned:
    """The kernels of :func:`lcgis.engine.pipeline.run` (the names of
    :mod:`lcgis.engine.metrics`) computed per spatial partition on ``client``."""

    def __init__(self, client: Client, per_partition: int = PARCELS_PER_PARTITION) -> None:
        self.client = client
        self.per_partition = per_partition
        self._parts: tuple[gpd.GeoDataFrame, list[np.ndarray]] | None = None

    def _threads(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def partitions(self, parcels: gpd.GeoDataFrame) -> list[np.ndarray]:
        """The positions of each partition of ``parcels`` (cached for the same frame)."""
        if self._parts is not None and self._parts[0] is parcels:
            return self._parts[1]
        import dask_geopandas

        n = max(self._threads(), math.ceil(len(parcels) / self.per_partition))
        shapes = metrics.shapes(parcels.geometry)
        ok = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
        distance = np.zeros(len(parcels), dtype=np.int64)
        if ok.any():  # a missing or empty shape meets nothing: any partition will do
            geoms = gpd.GeoSeries(shapes[ok], crs=parcels.crs)
            curve = dask_geopandas.from_geopandas(geoms, npartitions=1).hilbert_distance()
            distance[ok] = curve.compute(scheduler="sync").to_numpy()  # cheap: here
        parts = hilbert_partitions(distance, min(n, len(parcels)))
        self._parts = (parcels, parts)
        return parts

    def _map(self, func: Any, pieces: list[tuple[Any, ...]], shared: tuple[Any, ...]) -> list[Any]:
        """``func(*piece, *shared)`` on the cluster for every piece, results in order."""
        c = self.client
        common = [c.scatter(x, broadcast=True, hash=False) for x in shared]
        futures = [
            c.submit(func, *c.scatter(list(piece), hash=False), *common, pure=False)
            for piece in pieces
        ]
        return list(c.gather(futures))

    def parcel_building_totals(
        self, parcels: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, rules: MeasureRules
    ) -> pd.DataFrame:
        """:func:`lcgis.engine.metrics.parcel_building_totals` per partition."""
        parts = self.partitions(parcels)
        pbounds = shapely.bounds(metrics.shapes(parcels.geometry))
        bbounds = shapely.bounds(metrics.shapes(buildings.geometry))
        pieces = []
        for pos in parts:
            box = np.array(
                [
                    np.nanmin(pbounds[pos, 0]),
                    np.nanmin(pbounds[pos, 1]),
                    np.nanmax(pbounds[pos, 2]),
                    np.nanmax(pbounds[pos, 3]),
                ]
            )
            near = np.flatnonzero(_overlaps(bbounds, box))
            pieces.append((parcels.iloc[pos], buildings.iloc[near]))
        totals = self._map(metrics.parcel_building_totals, pieces, (rules,))
        out = pd.concat(totals, ignore_index=True)
        out.index = np.concatenate(parts)
        out = out.sort_index()
        out.index = parcels.index
        return out

    def assign_zones(self, parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> pd.Series:
        """:func:`lcgis.engine.metrics.assign_zones` per partition."""
        parts = self.partitions(parcels)
        found = self._map(_zones_of, [(parcels.iloc[pos],) for pos in parts], (zones,))
        ids = np.empty(len(parcels), dtype=object)
        ids[np.concatenate(parts)] = np.concatenate(found)
        out = pd.Series(ids, index=parcels.index, name="zone_id")
        return out.astype("string")

    def allocate_land(self, occupancy: pd.DataFrame, parcels: pd.DataFrame) -> pd.DataFrame:
        """:func:`lcgis.engine.metrics.allocate_land` on the occupancy rows of each partition."""
        ids = parcels["parcel_id"]
        if occupancy.empty or not ids.is_unique or not occupancy.index.is_unique:
            return metrics.allocate_land(occupancy, parcels)
        part_of = np.empty(len(parcels), dtype=np.int64)
        parts = self.partitions(parcels)
        for i, pos in enumerate(parts):
            part_of[pos] = i
        where = pd.Series(part_of, index=ids.to_numpy())
        rows = where.reindex(occupancy["parcel_id"].to_numpy()).to_numpy()
        if np.isnan(rows.astype(float)).any():  # rows of unknown parcels: kept as one piece
            return metrics.allocate_land(occupancy, parcels)
        table = pd.DataFrame(parcels).drop(columns=parcels.geometry.name)
        pieces = []
        for i, pos in enumerate(parts):
            mine = np.flatnonzero(rows == i)
            if len(mine):
                pieces.append((occupancy.iloc[mine], table.iloc[pos]))
        done = self._map(metrics.allocate_land, pieces, ())
        out = pd.concat(done)
        return out.loc[occupancy.index]


def run(
    ds: Dataset,
    rules: Rules,
    *,
    scheduler: str | None = None,
    processes: bool = False,
    per_partition: int = PARCELS_PER_PARTITION,
    **kwargs: Any,
) -> Result:
    """:func:`lcgis.engine.pipeline.run` with its geometric steps on a Dask cluster."""
    from lcgis.engine import pipeline

    with client_for(scheduler, processes=processes) as client:
        kernels = Partitioned(client, per_partition)
        return pipeline.run(ds, rules, kernels=kernels, **kwargs)
