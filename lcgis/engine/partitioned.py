"""The evaluation on a Dask cluster (``--engine dask``): reading, the geometric steps and
the per-row rules on partitions; park-wide statistics computed once, on the gathered frames.

:func:`run_files` opens a client — on ``scheduler`` (an existing cluster's address) or on a
:class:`distributed.LocalCluster` it starts and stops — reads the dataset with a
:class:`PieceReader` and runs :func:`lcgis.engine.pipeline.run` with :class:`Partitioned`
kernels (:func:`run`: the same on a dataset read already).  What runs where:

- **reading** (:class:`PieceReader`): the parcels and buildings files (GeoPackage,
  FlatGeobuf) are read by the workers, each a run of features (pyogrio ``skip_features`` /
  ``max_features``, through Arrow): on a real cluster the workers, not the client, touch
  the bytes (the path must name the same file on the workers and the client).  The
  pieces — the raw tables as the file holds them — are **gathered** in file order and the
  client runs the data layer's checks on them with the same code as the single-machine path
  (field mapping, sanitizing, validation, overlaps, projection): the report, its row numbers
  included, is the same.  Those checks compare rows with one another (duplicate ids,
  overlapping parcels, shares of bad values), so they need the whole layer; measured
  (``scripts/bench_dask.py``, 2 cores) they take about a fifth of the whole run — 0.9 s of
  4.8 s at the city tier, 7.5 s of 40 s at the province tier, all layers' checks and the
  projection together — and the per-row part of them (geometry validity, value
  conversion) would save, split over workers, less than the gathering costs here.  Other
  formats and layers (tables, shapefiles, zones) are read by the client as before; a piece
  whose column types differ from the others' (a column empty in one piece only), or any
  error, makes the client read that file whole itself, so the report is still the same;
- parcels are ordered along a Hilbert curve (``dask_geopandas``, by the midpoints of their
  bounds, in the calling process: a fraction of a second) and cut into partitions of
  neighbouring parcels, one per ``per_partition`` parcels and at least one per worker
  thread; each partition gets the buildings whose bounds meet its parcels' bounds;
- per partition the workers run the *same* functions as the single-machine path:
  :func:`lcgis.engine.metrics.parcel_building_totals` (the overlay of buildings and
  parcels), :func:`lcgis.engine.metrics.assign_zones` (the zones are sent to every worker),
  :func:`lcgis.engine.metrics.allocate_land` (the occupancy rows of the partition's
  parcels) and :func:`lcgis.engine.land.assess_land` (the land rules: minimum FAR,
  undeveloped, idle, in construction, inefficient) on the parcel table without geometry;
  the park-wide figures these rules read — the zones' output and tax per 亩 (a reduction
  over all parcels) and whether the park has any occupant — are computed once on the
  gathered table and reach every partition as its columns (a partition without any
  occupant in a park that has some runs that step on the gathered table);
- per enterprise: the land of each firm (:func:`lcgis.engine.metrics.enterprise_land`, the
  occupancy rows partitioned by firm, so each firm's rows add up in one partition in their
  order) and its per-亩 and other indicators (:func:`lcgis.engine.evaluate.indicators`, on
  runs of firms);
- rows keep their original order inside a partition and the pieces are put back in the
  original order, so every sum adds the same numbers in the same order: the results are
  identical to the single-machine path, bit for bit.

On the gathered frames, in the calling process, with the same code: the data layer's checks
(above); the enterprises' scores, ranks and classes (group benchmarks are means or medians
over a group — a mean of partial sums would change the last bit — and ranks need the whole
group), their history; the split of firms' figures over their parcels
(:func:`lcgis.engine.metrics.parcel_economics`: a firm's weights sum over all its parcels),
the zone benchmarks, candidates (their tiers rank each list park-wide) and zone summaries.

>>> positions = hilbert_partitions(np.array([5, 1, 4, 1, 9, 2], dtype=np.uint32), 3)
>>> [p.tolist() for p in positions]
[[1, 3], [2, 5], [0, 4]]
>>> [p.tolist() for p in runs(10, 3)]
[[0, 4], [4, 7], [7, 10]]
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import pathlib
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lcgis.data import readers
from lcgis.engine import evaluate, land, metrics
from lcgis.errors import DataError, UsageError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from distributed import Client

    from lcgis.data import validate as v
    from lcgis.data.io import Dataset, Reader
    from lcgis.data.mapping import LayerMapping
    from lcgis.engine.pipeline import Result
    from lcgis.rules import MeasureRules, Rules

#: Parcels per partition (at least one partition per worker thread).
PARCELS_PER_PARTITION = 25_000
#: Features per piece of a file read by the workers (at least one piece per worker thread).
FEATURES_PER_PIECE = 100_000
#: Enterprises per partition of the indicators (at least one per worker thread).
FIRMS_PER_PARTITION = 25_000
#: The layers and formats the workers read in pieces (GDAL formats with a feature index).
PIECE_LAYERS = ("parcels", "buildings")
PIECE_EXTS = (".gpkg", ".fgb")
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


def runs(n: int, parts: int) -> list[np.ndarray]:
    """``[start, stop)`` of ``parts`` consecutive runs of ``n`` rows (none empty)."""
    edges = [int(x[0]) for x in np.array_split(np.arange(n), parts) if len(x)] + [n]
    return [np.array([a, b]) for a, b in itertools.pairwise(edges)]


def _same_dtypes(frames: list[pd.DataFrame]) -> bool:
    """Every frame has the columns and column types of the first."""
    first = frames[0].dtypes
    return all(f.dtypes.index.equals(first.index) and (f.dtypes == first).all() for f in frames)


def _count_features(source: str) -> int:
    """On a worker: the file checked as the single-machine reader checks it, and its
    number of features."""
    import pyogrio

    from lcgis.data import guard

    guard.check_file(pathlib.Path(source), guard.Limits.from_env())
    guard.restrict_gdal_drivers()
    return int(pyogrio.read_info(source, force_feature_count=True)["features"])


def _read_piece(source: str, skip: int, count: int) -> gpd.GeoDataFrame:
    """On a worker: ``count`` features after the first ``skip``, read as
    :func:`lcgis.data.readers.read_raw` reads the whole file (through Arrow)."""
    import pyogrio

    from lcgis.data import guard

    guard.restrict_gdal_drivers()
    return pyogrio.read_dataframe(source, skip_features=skip, max_features=count, use_arrow=True)


class PieceReader:
    """A :data:`lcgis.data.io.Reader` whose parcels and buildings files are read by the
    workers of ``client`` in pieces of ``per_piece`` features, gathered in file order."""

    def __init__(self, client: Client, per_piece: int = FEATURES_PER_PIECE) -> None:
        self.client = client
        self.per_piece = per_piece
        #: Pieces read per layer (0: read whole by the client).
        self.pieces: dict[str, int] = {}

    def __call__(
        self, path: Path, layer: str, lmap: LayerMapping, report: v.QualityReport, tmp: Path
    ) -> readers.RawLayer | None:
        pieces = None
        if layer in PIECE_LAYERS and path.suffix.lower() in PIECE_EXTS and readers.has_arrow():
            pieces = self._pieces(str(path.resolve()))
        self.pieces[layer] = 0 if pieces is None else len(pieces)
        if pieces is None:
            return readers.read_raw(path, layer, lmap, report, tmp)
        out = pd.concat(pieces, ignore_index=True)
        geo = pieces[0].geometry
        return readers.RawLayer(gpd.GeoDataFrame(out, geometry=geo.name, crs=geo.crs), 1)

    def _pieces(self, source: str) -> list[gpd.GeoDataFrame] | None:
        """The file's features in runs read by the workers; None: read it whole here."""
        c = self.client
        try:
            n = c.submit(_count_features, source, pure=False).result()
            if n == 0:
                return None
            threads = max(1, sum(c.nthreads().values()))
            parts = runs(n, min(n, max(threads, math.ceil(n / self.per_piece))))
            futures = [
                c.submit(_read_piece, source, int(a), int(b - a), pure=False) for a, b in parts
            ]
            pieces = list(c.gather(futures))
        except Exception:  # the client reads it and reports what is wrong, as it always does
            return None
        if sum(len(p) for p in pieces) != n or not _same_dtypes(pieces):
            return None
        return pieces


def _overlaps(bounds: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Rows of ``bounds`` (x0, y0, x1, y1) that meet ``box`` (NaN bounds meet nothing)."""
    return (
        (bounds[:, 0] <= box[2])
        & (bounds[:, 2] >= box[0])
        & (bounds[:, 1] <= box[3])
        & (bounds[:, 3] >= box[1])
    )


def _zones_of(parcels: gpd.GeoDataFrame, zones: gpd.GeoDataFrame) -> np.ndarray:
    # GEOS's prepared geometries are not thread-safe, and the zones are shared by every task
    # of a worker's threads: each task prepares a copy of its own (the same coordinates).
    own = zones.set_geometry(shapely.from_wkb(shapely.to_wkb(zones.geometry.to_numpy())))
    return metrics.assign_zones(parcels, own).astype(object).to_numpy()


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
        import dask
        import dask_geopandas

        n = max(self._threads(), math.ceil(len(parcels) / self.per_partition))
        shapes = metrics.shapes(parcels.geometry)
        ok = ~(shapely.is_missing(shapes) | shapely.is_empty(shapes))
        distance = np.zeros(len(parcels), dtype=np.int64)
        if ok.any():  # a missing or empty shape meets nothing: any partition will do
            geoms = gpd.GeoSeries(shapes[ok], crs=parcels.crs)
            curve = dask_geopandas.from_geopandas(geoms, npartitions=1).hilbert_distance()
            # cheap: here, the computations nested in it too (not the coordinates sent out)
            with dask.config.set(scheduler="sync"):
                distance[ok] = curve.compute().to_numpy()
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

    def allocate_land(
        self, occupancy: pd.DataFrame, parcels: pd.DataFrame, at: np.ndarray | None = None
    ) -> pd.DataFrame:
        """:func:`lcgis.engine.metrics.allocate_land` on the occupancy rows of each partition
        (``at``, the rows' parcels, serves the whole table only: a piece looks its own up)."""
        ids = parcels["parcel_id"]
        if occupancy.empty or not ids.is_unique or not occupancy.index.is_unique:
            return metrics.allocate_land(occupancy, parcels, at)
        part_of = np.empty(len(parcels), dtype=np.int64)
        parts = self.partitions(parcels)
        for i, pos in enumerate(parts):
            part_of[pos] = i
        where = pd.Series(part_of, index=ids.to_numpy())
        rows = where.reindex(occupancy["parcel_id"].to_numpy()).to_numpy()
        if np.isnan(rows.astype(float)).any():  # rows of unknown parcels: kept as one piece
            return metrics.allocate_land(occupancy, parcels, at)
        table = pd.DataFrame(parcels).drop(columns=parcels.geometry.name)
        pieces = []
        for i, pos in enumerate(parts):
            mine = np.flatnonzero(rows == i)
            if len(mine):
                pieces.append((occupancy.iloc[mine], table.iloc[pos]))
        done = self._map(metrics.allocate_land, pieces, ())
        out = pd.concat(done)
        return out.loc[occupancy.index]

    def _positions(self, table: pd.DataFrame) -> list[np.ndarray]:
        """The partitions of the measured parcels for a later table of the same rows."""
        if self._parts is not None and self._parts[0].index.equals(table.index):
            return self._parts[1]
        return self.partitions(table)

    def assess_land(self, parcels: pd.DataFrame, as_of: dt.date, rules: Rules) -> pd.DataFrame:
        """:func:`lcgis.engine.land.assess_land` per partition, on the table without geometry.

        The zones' benchmarks are columns already (computed on the whole table); whether the
        park has occupants is the one other park-wide figure the rules read: a partition
        that would answer it otherwise runs the step on the whole table instead."""
        parts = self._positions(parcels)
        geo = parcels.geometry.name if isinstance(parcels, gpd.GeoDataFrame) else None
        table = pd.DataFrame(parcels).drop(columns=[geo] if geo else [])
        known = land._occupancy_known(table)
        if len(parts) < 2 or any(land._occupancy_known(table.iloc[p]) != known for p in parts):
            return land.assess_land(parcels, as_of, rules)
        done = self._map(land.assess_land, [(table.iloc[pos],) for pos in parts], (as_of, rules))
        if not _same_dtypes(done):
            return land.assess_land(parcels, as_of, rules)
        whole = pd.concat(done)
        whole.index = np.concatenate(parts)
        whole = whole.sort_index()
        whole.index = parcels.index
        out = parcels.copy()
        for col in whole.columns:  # the input's own columns in place, then the added ones
            out[col] = whole[col]
        return out

    def indicators(self, ent: pd.DataFrame) -> pd.DataFrame:
        """:func:`lcgis.engine.evaluate.indicators` on runs of consecutive firms."""
        n = min(len(ent), max(self._threads(), math.ceil(len(ent) / FIRMS_PER_PARTITION)))
        if n < 2:
            return evaluate.indicators(ent)
        done = self._map(evaluate.indicators, [(ent.iloc[a:b],) for a, b in runs(len(ent), n)], ())
        return pd.concat(done) if _same_dtypes(done) else evaluate.indicators(ent)

    def enterprise_land(self, alloc: pd.DataFrame) -> pd.DataFrame:
        """:func:`lcgis.engine.metrics.enterprise_land` on the occupancy rows partitioned by
        firm (every row of a firm in one partition, in order), firms in first-row order."""
        key = pd.factorize(alloc["credit_code"])[0]
        n = min(int(key.max()) + 1 if len(key) else 0, self._threads())
        if n < 2:
            return metrics.enterprise_land(alloc)
        part = np.where(key >= 0, key % n, -1)
        rows = [np.flatnonzero(part == i) for i in range(n)]
        done = self._map(metrics.enterprise_land, [(alloc.iloc[r],) for r in rows], ())
        if not _same_dtypes(done):
            return metrics.enterprise_land(alloc)
        # each piece lists its firms in their first-row order: put the pieces' firms in order
        order = np.concatenate([np.unique(key[r]) for r in rows])
        return pd.concat(done).iloc[np.argsort(order, kind="stable")]


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


def run_files(
    read: Callable[[Reader], Dataset],
    rules: Rules,
    *,
    scheduler: str | None = None,
    processes: bool = False,
    per_partition: int = PARCELS_PER_PARTITION,
    **kwargs: Any,
) -> Result:
    """Read the dataset on the cluster (``read(reader)``: e.g. ``lambda r:
    read_dataset(folder, reader=r)``) and evaluate it there: :func:`run`.  Raises DataError
    when the report has errors."""
    from lcgis.engine import pipeline

    with client_for(scheduler, processes=processes) as client:
        ds = read(PieceReader(client))
        if ds.report.has_errors:
            raise DataError("数据有错误", ds.report)
        kernels = Partitioned(client, per_partition)
        return pipeline.run(ds, rules, kernels=kernels, **kwargs)
