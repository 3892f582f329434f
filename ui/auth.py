"""Login: who is using the app, and what they may see and change.

* Users, roles and passwords live in the review store of the current dataset (see
  :mod:`lcgis.review`; env ``LCGIS_DATABASE_URL`` chooses another database).  There are no
  default users: the first admin is created with ``python -m lcgis users add 名字 --role admin``.
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
from pathlib import Path

import streamlit as st
from sqlalchemy.engine import make_url

from lcgis import access, review
from lcgis.errors import LcgisError

from . import render, state

GUEST = "访客"


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
    """URL of the current dataset's store (env ``LCGIS_DATABASE_URL`` wins)."""
    return review.resolve_database_url(data_dir=data_dir())


def _missing_sqlite(url: str) -> bool:
    """A SQLite URL whose database file does not exist (yet)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    db = parsed.database or ""
    return db in ("", ":memory:") or not Path(db).exists()


def store() -> review.ReviewStore | None:
    """The current dataset's store; None when it does not exist yet (nothing is created) or
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


def current_user() -> review.User | None:
    """The logged-in user (None: nobody; on the demo that is a guest).

    While the current store is the one the user logged in to, the user's role is re-read
    from it on every run, so a changed role or a removed user takes effect at once.
    """
    ss = st.session_state
    user = ss.get(state.USER)
    if not isinstance(user, review.User):
        return None
    if ss.get(state.USER_STORE) == store_url():
        s = store()
        fresh = s.get_user(user.name) if s is not None else None
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


def logout() -> None:
    st.session_state.pop(state.USER, None)
    st.session_state.pop(state.USER_STORE, None)


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
    where = ""
    if not os.environ.get("LCGIS_DATABASE_URL"):
        cmd += " --data 数据目录"  # the server's folder is never shown in the browser
        where = "(“数据目录”换成该数据集在服务器上的文件夹)"
    st.info(f"还没有任何用户(系统不设默认密码)。请在服务器上用以下命令创建第一位管理员{where}：")
    st.code(cmd, language="bash")


def login_form(key: str) -> None:
    """User name + password, checked with the store's ``authenticate``."""
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
        name = st.text_input("用户名", key=f"{key}_name")
        password = st.text_input("密码", type="password", key=f"{key}_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            user = s.authenticate(name.strip(), password)
        except LcgisError as exc:
            st.error(f"登录失败：{render.message(exc)}")
            return
        if user is None:
            st.error("用户名或密码错误。")
            return
        login(user, store_url())
        st.rerun()


def gate() -> None:
    """Before anything is shown: on a dataset other than the demo, only the login form
    until someone logs in."""
    if current_user() is not None or is_demo():
        return
    st.title("登录")
    st.markdown(f"数据：{render.md(state.dataset_label(data_dir()))}")
    st.caption("当前数据不是内置示意数据，请先登录。")
    login_form("login_main")
    st.stop()


def user_box() -> None:
    """Sidebar: who is logged in and a logout button, or the guest's login."""
    user = current_user()
    if user is not None:
        label = review.ROLE_LABELS.get(user.role, user.role)
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        c1.markdown(f"**{render.md(user.name)}**({render.md(label)})")
        c2.button("退出登录", key="auth_logout", on_click=logout)
        return
    st.caption(f"{GUEST}：只读查看内置示意数据，修改需登录。")
    with st.expander("登录", expanded=False):
        login_form("login_side")
