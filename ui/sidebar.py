"""The sidebar shared by every screen: dataset, year, rules file and evaluation date.

The sidebar never takes a server path: datasets and rules files are chosen from the lists
the operator configured (:mod:`ui.settings`) or uploaded by an admin.  Choosing another
dataset resets what depends on it (:func:`ui.keys.reset_dataset_dependent`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from lcgis.rules import MAX_RULES_BYTES

from . import auth, keys, settings, state, uploads


def save_rules_upload() -> None:
    """Keep an admin's uploaded rules file in the session folder (size-checked first)."""
    upload = st.session_state.get(state.W_RULES_UPLOAD)
    st.session_state[state.RULES_FILE] = ""
    if upload is None or not auth.can_import():
        return
    try:
        uploads.check_upload(
            upload.name,
            upload.size,
            max_bytes=min(MAX_RULES_BYTES, settings.max_upload_mb() * 1024**2),
            room=state.upload_room(),
        )
    except uploads.UploadRefused as exc:
        st.session_state[keys.RULES_ERROR] = str(exc)
        return
    path = state.session_dir() / "rules" / uploads.safe_filename(upload.name, ".toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.getvalue())
    st.session_state[state.RULES_FILE] = str(path)


def _same_folder(a: str, b: str) -> bool:
    """Whether two spellings name the same folder."""
    try:
        return a == b or Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def dataset_choice() -> str:
    """The dataset: one of the configured ones (or this session's upload); admins switch."""
    ss = st.session_state
    cfg = settings.current()
    current = str(ss[state.DATA_DIR])
    if cfg.dataset(current) is None and not auth.can_import():
        keys.reset_dataset_dependent()  # e.g. an admin logged out on an uploaded dataset
        current = ss[state.DATA_DIR] = state.initial_data_dir()  # only admins leave the list
    labels = {c.path: c.label for c in cfg.datasets}
    found = cfg.dataset(current)
    if found is not None:
        current = found.path
    else:
        labels[current] = state.dataset_label(current)
    options = list(labels)
    return str(
        st.selectbox(
            "数据",
            options,
            index=options.index(current),
            format_func=labels.__getitem__,
            key=state.widget_key(state.W_DATA_DIR),
            help="可选的数据集由服务器配置；管理员也可在“数据”页上传。切换数据需管理员登录。",
            disabled=not auth.can_import(),
        )
    )


def rules_choice() -> None:
    """The rules: the default, a configured file, or (admins) an uploaded one."""
    ss = st.session_state
    cfg = settings.current()
    chosen = cfg.rules_file(str(ss.get(state.RULES_PATH) or "")) or cfg.rules[0]
    labels = {c.path: c.label for c in cfg.rules}
    options = list(labels)
    ss[state.RULES_PATH] = st.selectbox(
        "规则",
        options,
        index=options.index(chosen.path),
        format_func=labels.__getitem__,
        key=state.W_RULES_PATH,
        help="默认规则见 lcgis/rules/default.toml；其他规则文件由服务器配置，管理员也可上传。",
        disabled=bool(ss.get(state.RULES_FILE)),
    )
    if auth.can_import():
        st.file_uploader(
            "或上传规则文件(管理员)",
            type=["toml"],
            key=state.W_RULES_UPLOAD,
            on_change=save_rules_upload,
            max_upload_size=max(1, MAX_RULES_BYTES // 1024**2),
        )
    elif ss.get(state.RULES_FILE):
        ss[state.RULES_FILE] = ""  # an admin's upload is not kept after logging out


def sidebar() -> None:
    """Dataset, year, rules and date: shared by every screen.

    Each widget starts from the session's value (``value=``/``index=``) and writes its answer
    back; its key changes when the app itself changes the value (see ui.state).
    """
    state.init_session()
    state.sweep_uploads()
    ss = st.session_state
    with st.sidebar:
        st.markdown("### 鲤城高新区 用地效益评价")
        auth.user_box()
        cfg_error = settings.current().error
        if cfg_error and auth.can_import():
            st.warning(cfg_error)
        folder = dataset_choice()
        if not _same_folder(folder, str(ss[state.DATA_DIR])):  # an admin picked another one
            keys.reset_dataset_dependent()
        ss[state.DATA_DIR] = folder
        data_dir = str(ss[state.DATA_DIR])
        years = state.years_of(data_dir) if Path(data_dir).is_dir() else []
        if years:
            want = ss.get(state.YEAR)
            ss[state.YEAR] = st.selectbox(
                "评价年度",
                years,
                index=years.index(want) if want in years else len(years) - 1,
                key=state.year_key(data_dir),
                format_func=lambda y: f"{y} 年",
            )
        else:
            ss[state.YEAR] = None
        rules_choice()
        default = state.year_end(ss[state.YEAR])
        chosen = st.date_input(
            "评价基准日",
            value=ss.get(state.AS_OF) or default,
            key=state.as_of_key(ss[state.YEAR]),
            min_value=dt.date(2000, 1, 1),
            max_value=dt.date(2100, 12, 31),
            help="默认为评价年度的12月31日；企业总按当年12月31日评价，"
            "改变基准日只影响闲置土地、在建等年限的计算",
        )
        ss[state.AS_OF] = None if chosen == default else chosen
        keys.follow_evaluation((ss[state.YEAR], ss[state.AS_OF], state.rules_path()))
        _rules, label = state.current_rules()
        error = ss.pop(keys.RULES_ERROR, None)
        if error:
            st.error(f"规则文件有误，已改用默认规则：{error}")
        st.caption(f"规则：{label}")
