"""The import wizard of the 数据 screen: files under their own names → layers → columns and
units → values → CRS (each candidate drawn on the basemap) → check → 使用此数据.

It edits a :class:`lcgis.data.propose.Proposal` (the same the command line's ``import``
makes) and builds the folder with :func:`lcgis.data.importer.build` and the same check, so the
screen and ``python -m lcgis import`` say the same things in the same numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from lcgis.data import importer
from lcgis.data.propose import propose
from lcgis.data.schema import FIELDS
from lcgis.engine.pipeline import check
from lcgis.views import intake, maps
from lcgis.vocab import IMPORT_HEADERS as H
from lcgis.vocab import IMPORT_STEPS, LAYER_LABELS, NOT_USED

from . import keys, mapview, render, state

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from lcgis.data.propose import InputProposal, Proposal

#: Candidates drawn side by side in the CRS step.
MAX_PREVIEWS = 3


def proposal_for(raw: Path) -> Proposal:
    """The proposal of the files in ``raw`` (made once per upload, then edited in place)."""
    ss = st.session_state
    held = ss.get(keys.WIZ_PROPOSAL)
    if held is None or held[0] != str(raw):
        with st.spinner("正在识别文件…"):
            held = (str(raw), propose(sorted(p for p in raw.iterdir() if p.is_file())))
        ss[keys.WIZ_PROPOSAL] = held
        ss[keys.WIZ_STEP] = 1
        ss.pop(keys.WIZ_OUTCOME, None)
    return held[1]


def _go(step: int) -> None:
    st.session_state[keys.WIZ_STEP] = step


def wizard(raw: Path) -> None:
    """The wizard over the uploaded files in ``raw``."""
    proposal = proposal_for(raw)
    step = int(st.session_state.get(keys.WIZ_STEP, 1))
    st.markdown(
        "　→　".join(
            f"**{i + 1}. {name}**" if i == step else f"{i + 1}. {name}"
            for i, name in enumerate(IMPORT_STEPS)
        )
    )
    _pending(proposal)
    STEPS[step](proposal, raw)
    back, ahead = st.columns(2)
    if step > 1:
        back.button("上一步", on_click=_go, args=(step - 1,), key=keys.WIZ_BACK)
    if step < len(IMPORT_STEPS) - 1:
        ahead.button("下一步", type="primary", on_click=_go, args=(step + 1,), key=keys.WIZ_NEXT)


def _pending(proposal: Proposal) -> None:
    q = proposal.questions
    if q:
        with st.expander(f"待确认的问题({len(q)} 个)", expanded=False):
            for i, text in enumerate(q, 1):
                st.markdown(f"{i}. {render.md(text)}")


def _editor(
    table: pd.DataFrame,
    base: str,
    apply: Callable[[pd.DataFrame], None],
    editable: list[str],
    config: dict[str, Any],
) -> None:
    """A data editor whose edits go to ``apply`` (then it is drawn anew from the proposal)."""
    ss = st.session_state
    version = keys.sub(base, "v")
    key = keys.sub(base, ss.get(version, 0))

    def changed() -> None:
        edited = table.copy()
        for row, cells in ss[key].get("edited_rows", {}).items():
            for col, value in cells.items():
                edited.loc[edited.index[int(row)], col] = value
        apply(edited)
        ss[version] = int(ss.get(version, 0)) + 1
        ss.pop(keys.WIZ_OUTCOME, None)

    st.data_editor(
        table,
        key=key,
        on_change=changed,
        hide_index=True,
        width="stretch",
        num_rows="fixed",
        disabled=[c for c in table.columns if c not in editable],
        column_config=config,
    )


# --- the steps -------------------------------------------------------------------------------


def _files(proposal: Proposal, raw: Path) -> None:  # step 0 is the uploader itself
    del proposal, raw


def _layers(proposal: Proposal, raw: Path) -> None:
    del raw
    st.markdown("**每个输入是哪一个图层**(按内容判断；可在“判断为”一列改选)")
    for note in proposal.notes:
        st.warning(render.md(note))
    _editor(
        intake.layer_table(proposal),
        keys.WIZ_LAYERS,
        lambda t: intake.apply_layer_table(proposal, t),
        [H["layer"]],
        {
            H["layer"]: st.column_config.SelectboxColumn(
                options=intake.layer_options(), required=True
            )
        },
    )
    used = proposal.by_layer()
    if "parcels" not in used:
        st.error("还没有宗地图层：请把含宗地图形的输入改选为“宗地”。")


def _used(proposal: Proposal) -> list[tuple[int, InputProposal]]:
    first = proposal.by_layer()
    return [(i, it) for i, it in enumerate(proposal.inputs) if it.layer and first[it.layer] is it]


def _fields(proposal: Proposal, raw: Path) -> None:
    del raw
    st.markdown("**每个字段取文件中的哪一列、单位是什么**(金额以万元、面积以平方米计算)")
    for i, item in _used(proposal):
        with st.expander(f"{LAYER_LABELS[item.layer or '']}：{item.file}", expanded=True):
            options = [NOT_USED, *item.input_columns()]
            _editor(
                intake.field_table(item),
                keys.sub(keys.WIZ_FIELDS, i),
                lambda t, it=item: intake.apply_field_table(it, t),  # type: ignore[misc]
                [H["column"], H["unit"]],
                {
                    H["column"]: st.column_config.SelectboxColumn(options=options, required=True),
                    H["unit"]: st.column_config.SelectboxColumn(
                        options=intake.unit_options(), required=True
                    ),
                },
            )
            left = item.unmapped()
            if left:
                st.caption(
                    f"未对应到字段的列({len(left)} 列)不参与计算，作为附加属性保留："
                    + render.md("、".join(left[:30]))
                    + (" 等" if len(left) > 30 else "")
                )


def _values(proposal: Proposal, raw: Path) -> None:
    del raw
    st.markdown("**文件中的取值对应哪一个标准取值**")
    shown = False
    for i, item in _used(proposal):
        for name in item.enum_fields():
            shown = True
            st.markdown(
                f"{LAYER_LABELS[item.layer or '']} · {FIELDS[item.layer or ''][name].label}"
                f"(列 {render.md(item.columns[name].column)})"
            )
            _editor(
                intake.value_table(item, name),
                keys.sub(keys.WIZ_VALUES, i, name),
                lambda t, it=item, n=name: intake.apply_value_table(it, n, t),  # type: ignore[misc]
                [H["code"]],
                {
                    H["code"]: st.column_config.SelectboxColumn(
                        options=intake.value_options(item, name), required=True
                    )
                },
            )
    if not shown:
        st.info("没有需要对应取值的字段(如建设状态、用地性质、是否标准厂房)。")


def _crs(proposal: Proposal, raw: Path) -> None:
    del raw
    undeclared = [(i, it) for i, it in _used(proposal) if it.undeclared]
    if not undeclared:
        st.success("每个图层的文件都声明了坐标系。")
        return
    basemap = mapview.default_basemap()
    where = "底图上" if basemap != "none" else "图上(当前不加载底图)"
    st.markdown(
        "**没有坐标系的图层：选出让图形落在正确位置的坐标系**"
        f"(每个候选都画在{where}：红色为上传的图形，蓝色虚线为当前数据的园区片区)"
    )
    if basemap == "none":  # offline: only the park's outline and the distance tell them apart
        st.caption("不加载底图时，请看红色图形是否落在蓝色园区内，以及“距当前园区”的距离。")
    for i, item in undeclared:
        st.markdown(f"{LAYER_LABELS[item.layer or '']}：{render.md(item.file)}")
        codes = [c.code for c in item.crs_choices]
        if item.assume_crs and item.assume_crs not in codes:
            codes.append(item.assume_crs)
        if codes:
            cols = st.columns(min(len(codes), MAX_PREVIEWS))
            park = _park()
            for col, code in zip(cols, codes, strict=False):
                with col:
                    _preview(proposal, i, code, basemap, park)
        ckey = keys.sub(keys.WIZ_CRS, i)
        st.session_state.setdefault(ckey, item.assume_crs or "")
        choice = st.text_input("坐标系(EPSG 代码)", key=ckey, placeholder="如 EPSG:4549")
        if (choice.strip() or None) != item.assume_crs:
            item.set_crs(choice.strip() or None)
            st.session_state.pop(keys.WIZ_OUTCOME, None)
            st.rerun()


def _park() -> gpd.GeoSeries | None:
    """The park of the dataset in use (its zones, else its parcels' outline), for reference."""
    current = str(st.session_state[keys.DATA_DIR])
    try:
        ds = state.dataset(current, state.files_stamp(current))
    except Exception:  # no usable dataset in use: no reference drawn
        return None
    if ds.zones is not None and not ds.zones.empty:
        return ds.zones.geometry
    if ds.parcels.empty:
        return None
    return gpd.GeoSeries([ds.parcels.geometry.union_all().envelope], crs=ds.parcels.crs)


def _preview(
    proposal: Proposal, index: int, code: str, basemap: str, park: gpd.GeoSeries | None
) -> None:
    """One CRS candidate: where it puts the shapes, drawn on the basemap with the park in use
    for reference; 用这个."""
    item = proposal.inputs[index]
    why = next((c.why for c in item.crs_choices if c.code == code), "手动输入")
    geoms = intake.preview(item, code)
    st.markdown(f"**{code}**{'(当前选择)' if code == item.assume_crs else ''}")
    st.caption(f"{why}；落在 {intake.lands(geoms, park)}")
    if geoms is not None:
        fmap = maps.outline_map(
            geoms,
            basemap=basemap,
            reference=park,
            tianditu_key=mapview.tianditu_key(),
            assets_url=mapview.assets_url(),
        )
        st_folium(
            fmap,
            key=keys.sub(keys.WIZ_CRS_MAP, index, code),
            height=260,
            use_container_width=True,
            returned_objects=[],
        )
    if code != item.assume_crs:
        st.button(
            f"用 {code}",
            key=keys.sub(keys.WIZ_CRS_MAP, index, code, "use"),
            on_click=_use_crs,
            args=(proposal, index, code),
        )


def _use_crs(proposal: Proposal, index: int, code: str) -> None:
    proposal.inputs[index].set_crs(code)
    ss = st.session_state
    ss.pop(keys.WIZ_OUTCOME, None)
    ss[keys.sub(keys.WIZ_CRS, index)] = code


def _build(proposal: Proposal, raw: Path) -> None:
    ss = st.session_state
    n = int(ss.get(keys.DATA_UPLOAD_N, 0))
    out = raw.parent / f"built-{n:03d}-{len(list(raw.parent.glob('built-*'))):03d}"
    paths = sorted(p for p in raw.iterdir() if p.is_file())
    try:
        with st.spinner("正在生成数据目录并检查…"):
            _p, ds, tmp = importer.build(paths, out, proposal=proposal)
            outcome = importer.Outcome(proposal, check(ds, state.current_rules()[0]))
            if outcome.report.has_errors:
                importer.discard(tmp)
            else:
                importer.commit(tmp, out)
    except Exception as exc:  # said in Chinese on the screen; nothing is kept
        ss[keys.WIZ_OUTCOME] = (None, f"无法生成数据目录：{render.message(exc)}")
        return
    ss[keys.WIZ_OUTCOME] = (str(out), outcome)


def _check(proposal: Proposal, raw: Path) -> None:
    st.markdown("**生成数据目录并检查**(与命令行 `python -m lcgis import` 的检查相同)")
    st.button("生成并检查", type="primary", key=keys.WIZ_BUILD, on_click=_build,
              args=(proposal, raw))  # fmt: skip
    held = st.session_state.get(keys.WIZ_OUTCOME)
    if held is None:
        return
    out, outcome = held
    if out is None:
        st.error(outcome)
        return
    e, w, h, q = outcome.counts
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("错误(个)", f"{e:,}")
    c2.metric("警告(个)", f"{w:,}")
    c3.metric("提示(条)", f"{h:,}")
    c4.metric("待确认的问题(个)", f"{q:,}")
    st.markdown(render.md(outcome.summary()))
    report = outcome.report.to_frame()
    if not report.empty:
        st.dataframe(report, hide_index=True, width="stretch")
    for hint in outcome.proposal.warnings:
        st.caption("提示：" + render.md(hint))
    st.download_button(
        "下载 mapping.toml(字段映射，可用于命令行 import --mapping)",
        data=proposal.mapping_toml().encode("utf-8"),
        file_name="mapping.toml",
        mime="application/toml",
        key=keys.WIZ_MAPPING,
    )
    if outcome.report.has_errors:
        st.error("数据有错误，不能使用。请回到前面的步骤修改，或按报告修改文件后重新上传。")
        return
    current = str(st.session_state[keys.DATA_DIR])
    st.button(
        "使用此数据",
        type="primary",
        on_click=state.switch_dataset,
        args=(out,),
        key=keys.DATA_USE,
        disabled=out == current,
    )
    if out == current:
        st.success("正在使用这份上传的数据。")


STEPS: tuple[Callable[[Proposal, Path], None], ...] = (
    _files, _layers, _fields, _values, _crs, _check
)  # fmt: skip
