"""Session state and cached results: the only place the app keeps state (its keys are
declared in :mod:`ui.keys`).

Everything heavy is cached with keys that are plain values: the dataset folder and a stamp
of its files (names, sizes, modification times), the year, the rules digest, the date of
the evaluation and the access policy of the user.  A GeoDataFrame is never hashed: cached
functions take the key tuple and the result as an underscore argument (which Streamlit does
not hash); key arguments that only make the cache key are not read in the body (hence their
``noqa: ARG001``).  Session state holds small values only (paths, the selected parcel id, filters).

Screens get the result as the user may see it (:func:`context`: masked by
:mod:`lcgis.access` for guests and viewers), so every table, map, card and download built
from it shows only what the user may see.  The full result never leaves this module except
as figures the policy allows (park totals, sensitivity class changes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import streamlit as st

from lcgis import access, review
from lcgis.data.io import Dataset, read_dataset
from lcgis.demo import ILLUSTRATIVE
from lcgis.engine.evaluate import sensitivity as _sensitivity
from lcgis.engine.pipeline import Result, choose_year, run
from lcgis.errors import LcgisError, RulesError
from lcgis.rules import Rules, load_rules
from lcgis.views import maps, report, summary, tables
from lcgis.views.explain import Card, explain

from . import keys, settings, uploads
from .render import public_text

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("lcgis.app")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO / "data"

# --- session keys ---------------------------------------------------------------------------
# Declared in ui.keys.  The sidebar's choices live under plain keys (never a widget's key):
# Streamlit drops a widget's state when the page changes before the browser has shown that
# widget, so the widgets (keys ``sb_*``) are created from these values and copy their answer
# back after each run.  The names below are kept for the modules and tests that use them.
DATA_DIR, YEAR, RULES_PATH, RULES_FILE = keys.DATA_DIR, keys.YEAR, keys.RULES_PATH, keys.RULES_FILE
AS_OF, SELECTED, SESSION_ID = keys.AS_OF, keys.SELECTED, keys.SESSION_ID
USER, USER_STORE, LAST_ACTIVE = keys.USER, keys.USER_STORE, keys.LAST_ACTIVE
W_DATA_DIR, W_YEAR, W_AS_OF = keys.W_DATA_DIR, keys.W_YEAR, keys.W_AS_OF
W_RULES_PATH = keys.W_RULES_PATH
W_RULES_UPLOAD, DATA_GENERATION = keys.W_RULES_UPLOAD, keys.DATA_GENERATION


def widget_key(base: str) -> str:
    """A widget key that changes when the app switches the dataset (so the widget restarts)."""
    return f"{base}_{st.session_state.get(DATA_GENERATION, 0)}"


def year_end(year: int | None) -> dt.date:
    """The default evaluation date: 31 December of the evaluated year (rules.md §8); today
    for data without years."""
    return dt.date(year, 12, 31) if year is not None else dt.date.today()


def as_of_key(year: int | None) -> str:
    """Key of the date box: one per year, so it starts from that year's 31 December."""
    return f"{W_AS_OF}_{year}"


def year_key(data_dir: str) -> str:
    """Key of the year box: one per dataset folder (its years differ)."""
    return f"{W_YEAR}_{hashlib.sha1(data_dir.encode()).hexdigest()[:8]}"


def switch_dataset(folder: str) -> None:
    """Use another dataset folder (a callback: the sidebar restarts from it)."""
    keys.reset_dataset_dependent()  # the year, the selected parcel, search hits, movers …
    st.session_state[DATA_DIR] = folder
    st.session_state[DATA_GENERATION] = int(st.session_state.get(DATA_GENERATION, 0)) + 1


#: Result key: (data folder, files stamp, year, rules digest, as-of date ISO, 政府原因 parcels,
#: access stamp).
Key = tuple[str, str, int | None, str, str, str, str]


def initial_data_dir() -> str:
    """The dataset folder to open with: env ``LCGIS_DATA_DIR``, else the embedded demo."""
    return os.environ.get("LCGIS_DATA_DIR") or str(DEFAULT_DATA_DIR)


def _runtime_session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
    except Exception:  # no script run context (bare mode)
        return None
    sid = getattr(ctx, "session_id", None)
    return sid if isinstance(sid, str) and re.fullmatch(r"[A-Za-z0-9-]{8,64}", sid) else None


def init_session() -> None:
    """Defaults for the sidebar widgets (set once; widgets then own their keys)."""
    st.session_state.setdefault(DATA_DIR, initial_data_dir())
    st.session_state.setdefault(RULES_PATH, os.environ.get("LCGIS_RULES", ""))
    st.session_state.setdefault(AS_OF, None)  # None: 31 December of the evaluated year
    st.session_state.setdefault(SESSION_ID, _runtime_session_id() or uuid.uuid4().hex)


def session_dir() -> Path:
    """A folder of this browser session for uploads (in the system temp dir, never the repo).

    Named after the Streamlit session, so that it is deleted once that session has ended
    (:func:`sweep_uploads`); at the latest it goes ``keep_hours`` after it was made.
    """
    sid = str(st.session_state.get(SESSION_ID) or "anonymous")
    path = uploads.app_root() / sid
    path.mkdir(parents=True, exist_ok=True)
    uploads.mark_used(path)
    return path


def upload_room() -> int:
    """Bytes this session may still upload (its quota less what it keeps)."""
    return uploads.room(session_dir(), settings.current().session_quota_bytes)


def _session_active(sid: str) -> bool | None:
    """Whether the Streamlit session ``sid`` is connected (None: cannot tell)."""
    try:
        from streamlit.runtime import Runtime

        if not Runtime.exists():
            return None
        active = Runtime.instance().is_active_session(sid)
    except Exception:  # no runtime (bare mode, tests)
        return None
    return active if isinstance(active, bool) else None


class _Sweeper:
    """Runs :func:`ui.uploads.sweep` at most once per ``every_s`` for the whole server."""

    every_s = 300.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.last = 0.0

    def run(self) -> None:
        now = time.time()
        with self.lock:
            if now - self.last < self.every_s:
                return
            self.last = now
        cfg = settings.current()
        try:
            ttl = float(st.get_option("server.disconnectedSessionTTL") or 120)
        except (TypeError, ValueError):
            ttl = 120.0
        gone = uploads.sweep_all(
            uploads.app_base(),
            uploads.app_root(),
            keep_s=cfg.keep_hours * 3600,
            idle_s=ttl + 60,
            active=_session_active,
            now=now,
        )
        if gone:
            log.info("deleted the uploads of %d ended or expired sessions", len(gone))


@st.cache_resource(show_spinner=False)
def _sweeper() -> _Sweeper:
    return _Sweeper()


def sweep_uploads() -> None:
    """Mark this session's upload folder (if it has one) as in use, and delete the uploads
    of sessions that ended, and of any made over a day ago."""
    own = uploads.app_root() / str(st.session_state.get(SESSION_ID) or "anonymous")
    if own.is_dir():
        uploads.mark_used(own)
    _sweeper().run()


def dataset_label(folder: str) -> str:
    """What the browser shows for a dataset folder: its configured name, an upload of this
    session, or just the folder's name — never the server path."""
    choice = settings.current().dataset(folder)
    if choice is not None:
        return choice.label
    try:
        rel = Path(folder).resolve().relative_to(uploads.app_root().resolve())
    except (OSError, ValueError):
        return Path(folder).name or "数据"
    parts = rel.parts
    if len(parts) >= 3 and parts[1] == "uploads":
        return f"本次上传的数据({parts[2]})"
    return "本次上传的数据"


@st.cache_data(show_spinner=False, max_entries=16)
def illustrative(data_dir: str, stamp: str) -> str:
    """The dataset's own statement that it is illustrative (示意数据), '' when it makes none
    (:func:`lcgis.views.report.illustrative_statement`, the test the workbook and the card use)."""
    if not Path(data_dir).is_dir():
        return ""
    try:
        return report.illustrative_statement(dataset(data_dir, stamp).files)
    except LcgisError:
        return ""


def illustrative_banner() -> None:
    """On a dataset that says it is illustrative: a banner (every screen shows it)."""
    data_dir = str(st.session_state.get(DATA_DIR) or initial_data_dir())
    if illustrative(data_dir, files_stamp(data_dir)):
        st.warning(
            f"当前为{ILLUSTRATIVE}(虚构园区，仅供演示)：页面上的数字不得用于实际评价或决策。",
            icon=":material/science:",
        )


def files_stamp(folder: str | Path) -> str:
    """Names, sizes and modification times of a dataset folder's files, hashed.

    Changes when any file of the dataset (the folder and its ``parcels/``) is replaced.
    """
    root = Path(folder)
    parts: list[str] = []
    for sub in (root, root / "parcels"):
        if not sub.is_dir():
            continue
        for f in sorted(sub.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                s = f.stat()
                parts.append(f"{f.relative_to(root)}|{s.st_size}|{s.st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def _file_stamp(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        return "missing"
    s = p.stat()
    return f"{s.st_size}|{s.st_mtime_ns}"


# --- cached library calls ----------------------------------------------------------------------


@st.cache_resource(show_spinner="正在读取数据…", max_entries=6)
def dataset(data_dir: str, stamp: str) -> Dataset:  # noqa: ARG001
    """The dataset of a folder (re-read when its stamp changes)."""
    return read_dataset(data_dir)


@st.cache_resource(show_spinner=False, max_entries=8)
def rules_of(path: str, stamp: str) -> Rules:  # noqa: ARG001
    """Rules from a file ('' = the default rules)."""
    return load_rules(path) if path else load_rules()


@st.cache_resource(show_spinner="正在评价…", max_entries=12)
def result_of(
    data_dir: str,
    stamp: str,
    year: int | None,
    digest: str,  # noqa: ARG001
    as_of: str,
    delayed: str,
    _rules: Rules,
) -> Result:
    """``pipeline.run`` on a dataset; keyed by folder, stamp, year, rules digest, date and the
    parcels whose idleness a review put down to the government (``delayed``, ';'-joined)."""
    return run(
        dataset(data_dir, stamp),
        _rules,
        year=year,
        as_of=dt.date.fromisoformat(as_of),
        government_delay=[p for p in delayed.split(";") if p],
    )


def government_delayed(data_dir: str, rules: Rules) -> str:
    """';'-joined parcels whose review gives the reason 政府原因 ('' when the store is unreadable:
    the evaluation then applies the idle fee as the rules say, and the review panel shows why)."""
    try:
        ids = review.government_delay(rules.idle.government_reason, data_dir)
    except LcgisError:
        return ""
    return ";".join(sorted(ids))


@dataclass(frozen=True)
class Context:
    """What the current screen works on."""

    key: Key
    result: Result  # masked for the user's policy
    rules: Rules
    rules_label: str
    policy: access.Policy

    @property
    def data_dir(self) -> str:
        return self.key[0]

    @property
    def year(self) -> int | None:
        return self.key[2]

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.key[4])


def years_of(data_dir: str) -> list[int]:
    """Enterprise years present in a dataset ([] when it has none or cannot be read)."""
    ds = dataset(data_dir, files_stamp(data_dir))
    if ds.report.has_errors:
        return []
    return choose_year(ds.enterprises, None)[1]


def _in_session(path: str) -> bool:
    """Whether ``path`` lies in this session's upload folder."""
    try:
        Path(path).resolve().relative_to(session_dir().resolve())
    except (OSError, ValueError):
        return False
    return True


def rules_path() -> str:
    """The rules file of the session: an admin's upload, else a configured one ('' = the
    default rules).  A path that is neither is never read."""
    uploaded = str(st.session_state.get(RULES_FILE, "") or "")
    if uploaded and _in_session(uploaded):
        return uploaded
    chosen = str(st.session_state.get(RULES_PATH, "") or "").strip()
    choice = settings.current().rules_file(chosen)
    return choice.path if choice is not None else ""


def current_rules() -> tuple[Rules, str]:
    """The rules chosen in the sidebar and a label for them (default rules on error)."""
    path = rules_path()
    if path:
        try:
            rules = rules_of(path, _file_stamp(path))
            choice = settings.current().rules_file(path)
            name = choice.label if choice is not None else Path(path).name
            return rules, f"{name}(摘要 {rules.digest[:8]})"
        except RulesError as exc:
            log.warning("rules file %s not used: %s", path, exc)
            st.session_state[keys.RULES_ERROR] = public_text(exc)
    rules = rules_of("", "")
    return rules, f"默认规则(摘要 {rules.digest[:8]})"


def current_key(rules: Rules, view: str = "all") -> Key:
    data_dir = str(st.session_state.get(DATA_DIR) or initial_data_dir())
    year = st.session_state.get(YEAR)
    year = int(year) if year is not None else None
    as_of = st.session_state.get(AS_OF) or year_end(year)
    return (
        data_dir,
        files_stamp(data_dir),
        year,
        rules.digest,
        as_of.isoformat(),
        government_delayed(data_dir, rules),
        view,
    )


def current_policy(rules: Rules) -> access.Policy:
    """The access policy of the session's user under ``rules``."""
    from ui import auth  # auth builds on this module: imported here, not at the top

    return access.policy(auth.role(), rules)


@st.cache_resource(show_spinner=False, max_entries=24)
def view_of(key: Key, _result: Result, _policy: access.Policy) -> Result:  # noqa: ARG001
    """The result as the policy may see it (keyed by the result key, which holds the policy's
    stamp)."""
    return _policy.mask_result(_result)


def _full(key: Key, rules: Rules) -> Result:
    """The unmasked result of a key (for figures the policy then filters)."""
    return result_of(*key[:6], _rules=rules)


def context() -> Context:
    """The evaluated result of the sidebar's choices, as the user may see it; on bad data,
    say why and stop."""
    rules, label = current_rules()
    policy = current_policy(rules)
    key = current_key(rules, policy.stamp)
    data_dir = Path(key[0])
    if not data_dir.is_dir():
        st.error(
            f"找不到数据目录“{dataset_label(key[0])}”。请在左侧边栏另选，或在“数据”页上传数据。"
        )
        st.stop()
    ds = dataset(key[0], key[1])
    if ds.report.has_errors:
        st.error("当前数据有错误，无法评价。请按下表修改数据，或在“数据”页换一份数据。")
        st.dataframe(ds.report.to_frame(), hide_index=True, width="stretch")
        st.stop()
    try:
        res = view_of(key, _result=_full(key, rules), _policy=policy)
    except LcgisError as exc:
        log.warning("evaluation failed: %s", exc)
        st.error(f"评价失败：{public_text(exc)}")
        st.stop()
    return Context(key, res, rules, label, policy)


# --- cached products of a result (keyed by the result key) -------------------------------------


@st.cache_resource(show_spinner=False, max_entries=32)
def display_geometry(key: Key, datum: str, _result: Result) -> gpd.GeoSeries:  # noqa: ARG001
    """Lon/lat display copy of the parcels (GCJ-02 for 高德), indexed by parcel id."""
    p = _result.parcels
    g = maps.display_geometry(p.geometry, datum)
    g.index = p["parcel_id"].astype(str).to_numpy()
    return g


@st.cache_resource(show_spinner=False, max_entries=64)
def map_payload(
    key: Key,
    indicator: str,
    scheme: str,
    k: int,
    datum: str,
    _result: Result,
    extra: str = "",  # noqa: ARG001
    _columns: dict[str, pd.Series] | None = None,
) -> tuple[str, list[list[float]], maps.Legend]:
    """(script-safe JSON, bounds, legend) of the parcel layer.

    ``_columns``: columns added to the parcels before colouring (aligned on them, e.g. the
    review status); ``extra`` is their stamp (part of the cache key, e.g. the store's last
    history seq), so the map refreshes when they change.
    """
    p = _result.parcels
    if _columns:
        p = p.assign(**{name: col.to_numpy() for name, col in _columns.items()})
    classes = maps.classify_indicator(p, indicator, scheme, k, _result.rules)
    legend = maps.legend_for(indicator, classes, scheme)
    payload = maps.parcel_payload(
        p,
        indicator,
        classes,
        legend,
        names=maps.main_names(p, _result.enterprises),
        zones=_result.zones if isinstance(_result.zones, gpd.GeoDataFrame) else None,
        datum=datum,
    )
    bounds = maps.bounds_of(display_geometry(key, datum, _result))
    return maps.to_json(payload), bounds, legend


@st.cache_resource(show_spinner=False, max_entries=256)
def card(key: Key, parcel_id: str, _result: Result) -> Card | None:  # noqa: ARG001
    """The parcel's 体检表."""
    return explain(_result, parcel_id)


@st.cache_resource(show_spinner=False, max_entries=12)
def park(key: Key, _result: Result) -> dict[str, float]:
    """The park's headline figures of the key's result, with those the policy of the (masked)
    ``_result`` hides as NaN (totals are computed on the full result)."""
    figures = summary.park_summary(_full(key, _result.rules))
    return _result.access.mask_totals(figures) if _result.access is not None else figures


def _previous_key(ctx: Context) -> Key | None:
    """The key of the year before, computed like the current one: the same data, allocation
    and rules, its firms at its own 31 December, its evaluation date as far from that year end
    as the current one's (year end → year end)."""
    year = ctx.result.year
    years = [y for y in ctx.result.years if year is not None and y < year]
    if year is None or not years:
        return None
    prev = years[-1]
    as_of = summary.previous_as_of(ctx.result.as_of, year, prev).isoformat()
    k = ctx.key
    return (k[0], k[1], prev, k[3], as_of, k[5], k[6])


def previous(ctx: Context) -> Result | None:
    """The result of the year before the evaluated one (judged alike), if any, as
    the user may see it."""
    key = _previous_key(ctx)
    if key is None:
        return None
    return view_of(key, _result=_full(key, ctx.rules), _policy=ctx.policy)


def previous_park(ctx: Context) -> dict[str, float]:
    """:func:`park` of the year before ({} when there is none)."""
    key = _previous_key(ctx)
    prev = previous(ctx)
    return park(key, _result=prev) if key is not None and prev is not None else {}


@st.cache_resource(show_spinner=False, max_entries=12)
def enterprise_table(key: Key, _result: Result) -> pd.DataFrame:  # noqa: ARG001
    """Enterprises ranked by score (best first), with zone and industry division
    (:func:`lcgis.views.tables.ranked_enterprises`)."""
    return tables.ranked_enterprises(_result.enterprises, _result.parcels)


@st.cache_resource(show_spinner=False, max_entries=12)
def workbook_sheets(key: Key, _result: Result) -> dict[str, pd.DataFrame]:  # noqa: ARG001
    """The workbook's sheets (Chinese headers and values) of a result."""
    return report.workbook_sheets(_result)


@st.cache_data(show_spinner=False, max_entries=12)
def sensitivity(key: Key, _result: Result) -> pd.DataFrame:
    """Enterprises whose class changes when one weight or class share moves (computed on the
    full result; figures the policy hides are blank)."""
    full = _full(key, _result.rules)
    table = _sensitivity(full.enterprises, full.rules.evaluation, full.year_end)
    return _result.access.mask_frame(table) if _result.access is not None else table


@st.cache_data(show_spinner="正在生成文件…", max_entries=12)
def export_bytes(key: Key, suffix: str, _result: Result) -> bytes:  # noqa: ARG001
    """The (masked) result written by ``lcgis.views.report.write`` as .xlsx, .gpkg or .csv, as
    bytes; keyed by the result key, which holds the policy."""
    with tempfile.TemporaryDirectory(prefix="lcgis-export-") as tmp:
        out = report.write(_result, Path(tmp) / f"result{suffix}")
        return out.read_bytes()


def select_parcel(parcel_id: str | None) -> None:
    """Make ``parcel_id`` the selected parcel (None clears the selection)."""
    st.session_state[SELECTED] = parcel_id


def selected_parcel(ctx: Context) -> str | None:
    """The selected parcel id, if it exists in the current result."""
    pid = st.session_state.get(SELECTED)
    if pid is None:
        return None
    ids = ctx.result.parcels["parcel_id"].astype(str)
    return str(pid) if (ids == str(pid)).any() else None


def setdefault(name: str, value: Any) -> Any:
    """``st.session_state.setdefault`` that returns the value."""
    return st.session_state.setdefault(name, value)
