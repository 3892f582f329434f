"""Login: who is using the app, and what they may see and change.

* Users, roles and passwords live in the installation's review store (see :mod:`lcgis.review.store`:
  ``review.sqlite`` in the state folder, env ``LCGIS_STATE_DIR``; env ``LCGIS_DATABASE_URL``
  chooses another database), not in a dataset: switching datasets keeps the login, and the
  reviews are kept per dataset (:func:`dataset_id`).  There are no default users: the first
  admin is created with ``python -m lcgis users add 名字 --role admin``.
* The role is re-read from the store on every run (a changed role or a removed user takes
  effect at once); a session idle for longer than env ``LCGIS_SESSION_IDLE_MINUTES`` (default
  30) is logged out.
* Logins are throttled by the store per user name and per client (:func:`client_id`: the
  address of the browser's connection, ``st.context.ip_address``; behind a reverse proxy, the
  header named by env ``LCGIS_CLIENT_IP_HEADER``, e.g. ``X-Real-IP``, as set by that proxy).
* The embedded demo dataset (the repository's ``data/``, illustrative figures) may be viewed
  without login, as a guest (read only, confidential figures masked).  Any other dataset
  shows only the login form until someone logs in.
* What each role sees is :mod:`lcgis.access`'s policy, applied to the result itself
  (:func:`ui.state.context`): guests and viewers never get tax and other confidential
  enterprise figures; reviewers and admins change reviews; only admins import or switch
  datasets.
* Merely looking never creates a database: a SQLite store that does not exist yet is read as
  empty (no users, no reviews).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from sqlalchemy.engine import make_url

from lcgis import access, review
from lcgis.errors import LcgisError

from . import keys, render, state

if TYPE_CHECKING:
    from collections.abc import Mapping

GUEST = "访客"
IDLE_MINUTES_DEFAULT = 30.0
NOTICE = keys.AUTH_NOTICE  # a message for the login form, shown once (e.g. idle logout)


# --- the store -------------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _open(url: str) -> review.ReviewStore:
    """The store at ``url`` (opened once per URL, shared by the sessions)."""
    return review.ReviewStore(url)


def data_dir() -> str:
    """The current dataset folder."""
    state.init_session()
    return str(st.session_state[state.DATA_DIR])


def store_url() -> str:
    """URL of the installation's store (env ``LCGIS_DATABASE_URL``, else the state folder)."""
    return review.resolve_database_url()


def dataset_id() -> str:
    """The id under which the current dataset's reviews are kept (see
    :func:`lcgis.review.store.dataset_id`); raises :class:`~lcgis.errors.DataError` for a bad
    ``dataset.toml``."""
    return review.dataset_id(data_dir())


def _missing_sqlite(url: str) -> bool:
    """A SQLite URL whose database file does not exist (yet)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    db = parsed.database or ""
    return db in ("", ":memory:") or not Path(db).exists()


def store() -> review.ReviewStore | None:
    """The installation's store; None when it does not exist yet (nothing is created) or
    cannot be opened (the reason is shown)."""
    return store_at(store_url())


def store_at(url: str) -> review.ReviewStore | None:
    """The store at ``url``; None when it is a SQLite file that does not exist yet, or when
    it cannot be opened (the reason is shown)."""
    if _missing_sqlite(url):
        return None
    try:
        return _open(url)
    except LcgisError as exc:
        st.error(f"无法打开核查数据库：{render.message(exc)}")
        return None


def last_seq(s: review.ReviewStore | None) -> int:
    """The seq of the store's newest history entry (0: none); changes with every change."""
    if s is None:
        return 0
    last = s.history(limit=1)
    return last[-1].seq if last else 0


# --- who -------------------------------------------------------------------------------------


def is_demo(folder: str | None = None) -> bool:
    """Whether ``folder`` (default: the current one) is the embedded demo dataset."""
    try:
        return Path(folder or data_dir()).resolve() == state.DEFAULT_DATA_DIR.resolve()
    except OSError:
        return False


def idle_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """Seconds of inactivity after which a session is logged out (env
    ``LCGIS_SESSION_IDLE_MINUTES``, default 30; a bad value means the default).

    >>> idle_timeout_s({}), idle_timeout_s({"LCGIS_SESSION_IDLE_MINUTES": "5"})
    (1800.0, 300.0)
    """
    env = os.environ if environ is None else environ
    try:
        minutes = float(env.get("LCGIS_SESSION_IDLE_MINUTES") or IDLE_MINUTES_DEFAULT)
    except ValueError:
        minutes = IDLE_MINUTES_DEFAULT
    return 60.0 * (minutes if minutes > 0 else IDLE_MINUTES_DEFAULT)


def current_user() -> review.User | None:
    """The logged-in user (None: nobody; on the demo that is a guest).

    On every run: a session idle for longer than :func:`idle_timeout_s` is logged out, and
    the user's role is re-read from the store they logged in to (a changed role or a removed
    user takes effect at once; a store that changed or vanished logs them out).
    """
    ss = st.session_state
    user = ss.get(state.USER)
    if not isinstance(user, review.User):
        return None
    now = time.time()
    last = ss.get(state.LAST_ACTIVE)
    if isinstance(last, int | float) and now - last > idle_timeout_s():
        logout()
        minutes = round(idle_timeout_s() / 60)
        ss[NOTICE] = f"已超过 {minutes} 分钟未操作，为安全起见已自动退出登录，请重新登录。"
        return None
    ss[state.LAST_ACTIVE] = now
    url = store_url()
    if ss.get(state.USER_STORE, url) != url:
        logout()
        return None
    s = store()
    try:
        fresh = s.get_user(user.name) if s is not None else None
    except LcgisError:
        fresh = None
    if fresh is None:
        logout()
        return None
    if fresh != user:
        ss[state.USER] = user = fresh
    return user


def role() -> str:
    """The current role: the user's, else ``guest`` (see :data:`lcgis.access.ROLES`)."""
    user = current_user()
    return user.role if user is not None else "guest"


def can_import() -> bool:
    """Only admins upload or switch datasets."""
    user = current_user()
    return user is not None and user.is_admin


def login(user: review.User, url: str) -> None:
    st.session_state[state.USER] = user
    st.session_state[state.USER_STORE] = url
    st.session_state[state.LAST_ACTIVE] = time.time()


def logout() -> None:
    st.session_state.pop(state.USER, None)
    st.session_state.pop(state.USER_STORE, None)
    st.session_state.pop(state.LAST_ACTIVE, None)


def client_from(ip: object, headers: Mapping[str, str] | None, header: str | None = None) -> str:
    """Who is logging in, for the per-client back-off: the last address in ``header`` (set
    by a trusted reverse proxy) when it is named and present, else the connection's ``ip``,
    else ``本机`` (a browser on the server itself, where Streamlit gives no address).

    >>> client_from("10.1.2.3", {})
    '10.1.2.3'
    >>> client_from("10.0.0.1", {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}, "X-Forwarded-For")
    '5.6.7.8'
    >>> client_from(None, {})
    '本机'
    """
    if header and headers:
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        value = lowered.get(header.lower(), "")
        last = value.split(",")[-1].strip()
        if last:
            return last[:100]
    if isinstance(ip, str) and ip.strip():
        return ip.strip()[:100]
    return "本机"


def client_id() -> str:
    """This browser's client for the back-off (see :func:`client_from`)."""
    try:
        ip: object = st.context.ip_address
        headers: Mapping[str, str] = dict(st.context.headers)
    except Exception:  # no script run context (bare mode)
        ip, headers = None, {}
    return client_from(ip, headers, os.environ.get("LCGIS_CLIENT_IP_HEADER"))


# --- what the user sees ----------------------------------------------------------------------


def sees_all() -> bool:
    """Whether the user sees confidential figures (reviewers and admins)."""
    return role() in access.FULL_ACCESS


def confidential_note() -> None:
    """A caption saying that confidential figures are masked (only when they are)."""
    if not sees_all():
        st.caption("税收、产值等涉密指标仅核查人员和管理员可见，登录后显示。")


# --- widgets ---------------------------------------------------------------------------------


def _first_admin_hint() -> None:
    cmd = "python -m lcgis users add 名字 --role admin"
    st.info(
        "还没有任何用户(系统不设默认密码)。请在服务器上用以下命令创建第一位管理员"
        f"(密码至少 {review.ADMIN_PASSWORD_MIN} 个字符，且不能与用户名相同)："
    )
    st.code(cmd, language="bash")


def login_form(key: str) -> None:
    """User name + password, checked with the store's ``login`` (throttled per user name and
    per client; the same message for an unknown name and a wrong password)."""
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(render.md(notice))
    s = store()
    try:
        has_users = s is not None and bool(s.users())
    except LcgisError as exc:
        st.error(f"无法读取用户：{render.message(exc)}")
        return
    if not has_users:
        _first_admin_hint()
        return
    assert s is not None
    with st.form(key, clear_on_submit=True):
        name = st.text_input("用户名", key=keys.sub(key, "name"))
        password = st.text_input("密码", type="password", key=keys.sub(key, "password"))
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            result = s.login(name.strip(), password, client=client_id())
        except LcgisError as exc:
            st.error(f"登录失败：{render.message(exc)}")
            return
        if result.user is None:
            st.error(f"{render.md(result.message)}。")
            return
        login(result.user, store_url())
        st.rerun()


def gate() -> None:
    """Before anything is shown: on a dataset other than the demo, only the login form
    until someone logs in."""
    if current_user() is not None or is_demo():
        return
    st.title("登录")
    st.markdown(f"数据：{render.md(state.dataset_label(data_dir()))}")
    st.caption("当前数据不是内置示意数据，请先登录。")
    login_form(keys.LOGIN_MAIN)
    st.stop()


def user_box() -> None:
    """Sidebar: who is logged in and a logout button, or the guest's login."""
    user = current_user()
    if user is not None:
        label = review.ROLE_LABELS.get(user.role, user.role)
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.markdown(f"**{render.md(user.name)}**({render.md(label)})")
        c2.button("退出登录", key=keys.LOGOUT, on_click=logout)
        return
    st.caption(f"{GUEST}：只读查看内置示意数据，修改需登录。")
    with st.expander("登录", expanded=False):
        login_form(keys.LOGIN_SIDE)
