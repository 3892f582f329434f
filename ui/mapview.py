"""The map embed: builds the folium map from cached payloads and shows it with st_folium.

* Leaflet comes from the app's own static files (``static/vendor/leaflet-1.9.4``, served by
  ``[server] enableStaticServing``), never from a CDN.
* The map script depends only on the payload, so a click (which changes only the highlight
  layer, sent as ``feature_group_to_add``) does not reload the map; panning returns nothing
  (``returned_objects`` holds only the click fields), so it does not rerun the page.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import streamlit as st
from streamlit_folium import st_folium

from lcgis.views import maps

from . import keys, review_panel, state

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

LEAFLET_DIR = "vendor/leaflet-1.9.4"
RETURNED = ["last_object_clicked", "last_active_drawing"]


def assets_url() -> str:
    """URL path of the vendored Leaflet, honouring ``server.baseUrlPath``."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return f"{prefix}/app/static/{LEAFLET_DIR}"


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
    """``state.map_payload``; the review status comes from the store (keyed by its last seq)."""
    if indicator == maps.REVIEW_STATUS:
        extra, columns = review_panel.map_columns(ctx)
        return state.map_payload(
            ctx.key, indicator, scheme, k, datum, _result=ctx.result, extra=extra, _columns=columns
        )
    return state.map_payload(ctx.key, indicator, scheme, k, datum, _result=ctx.result)
