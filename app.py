"""The committee's app: ``streamlit run app.py``.

Page set-up, the sidebar (dataset, year, rules file, evaluation date: :mod:`ui.sidebar`)
and the screens.  A screen is one file in ``app_pages/``; to add one, add a line to
``SCREENS``.  An unexpected error shows a Chinese message; its traceback goes to the server
log only.
"""

from __future__ import annotations

import logging

import streamlit as st

from ui import auth, sidebar, state

log = logging.getLogger("lcgis.app")

#: (file, title, icon) of every screen, in menu order.  The first one opens by default.
SCREENS: list[tuple[str, str, str]] = [
    ("app_pages/overview.py", "总览", ":material/dashboard:"),
    ("app_pages/targets.py", "规划", ":material/flag:"),
    ("app_pages/map.py", "地图", ":material/map:"),
    ("app_pages/enterprises.py", "企业", ":material/factory:"),
    ("app_pages/candidates.py", "候选", ":material/swap_horiz:"),
    ("app_pages/review.py", "审核", ":material/fact_check:"),
    ("app_pages/relocation.py", "搬迁规划", ":material/move_down:"),
    ("app_pages/data.py", "数据", ":material/database:"),
]


def main() -> None:
    st.set_page_config(
        page_title="鲤城高新区 用地效益评价",
        page_icon="🗺️",
        layout="wide",
    )
    try:
        auth.gate()  # on a dataset other than the demo: only the login form until logged in
        pages = [
            st.Page(file, title=title, icon=icon, default=(i == 0))
            for i, (file, title, icon) in enumerate(SCREENS)
        ]
        nav = st.navigation(pages)
        sidebar.sidebar()
        state.illustrative_banner()
        nav.run()
    except Exception:  # st.stop and st.rerun are not Exceptions: they pass
        log.exception("unexpected error in the app")
        st.error("程序内部出错，详细信息已记入服务器日志。请刷新页面重试；如仍出错，请联系管理员。")


main()
