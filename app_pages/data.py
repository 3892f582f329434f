"""数据: the current dataset, upload and check another one, switch to it, download results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from lcgis.data.crs import crs_name
from lcgis.vocab import LAYER_LABELS
from ui import auth, render, settings, state, uploads

st.title("数据")
state.init_session()
current = str(st.session_state[state.DATA_DIR])


def _use(folder: str) -> None:
    state.switch_dataset(folder)
    st.session_state.pop("map_hits", None)
    st.session_state.pop("map_focus", None)


# --- the current dataset -----------------------------------------------------------------------
st.subheader("当前数据")
st.markdown(f"数据：{render.md(state.dataset_label(current))}")
if Path(current).is_dir():
    ds = state.dataset(current, state.files_stamp(current))
    files = pd.DataFrame(
        [
            (LAYER_LABELS.get(layer, layer), uploads.safe_label(p.name), p.stat().st_size / 1024)
            for layer, p in ds.files.items()
            if p.exists()
        ],
        columns=["图层", "文件", "大小(KB)"],
    )
    # the evaluation's report (reading and evaluation stages), the same as the workbook's
    ctx = None if ds.report.has_errors else state.context()
    quality = ds.report if ctx is None else ctx.result.report
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("宗地(宗)", f"{len(ds.parcels):,}")
    c2.metric("企业年度记录(条)", f"{0 if ds.enterprises is None else len(ds.enterprises):,}")
    c3.metric("错误(个)", f"{len(quality.errors):,}")
    c4.metric("警告(个)", f"{len(quality.warnings):,}")
    st.caption(f"工作坐标系：{crs_name(ds.crs)}(面积在此投影中量算)")
    st.dataframe(
        files,
        hide_index=True,
        width="stretch",
        column_config={"大小(KB)": st.column_config.NumberColumn(format="%,.1f")},
    )
    with st.expander(f"数据检查报告(错误 {len(quality.errors)}，警告 {len(quality.warnings)})"):
        render.table(quality.to_frame(), key="data_report")
    if ctx is not None:
        st.markdown("**下载当前评价结果**")
        d1, d2 = st.columns(2)
        d1.download_button(
            "下载 GeoPackage(.gpkg：宗地、企业、片区图层)",
            data=state.export_bytes(ctx.key, ".gpkg", _result=ctx.result),
            file_name=f"评价结果_{ctx.year or ''}.gpkg",
            mime="application/geopackage+sqlite3",
            key="data_dl_gpkg",
            icon=":material/download:",
        )
        d2.download_button(
            "下载 Excel 工作簿(.xlsx)",
            data=state.export_bytes(ctx.key, ".xlsx", _result=ctx.result),
            file_name=f"评价结果_{ctx.year or ''}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="data_dl_xlsx",
            icon=":material/download:",
        )
else:
    st.error("找不到这个数据目录。请上传数据，或改回内置示意数据。")
if not auth.can_import():
    st.subheader("上传数据")
    st.info("上传或切换数据需要管理员权限，请在左侧边栏以管理员身份登录。")
    st.stop()
if current != state.initial_data_dir():
    st.button(
        "改回默认数据",
        on_click=_use,
        args=(state.initial_data_dir(),),
        key="data_reset",
    )

# --- upload ------------------------------------------------------------------------------------
st.subheader("上传数据")
st.markdown(
    "上传整个数据目录的 **zip 压缩包**(内含 `parcels/` 子目录，见数据约定)，或**逐个上传文件**："
    "文件名表明图层，如 宗地/parcels、建筑/buildings、企业/enterprises、用地关系/occupancy、"
    "片区/zones，Shapefile 请连同 .shx/.dbf/.prj 一起上传。上传的数据先检查，确认无误后才会使用；"
    "文件只保存在本次会话的临时目录中，会话结束后删除"
    f"(每个文件不超过 {settings.max_upload_mb()} MB，"
    f"本次会话共可上传 {settings.current().session_quota_mb:,.0f} MB)。"
)
ups = st.file_uploader(
    "选择文件",
    accept_multiple_files=True,
    type=[
        "zip",
        "gpkg",
        "shp",
        "shx",
        "dbf",
        "prj",
        "cpg",
        "geojson",
        "json",
        "fgb",
        "parquet",
        "kml",
        "csv",
        "xlsx",
        "toml",
    ],
    key="data_upload",
    max_upload_size=settings.max_upload_mb(),
)
if ups:
    sig = "|".join(f"{u.name}:{u.size}:{u.file_id}" for u in ups)
    if st.session_state.get("data_upload_sig") != sig:
        n = int(st.session_state.get("data_upload_n", 0)) + 1
        st.session_state["data_upload_n"] = n
        dest = state.session_dir() / "uploads" / f"{n:03d}"
        st.session_state["data_upload_sig"] = sig
        try:
            for u in ups:
                uploads.check_upload(
                    u.name, u.size, max_bytes=settings.max_upload_mb() * 1024**2, room=2**62
                )
            placed = uploads.place(
                [(u.name, u.getvalue()) for u in ups], dest, limit=state.upload_room()
            )
        except uploads.UploadRefused as exc:
            uploads.remove(dest)
            st.session_state["data_upload_root"] = None
            st.session_state["data_upload_refused"] = str(exc)
        else:
            st.session_state["data_upload_root"] = str(placed.root)
            st.session_state["data_upload_unknown"] = placed.unknown + placed.skipped
    if not st.session_state.get("data_upload_root"):
        st.error(render.md(st.session_state.get("data_upload_refused", "上传失败。")))
        st.stop()
    root = str(st.session_state["data_upload_root"])
    unknown = st.session_state.get("data_upload_unknown", [])
    if unknown:
        st.warning(
            "以下文件无法识别所属图层，未使用：" + "、".join(uploads.safe_label(u) for u in unknown)
        )
    up = state.dataset(root, state.files_stamp(root))
    st.markdown("**上传数据检查报告**")
    r1, r2, r3 = st.columns(3)
    r1.metric("宗地(宗)", f"{len(up.parcels):,}")
    r2.metric("错误(个)", f"{len(up.report.errors):,}")
    r3.metric("警告(个)", f"{len(up.report.warnings):,}")
    report = up.report.to_frame()
    if report.empty:
        st.success("检查通过，没有错误或警告。")
    else:
        st.dataframe(report, hide_index=True, width="stretch", key="data_upload_report")
    if up.report.has_errors:
        st.error("上传的数据有错误，不能使用。请按报告修改后重新上传。")
    else:
        st.button(
            "使用此数据",
            type="primary",
            on_click=_use,
            args=(root,),
            key="data_use",
            disabled=root == current,
        )
        if root == current:
            st.success("正在使用这份上传的数据。")
