"""Real-browser tests: Playwright drives Chromium against ``streamlit run app.py``.

What only a browser shows: the map draws every parcel with no request leaving this machine,
a click opens the parcel's card, the search selects a parcel, hostile names stay text.

Skipped (with the reason) when Playwright or Chromium is missing, unless
``LCGIS_REQUIRE_BROWSER=1`` (then they fail).  Chromium: env ``LCGIS_CHROMIUM``, else
``chromium`` / ``chromium-browser`` / ``google-chrome`` on PATH.  A failing test leaves a
screenshot in ``test-artifacts/`` (git-ignored); ``LCGIS_SCREENSHOTS=1`` keeps one for every
test.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest

from lcgis.data.io import read_dataset
from tests.hostile import NAME_IMG, NAME_SCRIPT, ZONE_SVG, make_hostile_dataset

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
REQUIRED = os.environ.get("LCGIS_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TIMEOUT_MS = 60_000


def _unavailable(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"LCGIS_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def _chromium() -> str | None:
    env = os.environ.get("LCGIS_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install playwright)")
    exe = _chromium()
    if exe is None:
        _unavailable("no Chromium found (apt-get install chromium, or set LCGIS_CHROMIUM)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


ADMIN, ADMIN_PASSWORD = "管理员", "browser-test-pass"


def serve_app(data: Path, url_db: str, state: Path, log_name: str) -> Iterator[str]:
    """``streamlit run app.py`` on a free local port over ``data`` with the review store
    ``url_db`` (chain key and witness in ``state``), offline basemap; yields its URL and stops
    it afterwards.  The server's output goes to test-artifacts/``log_name``."""
    port = _free_port()
    env = {
        **os.environ,
        "LCGIS_BASEMAP": "none",
        "LCGIS_DATA_DIR": str(data),
        "LCGIS_DATABASE_URL": url_db,
        "LCGIS_STATE_DIR": str(state),
        "PYTHONPATH": str(ROOT),
    }
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = ARTIFACTS / log_name
    ARTIFACTS.mkdir(exist_ok=True)
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r,
        ):
            if r.status == 200:
                break
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited: see {log}")
        time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail(f"streamlit did not start in 90 s: see {log}")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def server(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app.py`` on a free local port, offline basemap, demo data, and a
    review store of its own (never the repository's data/) holding one admin."""
    from lcgis.review import ReviewStore

    db = tmp_path_factory.mktemp("store") / "review.sqlite"
    url_db = f"sqlite:///{db}"
    state = tmp_path_factory.mktemp("state")  # chain key and witness, never the user's own
    with ReviewStore(url_db, state_dir=state) as store:
        store.add_user(ADMIN, ADMIN_PASSWORD, "admin")
    yield from serve_app(ROOT / "data", url_db, state, "streamlit-server.log")


class Session:
    """A page with its blocked requests and dialogs recorded."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.outside: list[str] = []
        self.dialogs: list[str] = []

    def map_frame(self) -> Any:
        self.page.wait_for_selector("iframe[title*='st_folium']", timeout=TIMEOUT_MS)
        frame = self.page.frame_locator("iframe[title*='st_folium']").first
        frame.locator("path.lcgis-parcel").first.wait_for(state="attached", timeout=TIMEOUT_MS)
        return frame

    def map_element(self) -> Any:
        return self.page.locator("iframe[title*='st_folium']").first

    def goto_screen(self, title: str) -> None:
        self.page.get_by_role("link", name=title, exact=True).click()
        self.page.get_by_role("heading", name=title, level=1).wait_for(timeout=TIMEOUT_MS)

    def click_parcel(self) -> str:
        """Click a parcel where it is really on top; return its id."""
        frame = self.map_frame()
        hit = frame.locator("#map_div").evaluate(
            """() => {
              const byPath = new Map();
              window.map.eachLayer(l => { if (l._path && l.feature) byPath.set(l._path, l); });
              for (const p of document.querySelectorAll('path.lcgis-parcel')) {
                const r = p.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (r.width > 10 && r.height > 10 && document.elementFromPoint(x, y) === p)
                  return [x, y, byPath.get(p).feature.properties.parcel_id];
              }
              return null; }"""
        )
        assert hit, "no clickable parcel found"
        box = self.map_element().bounding_box()
        self.page.mouse.click(box["x"] + hit[0], box["y"] + hit[1])
        return str(hit[2])

    def card_id(self) -> str:
        label = self.page.get_by_text("宗地编号：").first
        label.wait_for(timeout=TIMEOUT_MS)
        return str(label.locator("xpath=..").inner_text()).split("：", 1)[1].strip()


@pytest.fixture
def session(browser: Any, server: str, request: pytest.FixtureRequest) -> Iterator[Session]:
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    s = Session(page)

    def route(r: Any) -> None:
        host = urlparse(r.request.url).hostname or ""
        if host in LOCAL_HOSTS or r.request.url.startswith(("data:", "blob:", "about:")):
            r.continue_()
        else:
            s.outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("dialog", lambda d: (s.dialogs.append(d.message), d.dismiss()))
    failed_before = request.session.testsfailed
    page.goto(server)
    page.get_by_role("heading", name="总览", level=1).wait_for(timeout=TIMEOUT_MS)
    yield s
    if request.session.testsfailed > failed_before or os.environ.get("LCGIS_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def test_map_draws_every_parcel_without_leaving_this_machine(session: Session) -> None:
    session.goto_screen("地图")
    frame = session.map_frame()
    n = len(read_dataset(ROOT / "data").parcels)
    assert frame.locator("path.lcgis-parcel").count() == n
    assert frame.locator(".leaflet-tile").count() == 0  # 无底图
    assert frame.locator(".lcgis-legend").count() == 1
    assert frame.locator(".lcgis-zone-label").count() == 3
    assert session.outside == [], session.outside


def test_every_screen_loads_with_no_request_leaving_this_machine(session: Session) -> None:
    for title in ("地图", "企业", "候选", "数据", "总览"):
        session.goto_screen(title)
        session.page.wait_for_load_state("networkidle")
    assert session.outside == [], session.outside
    assert session.page.get_by_text("Traceback").count() == 0


def test_clicking_a_parcel_opens_its_card(session: Session) -> None:
    session.goto_screen("地图")
    pid = session.click_parcel()
    session.page.get_by_text(f"宗地 {pid} 体检表").first.wait_for(timeout=TIMEOUT_MS)
    assert session.card_id() == pid
    frame = session.map_frame()
    frame.locator("path.lcgis-selected").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    # the map was not rebuilt: still every parcel, one highlight
    assert frame.locator("path.lcgis-selected").count() == 1
    # panning keeps the view and the selection (no rerun resets them)
    centre = "() => JSON.stringify(window.map.getCenter())"
    before = frame.locator("#map_div").evaluate(centre)
    box = session.map_element().bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.8
    session.page.mouse.move(x, y)
    session.page.mouse.down()
    session.page.mouse.move(x + 120, y - 60, steps=8)
    session.page.mouse.up()
    session.page.wait_for_timeout(2500)
    after = frame.locator("#map_div").evaluate(centre)
    assert after != before
    assert session.card_id() == pid
    assert frame.locator("path.lcgis-selected").count() == 1
    assert session.outside == []


def test_search_selects_a_parcel(session: Session) -> None:
    session.goto_screen("地图")
    session.map_frame()
    pid = str(read_dataset(ROOT / "data").parcels["parcel_id"].iloc[-1])
    box = session.page.get_by_placeholder("宗地编号或企业名称")
    box.fill(pid)
    session.page.get_by_role("button", name="查找").click()
    session.page.get_by_text(f"宗地 {pid} 体检表").first.wait_for(timeout=TIMEOUT_MS)
    assert session.card_id() == pid
    frame = session.map_frame()
    frame.locator("path.lcgis-selected").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    zoom = frame.locator("#map_div").evaluate("() => window.map.getZoom()")
    assert zoom >= 16


def test_uploaded_hostile_names_show_as_text_and_run_nothing(
    session: Session, tmp_path: Path
) -> None:
    folder = make_hostile_dataset(tmp_path / "hostile")
    archive = tmp_path / "hostile.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.rglob("*"):
            if f.is_file():
                zf.write(f, f.relative_to(folder.parent))
    page = session.page
    # importing data needs an admin: log in through the sidebar first
    side = page.locator("[data-testid=stSidebar]")
    side.locator("[data-testid=stExpander] summary").first.click()
    side.get_by_label("用户名").fill(ADMIN)
    side.get_by_label("密码").fill(ADMIN_PASSWORD)
    side.get_by_role("button", name="登录").click()
    side.get_by_text("退出登录").wait_for()
    session.goto_screen("数据")
    page.locator(".st-key-data_upload input[type=file]").set_input_files(str(archive))
    page.get_by_text("检查通过").or_(page.get_by_text("上传数据检查报告")).first.wait_for()
    page.get_by_role("button", name="使用此数据").click()
    page.get_by_text("正在使用这份上传的数据").wait_for()

    session.goto_screen("企业")
    page.get_by_text("共 2 家").wait_for()
    session.goto_screen("地图")
    frame = session.map_frame()
    assert frame.locator("path.lcgis-parcel").count() == 2
    assert frame.get_by_text(ZONE_SVG).count() == 1  # zone label as text
    pid = session.click_parcel()
    page.get_by_text(f"宗地 {pid} 体检表").first.wait_for()
    title = page.get_by_text(f"宗地 {pid} 体检表").first.inner_text()
    assert ZONE_SVG in title  # the zone name from the data, as text
    # hover: the tooltip shows the name as text
    box = session.map_element().bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    frame.locator("path.lcgis-parcel").first.hover()
    frame.locator(".lcgis-tip").first.wait_for()
    tip = frame.locator(".lcgis-tip").first.inner_text()
    assert f"主要企业：{NAME_IMG}" in tip or f"主要企业：{NAME_SCRIPT}" in tip
    time.sleep(1.0)
    for where in (page, frame):
        assert where.locator("img[src='x']").count() == 0
        assert where.locator("svg[onload]").count() == 0
    assert session.dialogs == []
    assert session.outside == []


# --- a guest's page and downloads hold no confidential figure --------------------------------


def _received(frames: list[bytes]) -> tuple[list[str], list[Any]]:
    """Texts and tables of every element the server sent over the websocket."""
    import pyarrow as pa
    from google.protobuf import text_format
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    texts: list[str] = []
    tables: list[Any] = []

    def walk(msg: Any) -> None:
        for fd, value in msg.ListFields():
            repeated = getattr(fd, "is_repeated", None)
            if repeated is None:  # older protobuf
                repeated = fd.label == fd.LABEL_REPEATED
            values = value if repeated else [value]
            for v in values:
                if fd.type == fd.TYPE_MESSAGE:
                    walk(v)
                elif fd.type == fd.TYPE_BYTES and msg.DESCRIPTOR.name.startswith("Arrow") and v:
                    tables.append(pa.ipc.open_stream(v).read_all().to_pandas())

    for raw in frames:
        msg = ForwardMsg.FromString(raw)
        walk(msg)  # every table: new elements, and chunks sent later
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            continue
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind not in ("dataframe", "table"):
            texts.append(text_format.MessageToString(element, as_utf8=True))
    return texts, tables


def _leaks(texts: list[str], tables: list[Any], files: list[tuple[str, bytes]]) -> list[str]:
    import datetime as dt

    from lcgis.engine.pipeline import run
    from lcgis.rules import load_rules
    from tests import confidential

    ds = read_dataset(ROOT / "data")
    res = run(ds, load_rules(), year=None, as_of=dt.date.today())
    prev = run(ds, load_rules(), year=res.years[-2], as_of=dt.date(res.years[-2], 12, 31))
    f = confidential.figures([res, prev], [ds], totals_secret=True)
    found = [hit for t in texts for hit in confidential.leaks_in_text(t, f, thousands=False)]
    found += [hit for t in tables for hit in confidential.leaks_in_frame(t, f)]
    for name, data in files:
        found += confidential.leaks_in_file(data, name, f)
    return found


def _record(page: Any) -> list[bytes]:
    frames: list[bytes] = []

    def on_ws(ws: Any) -> None:
        ws.on("framereceived", lambda p: frames.append(p) if isinstance(p, bytes) else None)

    page.on("websocket", on_ws)
    return frames


def _downloads(page: Any) -> list[tuple[str, bytes]]:
    import re

    files = []
    buttons = page.get_by_role("button", name=re.compile("下载|导出核查"))
    for i in range(buttons.count()):
        with page.expect_download() as info:
            buttons.nth(i).click()
        d = info.value
        files.append((d.suggested_filename, Path(d.path()).read_bytes()))
    return files


def test_a_guest_gets_no_confidential_figure_in_page_or_download(session: Session) -> None:
    import re

    page = session.page
    frames = _record(page)
    page.reload()  # a new session, its websocket recorded from the start
    page.get_by_role("heading", name="总览", level=1).wait_for()
    texts: list[str] = []
    files: list[tuple[str, bytes]] = []
    for title in ("总览", "地图", "企业", "候选", "审核", "搬迁规划", "数据"):
        if title != "总览":
            session.goto_screen(title)
        page.wait_for_load_state("networkidle")
        if title == "地图":
            pid = session.click_parcel()
            page.get_by_text(f"宗地 {pid} 体检表").first.wait_for()
            frame = session.map_frame()
            frame.locator("path.lcgis-parcel").nth(3).hover()
            frame.locator(".lcgis-tip").first.wait_for()
            texts.append(frame.locator("body").inner_text())
            page.get_by_role("tab", name="规则检验").click()
            page.get_by_role("tab", name="得分明细").click()
        if title == "企业":
            page.get_by_role("button", name="计算敏感性分析").click()
            page.get_by_text("敏感性分析").first.wait_for()
            page.wait_for_load_state("networkidle")
        if title == "搬迁规划":
            page.get_by_text("仅核查人员和管理员可用").wait_for()
        if title in ("候选", "数据"):
            page.get_by_role("button", name=re.compile("下载")).first.wait_for()
        texts.append(page.locator("body").inner_text())
        files += _downloads(page)
    assert {Path(n).suffix for n, _ in files} >= {".xlsx", ".gpkg"}
    sent_texts, sent_tables = _received(frames)
    assert sent_tables and sent_texts  # the tables the browser got, decoded
    assert _leaks(texts + sent_texts, sent_tables, files) == []
    assert "Traceback" not in "\n".join(texts)
    assert str(ROOT) not in "\n".join(texts + sent_texts)  # no server folder either
    assert session.outside == []


def test_an_admin_gets_the_figures_the_guest_search_looks_for(session: Session) -> None:
    """The browser search above is not blind: logged in, the same screens carry them."""
    import re

    page = session.page
    frames = _record(page)
    page.reload()
    page.get_by_role("heading", name="总览", level=1).wait_for()
    side = page.locator("[data-testid=stSidebar]")
    side.locator("[data-testid=stExpander] summary").first.click()
    side.get_by_label("用户名").fill(ADMIN)
    side.get_by_label("密码").fill(ADMIN_PASSWORD)
    side.get_by_role("button", name="登录").click()
    side.get_by_text("退出登录").wait_for()
    session.goto_screen("企业")
    page.wait_for_load_state("networkidle")
    session.goto_screen("候选")
    page.get_by_role("button", name=re.compile("下载")).first.wait_for()
    files = _downloads(page)
    assert files
    _texts, sent_tables = _received(frames)
    assert _leaks([], sent_tables, [])  # the enterprise table
    assert _leaks([], [], files)  # the workbook


# --- the import wizard, from files under their own names to a coloured map -------------------


def _shot(page: Any, name: str) -> None:
    """A screenshot of a wizard step into ``test-artifacts/wizard/`` (with LCGIS_SCREENSHOTS)."""
    if os.environ.get("LCGIS_SCREENSHOTS"):
        (ARTIFACTS / "wizard").mkdir(parents=True, exist_ok=True)
        heading = page.get_by_role("heading", name="上传数据")
        if heading.count():  # the wizard, from its top
            heading.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / "wizard" / f"{name}.png"), full_page=True)


WIZ_IDS = [f"LC-{i:02d}" for i in range(1, 7)]
WIZ_NAMES = [f"泉州{c}有限公司" for c in "甲乙丙丁戊己"]


def _raw_files(folder: Path) -> list[Path]:
    """What a committee gets from the land and tax offices: a GBK shapefile of six parcels in
    Gauss-Krüger metres (CM 120°E, no zone prefix) without .prj, whose Chinese column names the
    DBF cuts; the firms' workbook (tax in 元) and an occupancy CSV."""
    import warnings

    import geopandas as gpd
    import pandas as pd
    import shapely

    from tests.conftest import X0, Y0, code

    folder.mkdir(parents=True)
    boxes = [
        shapely.box(X0 + 120 * (i % 3), Y0 + 120 * (i // 3), X0 + 120 * (i % 3) + 100,
                    Y0 + 120 * (i // 3) + 100)
        for i in range(6)
    ]  # fmt: skip
    parcels = gpd.GeoDataFrame(
        {
            "宗地编号": WIZ_IDS,
            "土地使用权人": WIZ_NAMES,
            "总建筑面积": [15000.0, 8000.0, 2500.0, 12000.0, 500.0, 20000.0],
            "约定动工日期": [
                "2019-03-01", "2020-06-30", "2021-01-15", "2018-05-20", "2022-09-01", "2017-11-11"
            ],
        },
        geometry=boxes,
    )  # fmt: skip
    shp = folder / "宗地图.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL: names cut to 10 bytes; no CRS
        parcels.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert not shp.with_suffix(".prj").exists()
    codes = [code(f"91350502MA2XY000{i}") for i in range(6)]
    revenue = [12000.0, 3000.0, 800.0, 25000.0, 100.0, 40000.0]
    tax = [3_000_000, 600_000, 50_000, 8_000_000, 10_000, 12_000_000]
    firms = pd.DataFrame(
        [
            {
                "统一社会信用代码": c,
                "企业名称": n,
                "年度": year,
                "营业收入(万元)": r,
                "实缴税金(元)": t,
            }
            for year in (2023, 2024)
            for c, n, r, t in zip(codes, WIZ_NAMES, revenue, tax, strict=True)
        ]
    )
    xlsx = folder / "企业.xlsx"
    firms.to_excel(xlsx, index=False)
    occ = folder / "用地.csv"
    pd.DataFrame({"统一社会信用代码": codes, "宗地编号": WIZ_IDS}).to_csv(occ, index=False)
    return [shp, shp.with_suffix(".shx"), shp.with_suffix(".dbf"), xlsx, occ]


def _cli_summary(files: list[Path], tmp_path: Path) -> str:
    """The summary line ``python -m lcgis import`` prints, told the same CRS by --mapping."""
    import io
    import re

    from lcgis.cli import main
    from lcgis.data.propose import propose

    proposal = propose(files)
    parcels = next(i for i, it in enumerate(proposal.inputs) if it.layer == "parcels")
    proposal.inputs[parcels].set_crs("EPSG:4549")
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(proposal.mapping_toml(), encoding="utf-8")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        args = [
            "import",
            *map(str, files),
            "--out",
            str(tmp_path / "cli"),
            "--mapping",
            str(mapping),
        ]
        assert main(args) == 0
    lines = re.findall(r"^导入检查：.*$", out.getvalue(), flags=re.M)
    assert len(lines) == 1, out.getvalue()
    return lines[0]


def _login(page: Any) -> None:
    side = page.locator("[data-testid=stSidebar]")
    side.locator("[data-testid=stExpander] summary").first.click()
    side.get_by_label("用户名").fill(ADMIN)
    side.get_by_label("密码").fill(ADMIN_PASSWORD)
    side.get_by_role("button", name="登录").click()
    side.get_by_text("退出登录").wait_for()


def _next_step(page: Any, step: str) -> None:
    button = page.get_by_role("button", name="下一步")
    for _ in range(100):  # a rerun may briefly keep the last step's button beside the new one
        if button.count() == 1:
            break
        page.wait_for_timeout(100)
    button.first.click()
    page.get_by_text(step, exact=True).wait_for()  # the step's name in bold: its own element
    page.wait_for_load_state("networkidle")


def test_import_wizard_walks_from_upload_to_a_coloured_map(
    session: Session, tmp_path: Path
) -> None:
    files = _raw_files(tmp_path / "raw")
    cli_line = _cli_summary(files, tmp_path)
    page = session.page
    page.set_viewport_size({"width": 1500, "height": 2000})  # a whole step in one screenshot
    _login(page)
    session.goto_screen("数据")
    page.locator(".st-key-data_upload input[type=file]").set_input_files([str(f) for f in files])
    page.get_by_text("每个输入是哪一个图层").wait_for()
    page.wait_for_load_state("networkidle")
    _shot(page, "1-图层")
    for step in ("3. 字段与单位", "4. 取值", "5. 坐标系"):
        _next_step(page, step)
        if step == "3. 字段与单位":  # a field in its standard unit says so in Chinese, not None
            cells = page.locator("td[role=gridcell]")
            cells.filter(has_text="宗地编号").first.wait_for(state="attached")
            assert cells.filter(has_text="—").count() > 0
            assert cells.filter(has_text="None").count() == 0
        _shot(page, step)
    page.get_by_text("没有坐标系的图层").wait_for()
    page.get_by_text("当前不加载底图").first.wait_for()  # the server runs with LCGIS_BASEMAP=none
    # each candidate says how far from the park in use (the demo) it puts the parcels
    captions = page.locator("[data-testid=stCaptionContainer]")
    near = captions.filter(has_text="中央经线 120°E").first.inner_text()
    far = captions.filter(has_text="中央经线 117°E").first.inner_text()
    assert re.search(r"距当前园区约 \d\.\d km", near), near
    assert re.search(r"距当前园区约 [23]\d\d km", far), far  # one zone (3°) west: ~300 km
    page.get_by_role("button", name="用 EPSG:4549").click()
    page.get_by_text("EPSG:4549(当前选择)").wait_for()
    page.wait_for_selector("iframe[title*='st_folium']")
    preview = page.frame_locator("iframe[title*='st_folium']").first
    preview.locator("path.leaflet-interactive").first.wait_for(state="attached")
    assert preview.locator("path.leaflet-interactive[stroke='#d62728']").count() == 6
    assert preview.locator("path.leaflet-interactive[stroke='#1f77b4']").count() >= 1  # the park
    page.wait_for_timeout(1000)
    _shot(page, "5-坐标系-已选")
    _next_step(page, "6. 检查并使用")
    page.get_by_role("button", name="生成并检查").click()
    page.get_by_text("导入检查：").wait_for()
    _shot(page, "6-检查并使用")
    assert page.get_by_text("导入检查：").inner_text().strip() == cli_line
    metric = page.locator("[data-testid=stMetric]").filter(has_text="错误(个)").last
    assert metric.locator("[data-testid=stMetricValue]").inner_text().strip() == "0"
    page.get_by_role("button", name="使用此数据").click()
    page.get_by_text("正在使用这份上传的数据").wait_for()
    _shot(page, "7-使用此数据")

    session.goto_screen("地图")
    frame = session.map_frame()
    parcels = frame.locator("path.lcgis-parcel")
    assert parcels.count() == 6
    fills = [parcels.nth(i).get_attribute("fill") for i in range(6)]
    _shot(page, "8-地图")
    assert all(f and f != "none" for f in fills), fills
    assert set(fills) - {"#d9d9d9"}, fills  # some parcel has a class colour, not 无数据 grey
    session.goto_screen("企业")
    page.get_by_text("共 6 家").wait_for()
    for name in WIZ_NAMES:  # in the table's grid (drawn on a canvas, the cells hidden)
        page.get_by_text(name, exact=True).first.wait_for(state="attached")
    _shot(page, "9-企业")
    assert page.get_by_text("Traceback").count() == 0
    assert session.outside == []


def test_plan_screen_draws_its_charts_for_a_reviewer(session: Session) -> None:
    """规划 as a committee member sees it: the 十四五 targets against the park and a zone, what a
    district target means said beside them, and the trend and chain charts drawn."""
    page = session.page
    _login(page)
    session.goto_screen("规划")
    page.get_by_text("目标完成情况").first.wait_for()
    page.locator(
        "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg"
    ).first.wait_for()
    charts = page.locator("[data-testid=stVegaLiteChart]")
    assert charts.count() >= 2  # the target's trend and the chains
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "园区(或片区)的数字只作参照，不判定是否达到" in text  # the tables are canvases
    page.locator("[data-testid=stButtonGroup]").get_by_text("北片区", exact=True).click()
    page.get_by_text("目标完成情况：北片区").wait_for()
    page.wait_for_timeout(1500)
    if os.environ.get("LCGIS_SCREENSHOTS"):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "规划.png"), full_page=True)
        for i, where in enumerate(("趋势图指标", "片区定位与主导产业", "录入下一规划期目标")):
            page.get_by_text(where).first.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=str(ARTIFACTS / f"规划-{i + 1}.png"))
