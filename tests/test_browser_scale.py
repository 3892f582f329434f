"""The map at scale in a real browser: 100,000 generated parcels (``lcgis.synthetic``, tier
``100k``) drawn by the tile path (``maps.map_mode`` = ``tiles``): the parcels' files come
from the app's own static folder, the canvas tiles draw, a drag pans, a click opens the
parcel's card.  Chromium and the server as in tests/test_browser.py."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from lcgis import synthetic
from lcgis.views import maps
from tests.test_browser import (
    ADMIN,
    ADMIN_PASSWORD,
    ARTIFACTS,
    LOCAL_HOSTS,
    TIMEOUT_MS,
    Session,
    browser,  # noqa: F401  (the fixture)
    serve_app,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def big_server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """``streamlit run app.py`` on the generated 100k tier, with one admin (data other than
    the demo is shown only after a login)."""
    from lcgis.review import ReviewStore

    del browser
    data = tmp_path_factory.mktemp("t100k")
    tier = synthetic.make_tier(data, "100k")
    assert maps.map_mode(tier.parcels) == "tiles"
    state = tmp_path_factory.mktemp("state")
    url_db = f"sqlite:///{tmp_path_factory.mktemp('store') / 'review.sqlite'}"
    with ReviewStore(url_db, state_dir=state) as store:
        store.add_user(ADMIN, ADMIN_PASSWORD, "admin")
    yield from serve_app(data, url_db, state, "streamlit-server-100k.log")


#: Resolves once the parcels' files are loaded and every visible tile is drawn; then the
#: share of the map's canvas pixels that are not transparent.
DRAWN = """async () => {
  const P = window.lcgisParcels;
  if (!P || P.mode !== 'tiles') return null;
  await P.ready; await P.attributes;
  const g = P.grid;
  await new Promise(r => { if (!g.isLoading()) r(); else g.once('load', r); });
  await new Promise(r => requestAnimationFrame(() => r()));
  let on = 0, all = 0;
  for (const cv of document.querySelectorAll('.lcgis-grid canvas')) {
    const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    for (let i = 3; i < px.length; i += 64) { all++; if (px[i] > 0) on++; }
  }
  return [on, all, document.querySelectorAll('.lcgis-grid canvas').length];
}"""

#: A point of the map (container pixels) over a parcel, near the middle, and its id.
PARCEL_AT = """async () => {
  const P = window.lcgisParcels, A = await P.attributes, m = window.map, s = m.getSize();
  for (let r = 0; r < 40; r++) for (let a = 0; a < 16; a++) {
    const x = s.x / 2 + r * 6 * Math.cos(a * Math.PI / 8);
    const y = s.y / 2 + r * 6 * Math.sin(a * Math.PI / 8);
    const i = P.at(m.containerPointToLatLng([x, y]));
    // the same parcel a few pixels around: not an edge
    const ok = [[3, 0], [-3, 0], [0, 3], [0, -3]].every(
      d => P.at(m.containerPointToLatLng([x + d[0], y + d[1]])) === i);
    if (i >= 0 && ok) return [x, y, A.id[i]];
  }
  return null;
}"""


def test_the_map_of_100k_parcels_draws_pans_and_opens_a_card(
    browser: Any,  # noqa: F811
    big_server: str,
    request: pytest.FixtureRequest,
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS * 2)
    page = context.new_page()
    s = Session(page)
    fetched: list[str] = []

    def route(r: Any) -> None:
        host = urlparse(r.request.url).hostname or ""
        if host in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:", "about:")):
            if "/app/static/maps/" in r.request.url:
                fetched.append(r.request.url)
            r.continue_()
        else:
            s.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    try:
        page.goto(big_server)
        page.get_by_role("heading", name="登录", level=1).wait_for()
        page.get_by_label("用户名").fill(ADMIN)
        page.get_by_label("密码").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.get_by_role("heading", name="总览", level=1).wait_for()
        s.goto_screen("地图")
        page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT_MS * 2)
        frame = page.frame_locator("iframe[title*='st_folium']").first
        mapdiv = frame.locator("#map_div")
        mapdiv.wait_for(state="attached")
        on, all_, tiles = mapdiv.evaluate(DRAWN)
        assert tiles > 0 and on > all_ * 0.05, (on, all_, tiles)  # coloured parcels drawn
        assert frame.locator("path.lcgis-parcel").count() == 0  # not one SVG path a parcel
        assert sorted(u.rsplit(".", 1)[-1] for u in fetched) == ["bin", "json", "json"]
        # a drag pans the map, and the new tiles draw
        centre = "() => JSON.stringify(window.map.getCenter())"
        before = mapdiv.evaluate(centre)
        box = s.map_element().bounding_box()
        x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 150, y - 80, steps=8)
        page.mouse.up()
        assert mapdiv.evaluate(centre) != before
        on, all_, tiles = mapdiv.evaluate(DRAWN)
        assert on > all_ * 0.05, (on, all_, tiles)
        # zoomed in (parcels are a pixel or two at the whole park), a click on a parcel opens
        # its card and outlines it
        mapdiv.evaluate("() => window.map.setZoom(window.map.getZoom() + 4, {animate: false})")
        on, all_, tiles = mapdiv.evaluate(DRAWN)
        assert on > all_ * 0.05, (on, all_, tiles)
        hit = mapdiv.evaluate(PARCEL_AT)
        assert hit, "no parcel under the map's middle"
        box = s.map_element().bounding_box()
        page.mouse.click(box["x"] + hit[0], box["y"] + hit[1])
        page.get_by_text(f"宗地 {hit[2]} 体检表").first.wait_for(timeout=TIMEOUT_MS)
        assert s.card_id() == hit[2]
        frame.locator("path.lcgis-selected").first.wait_for(state="attached")
        # the search selects another parcel, outlined and zoomed to, on the same map files
        other = "C000001" if hit[2] != "C000001" else "C000002"
        page.get_by_placeholder("宗地编号或企业名称").fill(other)
        page.get_by_role("button", name="查找").click()
        page.get_by_text(f"宗地 {other} 体检表").first.wait_for()
        assert s.card_id() == other
        frame.locator("path.lcgis-selected").first.wait_for(state="attached")
        assert frame.locator("path.lcgis-selected").count() == 1
        assert mapdiv.evaluate("() => window.map.getZoom()") >= 16
        assert len(fetched) == 3  # neither the click nor the search fetched the files again
        assert s.outside == [], s.outside
    finally:
        if os.environ.get("LCGIS_SCREENSHOTS") or request.session.testsfailed:
            ARTIFACTS.mkdir(exist_ok=True)
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / "map-100k.png"), full_page=True)
        context.close()
