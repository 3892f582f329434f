"""Sections of the 数据 screen: the current dataset (files, checks, downloads), the upload
(kept in this session's folder, checked before use) and the switch to another dataset."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from lcgis.data.crs import crs_name
from lcgis.engine.pipeline import check
from lcgis.views import tables

from . import keys, render, settings, state, uploads, wizard

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

#: File types the dataset uploader takes.
UPLOAD_TYPES = [
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
]


def use(folder: str) -> None:
    """Switch to ``folder`` (a callback): what depends on the dataset is reset."""
    state.switch_dataset(folder)


def current_dataset(current: str) -> None:
    """当前数据: counts, the quality report of reading and evaluation, the files and the
    downloads of the evaluation (when it has no errors)."""
    st.subheader("当前数据")
    st.markdown(f"数据：{render.md(state.dataset_label(current))}")
    if not Path(current).is_dir():
        st.error("找不到这个数据目录。请上传数据，或改回内置示意数据。")
        return
    ds = state.dataset(current, state.files_stamp(current))
    files = tables.files_table(ds.files, uploads.safe_label)
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
        render.table(quality.to_frame(), key=keys.DATA_REPORT)
    if ctx is not None:
        downloads(ctx)


def downloads(ctx: state.Context) -> None:
    """The evaluation as GeoPackage and as workbook."""
    st.markdown("**下载当前评价结果**")
    d1, d2 = st.columns(2)
    d1.download_button(
        "下载 GeoPackage(.gpkg：宗地、企业、片区图层)",
        data=state.export_bytes(ctx.key, ".gpkg", _result=ctx.result),
        file_name=f"评价结果_{ctx.year or ''}.gpkg",
        mime="application/geopackage+sqlite3",
        key=keys.DATA_DL_GPKG,
        icon=":material/download:",
    )
    d2.download_button(
        "下载 Excel 工作簿(.xlsx)",
        data=state.export_bytes(ctx.key, ".xlsx", _result=ctx.result),
        file_name=f"评价结果_{ctx.year or ''}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=keys.DATA_DL_XLSX,
        icon=":material/download:",
    )


def reset_button(current: str) -> None:
    """改回默认数据 (when another dataset is open)."""
    if current != state.initial_data_dir():
        st.button(
            "改回默认数据", on_click=use, args=(state.initial_data_dir(),), key=keys.DATA_RESET
        )


def upload_intro() -> None:
    st.subheader("上传数据")
    st.markdown(
        "上传**手头的文件**(文件名不限：宗地图 Shapefile 连同 .shx/.dbf/.prj、GeoPackage、"
        "GeoJSON、税务局的 Excel/CSV，或它们的 zip 压缩包)，按向导逐步确认图层、字段与单位、"
        "取值和坐标系；或上传整个数据目录的 **zip 压缩包**(内含 `parcels/` 子目录，见数据约定)。"
        "上传的数据先检查，确认无误后才会使用；"
        "文件只保存在本次会话的临时目录中，会话结束后删除"
        f"(每个文件不超过 {settings.max_upload_mb()} MB，"
        f"本次会话共可上传 {settings.current().session_quota_mb:,.0f} MB)。"
    )


def _place(ups: list[UploadedFile]) -> None:
    """Check and place new uploaded files in a numbered folder of the session (once per set
    of files): a whole data folder as it is, other files raw for the import wizard; remember
    the folder (and which of the two), or why the upload was refused."""
    ss = st.session_state
    sig = "|".join(f"{u.name}:{u.size}:{u.file_id}" for u in ups)
    if ss.get(keys.DATA_UPLOAD_SIG) == sig:
        return
    n = int(ss.get(keys.DATA_UPLOAD_N, 0)) + 1
    ss[keys.DATA_UPLOAD_N] = n
    dest = state.session_dir() / "uploads" / f"{n:03d}"
    ss[keys.DATA_UPLOAD_SIG] = sig
    max_bytes = settings.max_upload_mb() * 1024**2
    files = [(u.name, u.getvalue()) for u in ups]
    try:
        for u in ups:
            uploads.check_upload(u.name, u.size, max_bytes=max_bytes, room=2**62)
        if uploads.is_data_folder(files):
            placed = uploads.place(files, dest, limit=state.upload_room())
            ss[keys.DATA_UPLOAD_ROOT] = str(placed.root)
            ss[keys.DATA_UPLOAD_UNKNOWN] = placed.unknown + placed.skipped
            ss[keys.DATA_UPLOAD_RAW] = None
        else:
            ss[keys.DATA_UPLOAD_RAW] = str(uploads.place_raw(files, dest, state.upload_room()))
            ss[keys.DATA_UPLOAD_ROOT] = str(dest)
            ss[keys.WIZ_STEP] = 1
    except uploads.UploadRefused as exc:
        uploads.remove(dest)
        ss[keys.DATA_UPLOAD_ROOT] = None
        ss[keys.DATA_UPLOAD_REFUSED] = str(exc)


def upload(current: str) -> None:
    """The uploader; an upload's check report and, when it has no errors, 使用此数据."""
    ups = st.file_uploader(
        "选择文件",
        accept_multiple_files=True,
        type=UPLOAD_TYPES,
        key=keys.DATA_UPLOAD,
        max_upload_size=settings.max_upload_mb(),
    )
    if not ups:
        return
    ss = st.session_state
    _place(list(ups))
    if not ss.get(keys.DATA_UPLOAD_ROOT):
        st.error(render.md(ss.get(keys.DATA_UPLOAD_REFUSED, "上传失败。")))
        st.stop()
    if ss.get(keys.DATA_UPLOAD_RAW):
        wizard.wizard(Path(ss[keys.DATA_UPLOAD_RAW]))
        return
    root = str(ss[keys.DATA_UPLOAD_ROOT])
    unknown = ss.get(keys.DATA_UPLOAD_UNKNOWN, [])
    if unknown:
        st.warning(
            "以下文件无法识别所属图层，未使用：" + "、".join(uploads.safe_label(u) for u in unknown)
        )
    up = state.dataset(root, state.files_stamp(root))
    checked = check(up, state.current_rules()[0])
    st.markdown("**上传数据检查报告**(与命令行 `python -m lcgis validate` 相同)")
    r1, r2, r3 = st.columns(3)
    r1.metric("宗地(宗)", f"{len(up.parcels):,}")
    r2.metric("错误(个)", f"{len(checked.errors):,}")
    r3.metric("警告(个)", f"{len(checked.warnings):,}")
    report = checked.to_frame()
    if report.empty:
        st.success("检查通过，没有错误或警告。")
    else:
        st.dataframe(report, hide_index=True, width="stretch", key=keys.DATA_UPLOAD_REPORT)
    if checked.has_errors:
        st.error("上传的数据有错误，不能使用。请按报告修改后重新上传。")
        return
    st.button(
        "使用此数据",
        type="primary",
        on_click=use,
        args=(root,),
        key=keys.DATA_USE,
        disabled=root == current,
    )
    if root == current:
        st.success("正在使用这份上传的数据。")
