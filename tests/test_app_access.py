"""What each role sees in the app (AppTest): every screen and every download, searched for the
demo's real confidential figures (tests/confidential.py); the sidebar takes no server path;
uploads are capped and swept; errors reach the browser as Chinese text without paths."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("streamlit")
import streamlit as st
from google.protobuf import text_format
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from lcgis import review
from lcgis.access import MASKED
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.review import User
from lcgis.rules import load_rules
from lcgis.views import report, summary
from lcgis.views.explain import fmt
from tests import confidential
from ui import settings, state, uploads

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = {
    "总览": "app_pages/overview.py",
    "规划": "app_pages/targets.py",
    "地图": "app_pages/map.py",
    "企业": "app_pages/enterprises.py",
    "候选": "app_pages/candidates.py",
    "审核": "app_pages/review.py",
    "搬迁规划": "app_pages/relocation.py",
    "数据": "app_pages/data.py",
}
USERS: dict[str, User | None] = {
    "guest": None,
    "viewer": User("王五", "viewer"),
    "reviewer": User("张三", "reviewer"),
    "admin": User("管理员", "admin"),
}
AS_OF = dt.date(2025, 6, 30)

#: Every download the app offered in this test: file id -> (file name, bytes).
DOWNLOADS: dict[str, tuple[str, bytes]] = {}


@pytest.fixture(autouse=True)
def temp_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store of the test's own (never data/) holding one review, so the 审核 export exists."""
    db = tmp_path / "review.sqlite"
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.delenv("LCGIS_APP_CONFIG", raising=False)
    monkeypatch.delenv("LCGIS_RULES", raising=False)
    with review.ReviewStore(f"sqlite:///{db}") as s:
        # the app re-reads a session user's role from the store: every user must exist
        s.add_user("张三", "pw-zhang-san-9", "reviewer")
        s.add_user("王五", "pw-wang-wu-9", "viewer")
        s.add_user("管理员", "admin-password-1", "admin")
        s.set_review(
            parcel_ids()[0],
            dataset=review.dataset_id(ROOT / "data"),
            by=User("张三", "reviewer"),
            status="核查中",
            note="现场核查",
        )
    yield db


@pytest.fixture(autouse=True)
def record_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the bytes of every file a download button offers (AppTest's media store is gone
    after the run)."""
    original = MemoryMediaFileStorage.load_and_get_id

    def load(self: Any, data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        file_id = original(self, data, mimetype, kind, filename)
        if isinstance(data, bytes):
            DOWNLOADS[file_id] = (filename or file_id, data)
        return file_id

    DOWNLOADS.clear()
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load)
    button = st.download_button

    def eager(label: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        # a file made on click (the PDF papers): make it now, as the click would
        return button(label, data() if callable(data) else data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", eager)


@cache
def library(year: int | None) -> Result:
    return run(read_dataset(ROOT / "data"), load_rules(), year=year, as_of=AS_OF)


@cache
def parcel_ids() -> list[str]:
    return library(None).parcels["parcel_id"].astype(str).tolist()


@cache
def secrets(totals: bool) -> confidential.Figures:
    """The demo's confidential figures: the evaluated year, the year before (the overview's
    change) and every year's raw enterprise figures."""
    res = library(None)
    prev = library(res.years[-2])
    return confidential.figures([res, prev], [read_dataset(ROOT / "data")], totals_secret=totals)


@cache
def scored_parcel() -> str:
    """A parcel with tax and a rated occupant: its card has figures and score rows."""
    res = library(None)
    rated = set(res.enterprises.loc[res.enterprises["class"].isin(list("ABCD")), "credit_code"])
    alloc = res.allocation[res.allocation["credit_code"].isin(rated)]
    p = res.parcels.set_index("parcel_id")
    return next(pid for pid in alloc["parcel_id"] if pd.notna(p.loc[pid, "tax_per_mu"]))


def app(page: str, user: User | None, **session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lcgis_user"] = user
    at.session_state["lcgis_as_of"] = AS_OF
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGES[page])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# --- what a page shows -------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _arrow(data: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def map_payload(at: AppTest) -> str | None:
    """The JSON of the parcel layer in the map component, if a map is shown."""
    for node in _walk(at._tree):
        if getattr(node, "type", "") == "component_instance":
            script = json.loads(node.proto.json_args).get("script", "")
            m = re.search(r"var D=(\{.*?\});\s*var S=", script, re.S)
            if m:
                return m.group(1)
    return None


def leaks(at: AppTest, f: confidential.Figures) -> list[str]:
    """Confidential figures anywhere on the page: text, tables, charts, the map component and
    the files of its download buttons."""
    found: list[str] = []
    for node in _walk(at._tree):
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        value = getattr(node, "value", None) if kind in ("dataframe", "table") else None
        if isinstance(value, pd.DataFrame):
            found += confidential.leaks_in_frame(value, f, kind)
        elif kind == "vega_lite_chart":
            for ds in proto.datasets:
                found += confidential.leaks_in_frame(_arrow(ds.data.data), f, "chart")
            if proto.HasField("data") and proto.data.data:
                found += confidential.leaks_in_frame(_arrow(proto.data.data), f, "chart")
            found += confidential.leaks_in_text(proto.spec, f, thousands=False)
        elif kind == "component_instance":
            found += confidential.leaks_in_text(proto.json_args, f, thousands=False)
        elif proto is not None and kind not in ("dataframe", "table"):
            text = text_format.MessageToString(proto, as_utf8=True)
            found += [f"{kind}:{hit}" for hit in confidential.leaks_in_text(text, f)]
    for name, data in downloads(at):
        found += confidential.leaks_in_file(data, name, f)
    return found


def downloads(at: AppTest) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every download button on the page."""
    out = []
    for b in at.get("download_button"):
        file_id = Path(b.proto.url).stem
        assert file_id in DOWNLOADS, b.proto.label
        name, data = DOWNLOADS[file_id]
        out.append((name, data))
    return out


def page_text(at: AppTest) -> str:
    """Everything a person reads on the page, tables included (not the map or the charts,
    which :func:`leaks` searches as data)."""
    parts = []
    for n in _walk(at._tree):
        kind = getattr(n, "type", "")
        if kind in ("dataframe", "table"):
            parts.append(n.value.to_string())
        elif kind not in ("component_instance", "vega_lite_chart") and getattr(n, "proto", None):
            parts.append(text_format.MessageToString(n.proto, as_utf8=True))
    return "\n".join(parts)


# --- no confidential figure for guests and viewers -----------------------------------------


@pytest.mark.parametrize("role", ["guest", "viewer"])
@pytest.mark.parametrize("page", list(PAGES))
def test_no_confidential_figure_on_any_screen_or_download(role: str, page: str) -> None:
    session: dict[str, object] = {}
    if page == "地图":
        session[state.SELECTED] = scored_parcel()
    at = app(page, USERS[role], **session)
    assert at.title[0].value == page
    if page == "企业":
        at.button(key="ent_sens_btn").click().run()
        assert not at.exception
    f = secrets(totals=role == "guest")  # viewers see park and zone totals
    assert leaks(at, f) == []
    if page == "地图":
        payload = map_payload(at)
        assert payload is not None
        assert confidential.leaks_in_payload(payload, library(None), f) == []
        mine = confidential.figures_of_parcel(library(None), scored_parcel(), f)
        assert mine.n_secret > 0
        assert confidential.leaks_in_text(page_text(at), mine) == []  # its own, short ones too
        assert "—(仅核查人员可见)" in page_text(at)
    if page in ("候选", "数据", "审核"):
        assert downloads(at), page  # every download of the screen was searched


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_see_the_figures_the_search_looks_for(role: str) -> None:
    """The same search finds the figures where they are shown: it is not blind."""
    f = secrets(totals=True)
    at = app("地图", USERS[role], **{state.SELECTED: scored_parcel()})
    mine = confidential.figures_of_parcel(library(None), scored_parcel(), f)
    assert confidential.leaks_in_text(page_text(at), mine)
    assert "—(仅核查人员可见)" not in page_text(at)
    at.selectbox(key="map_indicator").set_value("tax_per_mu").run()
    payload = map_payload(at)
    assert payload is not None and confidential.leaks_in_payload(payload, library(None), f)
    for page in ("企业", "候选", "数据", "总览"):
        at = app(page, USERS[role])
        assert leaks(at, f), page
    at = app("数据", USERS[role])
    for name, data in downloads(at):
        assert confidential.leaks_in_file(data, name, f), name


def test_map_offers_no_colouring_by_a_confidential_figure() -> None:
    for role, user in USERS.items():
        options = app("地图", user).selectbox(key="map_indicator").options
        labels = " ".join(options)
        if role in ("guest", "viewer"):
            assert "税收" not in labels and "产值" not in labels, role
            assert "容积率" in labels
        else:
            assert "亩均税收(万元/亩)" in options and "亩均产值(万元/亩)" in options


def test_overview_totals_for_each_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    want = summary.park_summary(library(None))
    tax = fmt(want["tax_wan"], 0)
    shown = {r: {m.label: m.value for m in app("总览", u).metric} for r, u in USERS.items()}
    assert shown["guest"]["税收(万元)"] == "—" and shown["guest"]["亩均产值(万元/亩)"] == "—"
    for role in ("viewer", "reviewer", "admin"):
        assert shown[role]["税收(万元)"] == tax, role
    assert shown["guest"]["用地面积(亩)"] == fmt(want["land_area_mu"], 1)  # the rest is public
    # a rules file with public_totals = true (one the server offers) shows guests the totals
    rules = tmp_path / "公开合计.toml"
    rules.write_text("[access]\npublic_totals = true\n", encoding="utf-8")
    config = tmp_path / "lcgis-app.toml"
    config.write_text(f'[rules]\n"公开合计" = "{rules.name}"\n', encoding="utf-8")
    monkeypatch.setenv("LCGIS_APP_CONFIG", str(config))
    at = app("总览", None)
    at.selectbox(key=state.W_RULES_PATH).set_value(str(rules)).run()
    assert {m.label: m.value for m in at.metric}["税收(万元)"] == tax
    zones = next(d.value for d in at.dataframe if "片区" in d.value.columns)
    by_zone = report.zone_table(library(None))["tax_wan"]
    assert zones[report.LABELS["tax_wan"]].round(6).tolist() == [
        *by_zone.round(6).tolist(),
        round(by_zone.sum(), 6),  # 园区合计
    ]
    at.switch_page(PAGES["企业"]).run()
    assert at.dataframe[0].value["亩均税收(万元/亩)"].eq(MASKED).all()  # never a firm's figure


# --- the sidebar: no server path ----------------------------------------------------------------


def test_sidebar_offers_lists_not_paths() -> None:
    for role, user in USERS.items():
        at = app("总览", user)
        side = at.sidebar
        # no free-text path for anyone: the only text boxes are the login's
        assert {t.label for t in side.text_input} <= {"用户名", "密码"}, role
        data = side.selectbox(key=state.widget_key(state.W_DATA_DIR))
        assert data.options == [settings.DEMO_LABEL] and data.disabled == (role != "admin")
        assert side.selectbox(key=state.W_RULES_PATH).options == [settings.DEFAULT_RULES_LABEL]
        uploaders = [u for u in side.get("file_uploader") if "规则" in u.proto.label]
        assert bool(uploaders) == (role == "admin"), role
        assert str(ROOT) not in page_text(at), role  # no server folder on the page


def test_a_rules_file_that_is_a_folder_or_a_device_is_refused_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "规则目录"
    folder.mkdir()
    config = tmp_path / "lcgis-app.toml"
    entries = {"一个文件夹": str(folder)}
    if Path("/dev/zero").exists():
        entries["一个设备"] = "/dev/zero"
    config.write_text(
        "[rules]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in entries.items()), encoding="utf-8"
    )
    monkeypatch.setenv("LCGIS_APP_CONFIG", str(config))
    for path in entries.values():
        at = app("总览", None)
        started = time.monotonic()
        at.selectbox(key=state.W_RULES_PATH).set_value(path).run()
        assert time.monotonic() - started < 30
        assert not at.exception
        errors = " ".join(e.value for e in at.error)
        assert "规则文件有误，已改用默认规则" in errors and "不是普通文件" in errors
        text = page_text(at)
        assert str(tmp_path) not in text and "Traceback" not in text
        assert any("默认规则" in c.value for c in at.caption)


def test_a_guest_cannot_keep_a_path_that_is_not_offered(tmp_path: Path) -> None:
    """Session values that name unoffered paths are not used (only admins leave the list)."""
    (tmp_path / "x.toml").write_text("[access]\nconfidential = []\n", encoding="utf-8")
    at = app("企业", None, **{state.RULES_PATH: str(tmp_path / "x.toml")})
    assert at.dataframe[0].value["亩均税收(万元/亩)"].eq(MASKED).all()
    assert any("默认规则" in c.value for c in at.sidebar.caption)
    at = app("总览", None, **{state.DATA_DIR: str(tmp_path)})
    assert at.title[0].value == "登录"  # not the demo: only the login form, and no path
    assert str(tmp_path) not in page_text(at)
    at = app("总览", USERS["viewer"], **{state.DATA_DIR: str(tmp_path)})
    assert at.title[0].value == "总览" and not at.error  # back on the offered dataset
    assert at.session_state[state.DATA_DIR] == state.initial_data_dir()


def test_an_unexpected_error_shows_chinese_text_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError(f"boom in {ROOT / 'lcgis' / 'secret.py'}")

    monkeypatch.setattr(report, "zone_table", broken)
    at = app("总览", None)
    assert [e.value for e in at.error] == [
        "程序内部出错，详细信息已记入服务器日志。请刷新页面重试；如仍出错，请联系管理员。"
    ]
    text = page_text(at)
    assert "boom" not in text and "secret.py" not in text and "Traceback" not in text


# --- uploads: capped, per session, swept ---------------------------------------------------------


def test_upload_limits_and_the_session_quota(tmp_path: Path) -> None:
    uploads.check_upload("规则.toml", 100, max_bytes=100, room=100)  # at the limits: kept
    with pytest.raises(uploads.UploadRefused, match="超过单个文件上限"):
        uploads.check_upload("规则.toml", 101, max_bytes=100, room=10**9)
    with pytest.raises(uploads.UploadRefused, match="上传空间不足"):
        uploads.check_upload("宗地.zip", 50, max_bytes=100, room=49)
    folder = tmp_path / "session"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "f.bin").write_bytes(b"x" * 300)
    (folder / "g.bin").write_bytes(b"y" * 200)
    assert uploads.folder_bytes(folder) == 500
    assert uploads.room(folder, 1200) == 700 and uploads.room(folder, 400) == 0
    # a zip larger than the room is refused whole, before anything is written
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ds/parcels/parcels.csv", "0" * 10_000)
    with pytest.raises(uploads.UploadRefused, match="解压后"):
        uploads.place([("数据.zip", buf.getvalue())], tmp_path / "up", limit=9_999)
    assert not list((tmp_path / "up").rglob("*.csv"))
    with pytest.raises(uploads.UploadRefused):
        uploads.place([("宗地.csv", b"1" * 11)], tmp_path / "up2", limit=10)
    assert uploads.safe_filename("../../规则 2026.toml", ".toml") == "规则_2026.toml"


def test_sweep_deletes_ended_and_day_old_sessions(tmp_path: Path) -> None:
    now = time.time()
    root = tmp_path / "lcgis-app"
    made = {}
    for name, created, used in (
        ("running", now - 3600, now - 10),  # active
        ("ended", now - 3600, now - 600),  # its session is gone, idle 10 minutes
        ("reconnecting", now - 3600, now - 30),  # gone, but idle less than the grace
        ("old", now - 25 * 3600, now - 10),  # active, but made more than a day ago
        ("unknown", now - 3600, now - 600),  # the runtime cannot tell: kept
    ):
        d = root / name
        d.mkdir(parents=True)
        (d / "f.csv").write_text("x", encoding="utf-8")
        uploads.mark_used(d, now=created)
        os.utime(d / uploads.SESSION_MARK, (used, used))
        made[name] = d
    active = {"running": True, "ended": False, "reconnecting": False, "old": True}
    gone = uploads.sweep(root, keep_s=24 * 3600, idle_s=180, active=active.get, now=now)
    assert sorted(gone) == ["ended", "old"]
    assert sorted(p.name for p in root.iterdir()) == ["reconnecting", "running", "unknown"]
    # another server's sessions are not this server's to judge: swept by age only
    base = tmp_path / "base"
    own, other = base / "server-1", base / "server-2"
    for server, names in ((own, ("mine",)), (other, ("theirs", "theirs-old"))):
        for name in names:
            d = server / name
            d.mkdir(parents=True)
            uploads.mark_used(d, now=now - (25 * 3600 if name.endswith("old") else 600))
    gone = uploads.sweep_all(
        base, own, keep_s=24 * 3600, idle_s=180, active=lambda _sid: False, now=now
    )
    assert sorted(gone) == ["mine", "theirs-old"]
    assert [p.name for p in other.iterdir()] == ["theirs"]


def test_a_session_folder_is_made_only_for_an_upload_and_marked_while_in_use() -> None:
    at = app("数据", USERS["admin"])
    assert any("本次会话共可上传 200 MB" in m.value for m in at.markdown)
    assert any("每个文件不超过 50 MB" in m.value for m in at.markdown)
    folder = uploads.app_root() / str(at.session_state[state.SESSION_ID])
    assert not folder.exists()  # merely looking stores nothing
    folder.mkdir(parents=True)
    uploads.mark_used(folder, now=time.time() - 3600)
    created = (folder / uploads.SESSION_MARK).read_text(encoding="ascii")
    at.run()
    mark = folder / uploads.SESSION_MARK
    assert time.time() - mark.stat().st_mtime < 60  # used now
    assert mark.read_text(encoding="ascii") == created  # made an hour ago, still
    uploads.remove(folder)


def test_settings_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "park").mkdir()
    config = tmp_path / "lcgis-app.toml"
    config.write_text(
        '[datasets]\n"园区 2025" = "park"\n[rules]\n"修订" = "r.toml"\n'
        "[uploads]\nsession_quota_mb = 5\nkeep_hours = 2\n",
        encoding="utf-8",
    )
    s = settings.load_settings(config, {})
    assert [c.label for c in s.datasets] == [settings.DEMO_LABEL, "园区 2025"]
    assert s.datasets[1].path == str(tmp_path / "park")
    assert [c.label for c in s.rules] == [settings.DEFAULT_RULES_LABEL, "修订"]
    assert (s.session_quota_bytes, s.keep_hours, s.error) == (5 * 1024**2, 2.0, "")
    assert s.rules_file("") == s.rules[0] and s.rules_file(str(tmp_path / "other.toml")) is None
    config.write_text("[uploads]\nsession_quota_mb = -1\n", encoding="utf-8")
    bad = settings.load_settings(config, {"LCGIS_DATA_DIR": str(tmp_path / "park")})
    assert "有误" in bad.error and bad.session_quota_mb == settings.DEFAULT_QUOTA_MB
    assert [c.label for c in bad.datasets] == ["park", settings.DEMO_LABEL]
