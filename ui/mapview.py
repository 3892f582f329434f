"""The map embed: builds the folium map from cached payloads and shows it with st_folium.

* Leaflet comes from the app's own static files (``static/vendor/leaflet-1.9.4``, served by
  ``[server] enableStaticServing``), never from a CDN.
* The map script depends only on the payload, so a click (which changes only the highlight
  layer, sent as ``feature_group_to_add``) does not reload the map; panning returns nothing
  (``returned_objects`` holds only the click fields), so it does not rerun the page.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from lcgis.views import maps

from . import keys, review_panel, state

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pandas as pd

    from lcgis.engine.pipeline import Result

log = logging.getLogger(__name__)

LEAFLET_DIR = "vendor/leaflet-1.9.4"
RETURNED = ["last_object_clicked", "last_active_drawing"]
#: The app's static folder (served at ``app/static`` by ``[server] enableStaticServing``) and
#: the folder of the large maps' files in it (git-ignored, see :func:`publish`).
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
MAPS_DIR = "maps"
#: How many map files the folder keeps (the least recently used beyond are removed).
KEEP_FILES = 40
#: Part of every map file's name, new in every server process: a name cannot be guessed from
#: the data, and the names of an earlier process stop working after a restart.
_SECRET = secrets.token_bytes(32)


def _static_prefix() -> str:
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/app/static" if base else "/app/static"


def assets_url() -> str:
    """URL path of the vendored Leaflet, honouring ``server.baseUrlPath``."""
    return f"{_static_prefix()}/{LEAFLET_DIR}"


def file_name(blob: bytes, suffix: str, secret: bytes) -> str:
    """The name a map file is published under: a keyed hash of its content (the same file
    keeps its name within a process; without the process's secret it cannot be guessed).

    >>> file_name(b"abc", ".bin", b"k") == file_name(b"abc", ".bin", b"k")
    True
    >>> file_name(b"abc", ".bin", b"k") != file_name(b"abc", ".bin", b"other")
    True
    >>> len(file_name(b"abc", ".json", b"k"))
    45
    """
    return hashlib.blake2b(blob, key=secret, digest_size=20).hexdigest() + suffix


def publish(blob: bytes, suffix: str, folder: Path | None = None, keep: int = KEEP_FILES) -> str:
    """Write ``blob`` under ``static/maps/`` (once: written aside, then renamed) and return its
    name; the files beyond the ``keep`` most recently used are removed.

    Streamlit serves the static folder to anyone who can reach the server, without a login:
    only what the viewer's screen already shows may be published (the caller passes files made
    from the result as the viewer's policy masks it), under a name nobody can guess.
    """
    where = folder or STATIC_DIR / MAPS_DIR
    where.mkdir(parents=True, exist_ok=True)
    name = file_name(blob, suffix, _SECRET)
    path = where / name
    if path.exists():
        os.utime(path)
    else:
        part = where / f".{name}.{secrets.token_hex(4)}.part"
        part.write_bytes(blob)
        os.replace(part, path)
    prune(where, keep)
    return name


def prune(folder: Path, keep: int) -> list[str]:
    """Remove the files of ``folder`` beyond the ``keep`` most recently used; their names."""
    files = sorted(
        (f for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")),
        key=lambda f: f.stat().st_mtime,
        reverse=True,
    )
    gone = []
    for f in files[keep:]:
        try:
            f.unlink()
            gone.append(f.name)
        except OSError:  # another session removed it first
            pass
    return gone


def tianditu_key() -> str | None:
    """The 天地图 key: env ``TIANDITU_KEY``, else Streamlit secrets (None when not set)."""
    key = os.environ.get("TIANDITU_KEY")
    if key:
        return key.strip()
    try:
        value = st.secrets.get("TIANDITU_KEY")
    except Exception:  # no secrets file at all
        return None
    return str(value).strip() if value else None


def basemap_options() -> list[str]:
    return maps.basemap_options(tianditu_key())


def default_basemap() -> str:
    """env ``LCGIS_BASEMAP`` (e.g. ``none`` for offline use), else OpenStreetMap."""
    wanted = os.environ.get("LCGIS_BASEMAP", "osm")
    return wanted if wanted in basemap_options() else "osm"


def _clicked_id(value: Any) -> tuple[str | None, str]:
    """(parcel id, signature of the click) from st_folium's return value."""
    if not isinstance(value, dict):
        return None, ""
    drawing = value.get("last_active_drawing") or {}
    props = drawing.get("properties") if isinstance(drawing, dict) else None
    pid = props.get("parcel_id") if isinstance(props, dict) else None
    where = value.get("last_object_clicked") or {}
    sig = f"{pid}|{where.get('lat')}|{where.get('lng')}" if isinstance(where, dict) else str(pid)
    return (str(pid) if pid is not None else None), sig


def parcel_map(
    ctx: state.Context,
    *,
    key: str,
    indicator: str = "parcel_class",
    scheme: str = "quantiles",
    k: int = 5,
    basemap: str = "osm",
    highlight: Sequence[str] = (),
    focus: Sequence[str] | None = None,
    on_click: Callable[[str], None] | None = None,
    height: int = 620,
) -> None:
    """Show the parcel map.

    ``highlight``: parcel ids outlined on top; ``focus``: ids to centre and zoom on (when
    they change); ``on_click(parcel_id)`` runs, before the rerun, when a parcel is clicked,
    so the rerun already draws the new selection.
    """
    spec = maps.BASEMAPS.get(basemap, maps.BASEMAPS["osm"])
    payload, bounds, _legend = _payload(ctx, indicator, scheme, k, spec.datum)
    fmap = maps.build_map(
        payload,
        bounds,
        basemap=basemap,
        tianditu_key=tianditu_key(),
        assets_url=assets_url(),
    )
    geoms = state.display_geometry(ctx.key, spec.datum, _result=ctx.result)
    shown = geoms[geoms.index.isin([str(h) for h in highlight])]
    layer = maps.highlight_layer(shown)
    view_key = keys.MAP_VIEW_PREFIX + key
    view: dict[str, Any] = st.session_state.setdefault(view_key, {})
    if focus is not None:
        wanted = tuple(sorted(str(f) for f in focus))
        if wanted and view.get("focus") != wanted:
            target = geoms[geoms.index.isin(wanted)]
            view.update(focus=wanted, center=maps.centre_of(target), zoom=maps.zoom_for(target))

    def changed() -> None:
        pid, sig = _clicked_id(st.session_state.get(key))
        last_key = keys.MAP_CLICK_PREFIX + key
        if pid is not None and st.session_state.get(last_key) != sig:
            st.session_state[last_key] = sig
            if on_click is not None:
                on_click(pid)

    st_folium(
        fmap,
        key=key,
        height=height,
        use_container_width=True,
        returned_objects=RETURNED,
        feature_group_to_add=layer,
        center=view.get("center"),
        zoom=view.get("zoom"),
        on_change=changed,
    )


def legend_rows(ctx: state.Context, indicator: str, scheme: str, k: int, datum: str) -> Any:
    """The legend of the current colouring (for the page beside the map)."""
    return _payload(ctx, indicator, scheme, k, datum)[2]


def _payload(
    ctx: state.Context, indicator: str, scheme: str, k: int, datum: str
) -> tuple[str, list[list[float]], maps.Legend]:
    """``state.map_payload`` (or, from ``maps.TILES_FROM`` parcels, :func:`tiles_payload`);
    the review status comes from the store (keyed by its last seq)."""
    extra, columns = "", None
    if indicator == maps.REVIEW_STATUS:
        extra, columns = review_panel.map_columns(ctx)
    if maps.map_mode(len(ctx.result.parcels)) == "tiles":
        try:
            return tiles_payload(ctx, indicator, scheme, k, datum, extra=extra, columns=columns)
        except OSError as exc:  # a static folder the server may not write: the page holds all
            log.warning("map files not written (%s): the parcels go in the page", exc)
    return state.map_payload(
        ctx.key, indicator, scheme, k, datum, _result=ctx.result, extra=extra, _columns=columns
    )


def tiles_payload(
    ctx: state.Context,
    indicator: str,
    scheme: str,
    k: int,
    datum: str,
    *,
    extra: str = "",
    columns: dict[str, pd.Series] | None = None,
) -> tuple[str, list[list[float]], maps.Legend]:
    """(script-safe JSON, bounds, legend) of the tile path: the parcels' outlines, attributes
    and colouring written as files under ``static/maps/`` (:func:`publish`), made from
    ``ctx.result`` (masked for the viewer's policy, as the rest of the screen) and cached per
    result key, datum and colouring; the page's payload holds only their URLs.  A file removed
    meanwhile (by :func:`prune`) is made again."""
    args = (ctx.key, indicator, scheme, k, datum)
    out = _tiles(*args, _result=ctx.result, extra=extra, _columns=columns)
    folder = STATIC_DIR / MAPS_DIR
    try:
        for name in out[3]:
            os.utime(folder / name)  # in use: the most recently used, the last to be pruned
    except FileNotFoundError:
        _files.clear()
        _tiles.clear()
        out = _tiles(*args, _result=ctx.result, extra=extra, _columns=columns)
    return out[0], out[1], out[2]


@st.cache_resource(show_spinner="正在准备地图文件…", max_entries=8)
def _files(key: state.Key, datum: str, _result: Result) -> tuple[str, str, list[int]]:  # noqa: ARG001
    """(geometry file, attribute file, origin) of the key's parcels, published."""
    p = _result.parcels
    geo, origin = maps.geometry_file(p, datum)
    att = maps.attribute_file(p, maps.main_names(p, _result.enterprises))
    return publish(maps.pack(geo), ".bin"), publish(maps.pack(att), ".json"), origin


@st.cache_resource(show_spinner=False, max_entries=32)
def _tiles(
    key: state.Key,
    indicator: str,
    scheme: str,
    k: int,
    datum: str,
    _result: Result,
    extra: str = "",  # noqa: ARG001
    _columns: dict[str, pd.Series] | None = None,
) -> tuple[str, list[list[float]], maps.Legend, tuple[str, str, str]]:
    geo, att, origin = _files(key, datum, _result)
    p = _result.parcels
    if _columns:
        p = p.assign(**{name: col.to_numpy() for name, col in _columns.items()})
    classes = maps.classify_indicator(p, indicator, scheme, k, _result.rules)
    legend = maps.legend_for(indicator, classes, scheme)
    col = publish(maps.pack(maps.colour_file(p, indicator, classes)), ".json")
    base = f"{_static_prefix()}/{MAPS_DIR}"
    payload = maps.tiles_payload(
        p,
        indicator,
        classes,
        legend,
        origin=origin,
        src={"geo": f"{base}/{geo}", "att": f"{base}/{att}", "col": f"{base}/{col}"},
        zones=_result.zones if isinstance(_result.zones, gpd.GeoDataFrame) else None,
        datum=datum,
    )
    bounds = maps.bounds_of(state.display_geometry(key, datum, _result))
    return maps.to_json(payload), bounds, legend, (geo, att, col)
