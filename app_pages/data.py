"""数据: the current dataset, upload and check another one, switch to it, download results."""

from __future__ import annotations

import streamlit as st

from ui import auth, datapanel, state

st.title("数据")
state.init_session()
current = str(st.session_state[state.DATA_DIR])

datapanel.current_dataset(current)
if not auth.can_import():
    st.subheader("上传数据")
    st.info("上传或切换数据需要管理员权限，请在左侧边栏以管理员身份登录。")
    st.stop()
datapanel.reset_button(current)
datapanel.upload_intro()
datapanel.upload(current)
