"""The committee's app: ``streamlit run app.py``.

Page set-up, the sidebar (dataset folder, year, rules file, evaluation date) and the screens.
A screen is one file in ``app_pages/``; to add one, add a line to ``SCREENS``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from ui import auth, state

#: (file, title, icon) of every screen, in menu order.  The first one opens by default.
SCREENS: list[tuple[str, str, str]] = [
    ("app_pages/overview.py", "总览", ":material/dashboard:"),
    ("app_pages/map.py", "地图", ":material/map:"),
    ("app_pages/enterprises.py", "企业", ":material/factory:"),
    ("app_pages/candidates.py", "候选", ":material/swap_horiz:"),
    ("app_pages/review.py", "审核", ":material/fact_check:"),
    ("app_pages/relocation.py", "搬迁规划", ":material/move_down:"),
    ("app_pages/data.py", "数据", ":material/database:"),
]


def _save_rules_upload() -> None:
    upload = st.session_state.get(state.W_RULES_UPLOAD)
    if upload is None:
        st.session_state[state.RULES_FILE] = ""
        return
    path = state.session_dir() / "rules" / Path(upload.name).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.getvalue())
    st.session_state[state.RULES_FILE] = str(path)


def sidebar() -> None:
    """Dataset folder, year, rules and date: shared by every screen.

    Each widget starts from the session's value (``value=``/``index=``) and writes its answer
    back; its key changes when the app itself changes the value (see ui.state).
    """
    state.init_session()
    ss = st.session_state
    with st.sidebar:
        st.markdown("### 鲤城高新区 用地效益评价")
        auth.user_box()
        folder = st.text_input(
            "数据目录",
            value=ss[state.DATA_DIR],
            key=state.widget_key(state.W_DATA_DIR),
            help="数据集所在文件夹(含 parcels/ 子目录)。默认是内置示意数据；"
            "也可用环境变量 LCGIS_DATA_DIR 指定，或在“数据”页上传。切换数据需管理员登录。",
            disabled=not auth.can_import(),
        )
        ss[state.DATA_DIR] = folder.strip() or state.initial_data_dir()
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
        ss[state.RULES_PATH] = st.text_input(
            "规则文件(TOML，留空用默认规则)",
            value=ss[state.RULES_PATH],
            key=state.W_RULES_PATH,
            help="逐键覆盖 lcgis/rules/default.toml；也可用环境变量 LCGIS_RULES 指定。",
        )
        st.file_uploader(
            "或上传规则文件",
            type=["toml"],
            key=state.W_RULES_UPLOAD,
            on_change=_save_rules_upload,
        )
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
        _rules, label = state.current_rules()
        error = ss.pop("lcgis_rules_error", None)
        if error:
            st.error(f"规则文件有误，已改用默认规则：{error}")
        st.caption(f"规则：{label}")


def main() -> None:
    st.set_page_config(
        page_title="鲤城高新区 用地效益评价",
        page_icon="🗺️",
        layout="wide",
    )
    auth.gate()  # on a dataset other than the demo: only the login form until logged in
    pages = [
        st.Page(file, title=title, icon=icon, default=(i == 0))
        for i, (file, title, icon) in enumerate(SCREENS)
    ]
    nav = st.navigation(pages)
    sidebar()
    nav.run()


main()
