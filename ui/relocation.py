"""Widgets of the 搬迁规划 screen: the movers editor, the free-land options, the cached solve
with its progress, the plan map, the download and the store of saved plans.

The solve is cached by (result key, digest of the checked movers table, options): plain,
hashable values.  The plans live in a small LRU owned by ``st.cache_resource`` rather than in
a cached function, so that the solver's progress callback can drive a progress bar created on
the page (a cached function would record and replay it).
"""

from __future__ import annotations

import importlib
import importlib.util
import tempfile
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import url as sa_url
from streamlit_folium import st_folium

from lcgis import review
from lcgis.errors import LcgisError
from lcgis.plan import relocation, solver
from lcgis.plan import view as plan_map
from lcgis.plan.before_after import PARK_ID
from lcgis.plan.movers import MAX_MOVERS_BYTES, MOVER_FIELDS, check_movers, read_movers_table
from lcgis.plan.report import plan_sheets, write_plan
from lcgis.plan.sites import free_parcels
from lcgis.views import maps

from . import keys, mapsearch, mapview, render, settings, state, uploads

if TYPE_CHECKING:
    from lcgis.data.validate import QualityReport
    from lcgis.plan.relocation import RelocationPlan

# --- session keys (declared in ui.keys) ------------------------------------------------------
MOVERS, MOVERS_DIR, MOVERS_GEN = keys.MOVERS, keys.MOVERS_DIR, keys.MOVERS_GEN
LOADED, SOLVED, W_UPLOAD = keys.LOADED, keys.SOLVED, keys.RELOC_UPLOAD
EXAMPLE = "movers_example.csv"
GUEST = "访客"
MAX_PLANS = 16
EDITOR_FILE = "搬迁企业表"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Options:
    """The choices of a solve besides the movers (hashable: part of the cache key)."""

    objective: str = "tax"
    use_reclaim: bool = True
    use_buyback: bool = True
    use_vacate: bool = True
    use_undeveloped: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    time_limit_s: float = 60.0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["include"], d["exclude"] = list(self.include), list(self.exclude)
        return d


#: (result key, movers digest, options)
SolveKey = tuple[state.Key, str, Options]


# --- movers ----------------------------------------------------------------------------------


def parcel_ids(ctx: state.Context) -> list[str]:
    return sorted(ctx.result.parcels["parcel_id"].astype(str).unique())


def is_demo(ctx: state.Context) -> bool:
    """The embedded demo dataset is open (its example movers are offered)."""
    return Path(ctx.data_dir).resolve() == state.DEFAULT_DATA_DIR.resolve()


def example_movers() -> pd.DataFrame:
    """data/movers_example.csv as an editable table (empty when it cannot be read)."""
    table, _rep = read_movers_table(state.DEFAULT_DATA_DIR / EXAMPLE)
    return table if table is not None else plan_map.empty_movers()


def _set_movers(table: pd.DataFrame) -> None:
    st.session_state[MOVERS] = table.reset_index(drop=True)
    st.session_state[MOVERS_GEN] = int(st.session_state.get(MOVERS_GEN, 0)) + 1


def _start_movers(ctx: state.Context) -> None:
    """The table to start from: the example on the demo, else an empty table."""
    if st.session_state.get(MOVERS_DIR) != ctx.data_dir or MOVERS not in st.session_state:
        st.session_state[MOVERS_DIR] = ctx.data_dir
        _set_movers(example_movers() if is_demo(ctx) else plan_map.empty_movers())
        st.session_state.pop(LOADED, None)


def may_plan(ctx: state.Context) -> bool:
    """Whether the user may plan: a plan weighs every parcel's present tax and output
    (confidential), so only reviewers and admins plan; others are told why."""
    if ctx.policy.sees_all:
        return True
    st.info(
        "搬迁规划以各宗地现有的税收、产值(涉密数据)为依据，方案和前后对比也含这些数字，"
        "仅核查人员和管理员可用。请在左侧边栏登录。",
        icon=":material/lock:",
    )
    return False


def _upload_limit() -> int:
    return min(MAX_MOVERS_BYTES, settings.max_upload_mb() * 1024**2)


def _on_upload(ids: list[str]) -> None:
    upload = st.session_state.get(W_UPLOAD)
    if upload is None:
        return
    try:
        uploads.check_upload(
            upload.name, upload.size, max_bytes=_upload_limit(), room=state.upload_room()
        )
    except uploads.UploadRefused as exc:
        st.session_state[LOADED] = (upload.name, False, pd.DataFrame({"问题": [str(exc)]}))
        return
    suffix = Path(upload.name).suffix.lower()
    name = uploads.safe_filename(upload.name, suffix if suffix in (".csv", ".xlsx") else ".csv")
    path = state.session_dir() / "movers" / uuid.uuid4().hex[:8] / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.getvalue())
    table, rep = read_movers_table(path, parcel_ids=ids)
    issues = plan_map.issue_rows(rep) if rep.issues else None
    if table is not None:
        _set_movers(table)
    st.session_state[LOADED] = (upload.name, table is not None, issues)


def _editor_config() -> dict[str, Any]:
    cfg: dict[str, Any] = {}
    for name, f in MOVER_FIELDS.items():
        if f.kind == "float":
            cfg[name] = st.column_config.NumberColumn(f.label, format="%.2f")
        else:
            cfg[name] = st.column_config.TextColumn(f.label)
    cfg["need_mu"] = st.column_config.NumberColumn(
        "需求用地(亩)", format="%.2f", help="大于0的亩数"
    )
    cfg["industry_code"] = st.column_config.TextColumn(
        "行业代码", help="GB/T 4754-2017，2–4 位数字，如 3911"
    )
    cfg["current_parcel_id"] = st.column_config.TextColumn(
        "现用宗地编号", help="园区内腾挪企业填写；园区外新引进企业留空"
    )
    return cfg


def movers_editor(ctx: state.Context) -> tuple[pd.DataFrame, QualityReport]:
    """Upload or edit the movers; the checked table and its report (rows = table rows)."""
    _start_movers(ctx)
    ids = parcel_ids(ctx)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.file_uploader(
        "上传搬迁企业表(.csv 或 .xlsx)",
        type=["csv", "xlsx"],
        key=W_UPLOAD,
        on_change=_on_upload,
        args=(ids,),
        max_upload_size=max(1, _upload_limit() // 1024**2),
        help="列名可用中文，如 企业编号、企业名称、需求用地(亩)、行业代码、预期亩均产值、"
        "预期亩均税收、现用宗地编号；上传后可在下表中修改。",
    )
    if is_demo(ctx):
        c2.button(
            "载入示例企业",
            key=keys.RELOC_EXAMPLE,
            on_click=lambda: _set_movers(example_movers()),
        )
    else:
        c2.button(
            "清空", key=keys.RELOC_CLEAR, on_click=lambda: _set_movers(plan_map.empty_movers())
        )
    loaded = st.session_state.get(LOADED)
    if loaded:
        name, ok, issues = loaded
        if ok:
            st.caption(f"已载入文件：{render.md(name)}")
        else:
            st.error(f"文件 {render.md(name)} 无法读取，请按下表处理后重新上传。")
        if issues is not None:
            with st.expander("上传文件的检查结果(行号为文件中的行)", expanded=not ok):
                st.dataframe(issues, hide_index=True, width="stretch")
    base: pd.DataFrame = st.session_state[MOVERS]
    edited = st.data_editor(
        base,
        key=keys.MOVERS_EDITOR + str(st.session_state.get(MOVERS_GEN, 0)),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config=_editor_config(),
        column_order=list(MOVER_FIELDS),
    )
    movers, rep = check_movers(
        pd.DataFrame(edited), file=EDITOR_FILE, offset=1, parcel_ids=set(ids)
    )
    movers.attrs["file"] = EDITOR_FILE
    return movers, rep


def show_issues(rep: QualityReport) -> None:
    """The movers' errors (nothing is solved until they are fixed) and warnings."""
    if rep.has_errors:
        st.error(
            f"搬迁企业表有 {len(rep.errors)} 处错误，改正后才能求解(行号为表中的行，从 1 起)："
        )
        for issue in rep.errors:
            field = MOVER_FIELDS[issue.field].label if issue.field in MOVER_FIELDS else issue.field
            rows = "、".join(map(str, issue.rows[:20])) + ("等" if len(issue.rows) > 20 else "")
            where = f"第 {rows} 行" if rows else "表"
            st.markdown(
                f"- {render.md(where)} 字段“{render.md(field)}”：{render.md(issue.message)}"
                + (f"。处理：{render.md(issue.fix)}" if issue.fix else "")
            )
    if rep.warnings:
        with st.expander(f"提示({len(rep.warnings)} 条)"):
            st.dataframe(plan_map.issue_rows(rep), hide_index=True, width="stretch")


# --- options ---------------------------------------------------------------------------------


def options(ctx: state.Context) -> Options:
    """Free land (kinds, parcels to include and exclude), objective and time limit."""
    r = ctx.result.rules.relocation
    ids = parcel_ids(ctx)
    c1, c2, c3, c4, c5 = st.columns(5)
    use_reclaim = c1.checkbox("无偿收回地块", value=r.use_reclaim, key=keys.RELOC_USE_RECLAIM)
    use_buyback = c2.checkbox("收储改造地块", value=r.use_buyback, key=keys.RELOC_USE_BUYBACK)
    use_vacate = c3.checkbox("腾笼换鸟地块", value=r.use_vacate, key=keys.RELOC_USE_VACATE)
    use_undeveloped = c4.checkbox(
        "未出让空地",
        value=r.use_undeveloped,
        key=keys.RELOC_USE_UNDEV,
        help="在建地块和仍在闲置费阶段的已出让地块不自动纳入，可在下方“另外纳入的宗地”中手动添加",
    )
    objective = c5.radio(
        "目标",
        list(relocation.OBJECTIVE_ZH),
        format_func=lambda o: f"园区{relocation.OBJECTIVE_ZH[o]}最大",
        key=keys.RELOC_OBJECTIVE,
        horizontal=True,
    )
    m1, m2, m3 = st.columns([3, 3, 1])
    include = m1.multiselect(
        "另外纳入的宗地", ids, key=keys.RELOC_INCLUDE, placeholder="选择宗地编号"
    )
    exclude = m2.multiselect("排除的宗地", ids, key=keys.RELOC_EXCLUDE, placeholder="选择宗地编号")
    limit = m3.number_input(
        "求解时限(秒)", min_value=5, max_value=3600, value=60, step=5, key=keys.RELOC_TIME_LIMIT
    )
    return Options(
        objective=str(objective),
        use_reclaim=bool(use_reclaim),
        use_buyback=bool(use_buyback),
        use_vacate=bool(use_vacate),
        use_undeveloped=bool(use_undeveloped),
        include=tuple(sorted(map(str, include))),
        exclude=tuple(sorted(map(str, exclude))),
        time_limit_s=float(limit),
    )


# --- the solve -------------------------------------------------------------------------------


class _Plans:
    """The solved plans by solve key, least recently used dropped first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.plans: OrderedDict[SolveKey, RelocationPlan] = OrderedDict()

    def get(self, key: SolveKey) -> RelocationPlan | None:
        with self.lock:
            rp = self.plans.get(key)
            if rp is not None:
                self.plans.move_to_end(key)
            return rp

    def put(self, key: SolveKey, rp: RelocationPlan) -> None:
        with self.lock:
            self.plans[key] = rp
            while len(self.plans) > MAX_PLANS:
                self.plans.popitem(last=False)


@st.cache_resource(show_spinner=False)
def _plans() -> _Plans:
    return _Plans()


def solve_key(ctx: state.Context, movers: pd.DataFrame, opts: Options) -> SolveKey:
    return (ctx.key, plan_map.frame_digest(movers), opts)


def _solve(ctx: state.Context, movers: pd.DataFrame, opts: Options) -> RelocationPlan | None:
    """relocation.plan with a progress bar in a status box; None (error shown) on bad input."""
    with st.status("正在求解搬迁方案…", expanded=True) as box:
        bar = st.progress(0.0, text="开始")

        def progress(stage: str, share: float) -> None:
            bar.progress(min(max(float(share), 0.0), 1.0), text=stage)

        try:
            rp = relocation.plan(
                ctx.result,
                movers,
                objective=opts.objective,
                include=opts.include,
                exclude=opts.exclude,
                use_reclaim=opts.use_reclaim,
                use_buyback=opts.use_buyback,
                use_vacate=opts.use_vacate,
                use_undeveloped=opts.use_undeveloped,
                time_limit_s=opts.time_limit_s,
                progress=progress,
            )
        except LcgisError as exc:
            box.update(label="求解失败", state="error")
            st.error(f"求解失败：{render.message(exc)}")
            return None
        box.update(label=f"求解完成(用时 {rp.seconds:.2f} 秒)", state="complete", expanded=False)
    return rp


def plan_for(
    ctx: state.Context, movers: pd.DataFrame, opts: Options, *, clicked: bool
) -> tuple[RelocationPlan | None, SolveKey]:
    """The plan of the current inputs: solved when 求解 is clicked (or taken from the cache),
    kept on reruns while the inputs stay the same."""
    key = solve_key(ctx, movers, opts)
    if not ctx.policy.sees_all:  # see may_plan: never solved for guests and viewers
        return None, key
    if not clicked and st.session_state.get(SOLVED) != key:
        return None, key
    rp = _plans().get(key)
    if rp is None:
        rp = _solve(ctx, movers, opts)
        if rp is None:
            st.session_state.pop(SOLVED, None)
            return None, key
        _plans().put(key, rp)
    st.session_state[SOLVED] = key
    return rp, key


def solver_status(rp: RelocationPlan) -> None:
    """Proven optimal, or the solver's status and MIP gap."""
    if rp.optimal:
        zh = relocation.OBJECTIVE_ZH[rp.objective]
        st.success(f"求解状态：已证明最优；目标值(净增{zh}) {rp.objective_value_wan:,.2f} 万元")
    else:
        st.warning(f"求解状态：{render.md(rp.status)}；{gap_text(rp.mip_gap)}")
    st.caption(render.md(rp.summary()).replace("\n", "  \n"))
    if rp.report.issues:
        with st.expander(f"求解提示({len(rp.report.issues)} 条)"):
            st.dataframe(plan_map.issue_rows(rp.report), hide_index=True, width="stretch")


def gap_text(gap: float | None) -> str:
    """How far a plan stopped by the time limit may be from the optimum.

    >>> gap_text(0.038)
    '与最优解差距不超过 3.8%(可延长求解时限后重新求解)'
    """
    if gap is None:
        return "与最优解的差距未知，方案可能不是最优(可延长求解时限后重新求解)"
    return f"与最优解差距不超过 {gap:.1%}(可延长求解时限后重新求解)"


def size_notice(ctx: state.Context, movers: pd.DataFrame, opts: Options) -> None:
    """Above solver.NOTICE_FROM movers × free parcels: the expected time and the limit."""
    rules = replace(
        ctx.result.rules.relocation,
        use_reclaim=opts.use_reclaim,
        use_buyback=opts.use_buyback,
        use_vacate=opts.use_vacate,
        use_undeveloped=opts.use_undeveloped,
    )
    cur = movers["current_parcel_id"].astype("string").dropna().tolist()
    n_free = len(
        free_parcels(
            ctx.result.parcels, rules, current=cur, include=opts.include, exclude=opts.exclude
        )
    )
    if len(movers) * n_free < solver.NOTICE_FROM:
        return
    seconds = solver.estimate_seconds(len(movers), n_free)
    st.info(
        f"规模较大(搬迁企业 {len(movers)} 家 × 空闲地块 {n_free} 宗)：预计求解约 "
        f"{seconds:.0f} 秒(按实测的规模—用时模型估计，机器繁忙时更长)。求解时限为 "
        f"{opts.time_limit_s:.0f} 秒，可在上方“求解时限(秒)”中调整；到时限仍未证明最优时，"
        "给出已找到的最好方案及其与最优解的差距。"
    )


def plan_metrics(rp: RelocationPlan) -> None:
    """Movers placed, land given, and the park's tax and output after (change as delta)."""
    ba = rp.before_after[rp.before_after["zone_id"] == PARK_ID]
    park = dict(zip(ba["figure"], ba[["label", "after", "change"]].to_numpy(), strict=True))
    placed = rp.plan["parcel_ids"].astype(str).ne("")
    m = st.columns(4)
    m[0].metric("已安排企业(家)", f"{int(placed.sum())} / {len(rp.plan)}")
    m[1].metric("安排用地(亩)", render.num(rp.plan.loc[placed, "land_mu"].sum(), 2))
    for col, fig in ((m[2], "tax_wan"), (m[3], "output_wan")):
        label, after, change = park[fig]
        col.metric(f"全园{label}", render.num(after, 0), delta=render.delta(float(change), 0))


# --- the map and the download ----------------------------------------------------------------


def plan_map_view(ctx: state.Context, rp: RelocationPlan, *, basemap: str, key: str) -> None:
    """The parcel map (by class) with freed parcels, target sites and move lines on top."""
    spec = maps.BASEMAPS.get(basemap, maps.BASEMAPS["osm"])
    payload, bounds, _legend = state.map_payload(
        ctx.key, "parcel_class", "quantiles", 5, spec.datum, _result=ctx.result
    )
    fmap = maps.build_map(
        payload,
        bounds,
        basemap=basemap,
        tianditu_key=mapview.tianditu_key(),
        assets_url=mapview.assets_url(),
    )
    features = plan_map.plan_features(rp.plan, rp.free, ctx.result.parcels)
    layer = plan_map.plan_layer(features, datum=spec.datum)
    st_folium(
        fmap,
        key=key,
        height=600,
        use_container_width=True,
        returned_objects=[],
        feature_group_to_add=layer,
    )
    legend = "；".join(
        f"{name}({n} 处)"
        for code, (name, *_rest) in plan_map.KINDS.items()
        if (n := int((features["kind"] == code).sum()))
    )
    st.caption(
        f"图层：{legend}。底色为宗地类别。蓝色实线 = 安排地块，橙色 = 腾出地块，"
        "灰色虚线 = 未使用的空闲地块，红色虚线 = 园区内企业的搬迁路线(原宗地中心 → 新地块中心)。"
        + maps.DATUMS[spec.datum]
    )


@st.cache_data(show_spinner="正在生成文件…", max_entries=16)
def plan_xlsx(key: SolveKey, _rp: RelocationPlan) -> bytes:  # noqa: ARG001
    """The plan written by ``plan_report.write_plan`` as .xlsx, as bytes."""
    with tempfile.TemporaryDirectory(prefix="lcgis-plan-") as tmp:
        (out,) = write_plan(_rp, Path(tmp) / "plan.xlsx")
        return out.read_bytes()


# --- saved plans -----------------------------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(url: str) -> review.ReviewStore:
    return review.ReviewStore(url)


def store(*, create: bool = True) -> review.ReviewStore | None:
    """The installation's review store (env LCGIS_DATABASE_URL wins); None, with the reason
    shown, when it cannot be opened.  ``create=False``: a SQLite file that does not exist
    yet is not created (None: nothing saved so far), so merely looking creates nothing."""
    url = review.resolve_database_url()
    if not create and _missing_sqlite(url):
        return None
    try:
        return _store(url)
    except LcgisError as exc:
        st.warning(f"无法打开方案库：{render.message(exc)}")
        return None


def _missing_sqlite(url: str) -> bool:
    """A SQLite URL whose database file does not exist (yet)."""
    parsed = sa_url.make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return False
    db = parsed.database or ""
    return db in ("", ":memory:") or not Path(db).exists()


def current_user() -> review.User | None:
    """Who saves: the logged-in user when the app has login (None when nobody is logged in),
    else a guest who may save."""
    if importlib.util.find_spec("ui.auth") is None:  # an app without login
        return review.User(GUEST, "reviewer")
    auth = importlib.import_module("ui.auth")
    getter = getattr(auth, "current_user", None)
    if getter is None:
        return review.User(GUEST, "reviewer")
    user = getter()
    return user if isinstance(user, review.User) else None


def save_form(
    ctx: state.Context, rp: RelocationPlan, key: SolveKey, opts: Options, movers: pd.DataFrame
) -> None:
    """Name and save the shown plan in the review store."""
    user = current_user()
    if user is None:
        st.info("登录后才能保存方案。")
        return
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    name = c1.text_input("方案名称", key=keys.RELOC_PLAN_NAME, placeholder="如：2025 税收优先方案")
    overwrite = c2.checkbox("覆盖同名方案", key=keys.RELOC_OVERWRITE)
    if c3.button("保存方案", key=keys.RELOC_SAVE, icon=":material/save:"):
        s = store()
        if s is None:
            return
        params = {
            "data_dir": ctx.data_dir,
            "year": ctx.year,
            "as_of": ctx.as_of.isoformat(),
            "rules_digest": ctx.rules.digest,
            "movers_digest": key[1],
            "n_movers": len(movers),
            **opts.as_dict(),
        }
        try:
            s.save_plan(
                name.strip(), plan_map.plan_payload(rp, params), by=user, overwrite=overwrite
            )
        except LcgisError as exc:
            st.error(f"保存失败：{render.message(exc)}")
        else:
            st.success(f"已保存方案“{render.md(name.strip())}”(保存人：{render.md(user.name)})")


def compare_saved(ctx: state.Context) -> None:
    """Two saved plans side by side: totals and per-zone changes (reviewers and admins)."""
    if not ctx.policy.sees_all:
        return
    s = store(create=False)
    try:
        saved = s.plans() if s is not None else []
    except LcgisError as exc:
        st.warning(f"无法读取已保存的方案：{render.message(exc)}")
        return
    if len(saved) < 2:
        st.caption(f"已保存 {len(saved)} 个方案；保存两个或以上方案后可在此对比。")
        return
    by_name = {p.name: p for p in saved}
    names = list(by_name)
    c1, c2 = st.columns(2)
    first = c1.selectbox("方案一", names, index=0, key=keys.RELOC_CMP_A)
    second = c2.selectbox("方案二", names, index=1, key=keys.RELOC_CMP_B)
    if first == second:
        st.info("请选择两个不同的方案。")
        return
    for col, p in ((c1, by_name[first]), (c2, by_name[second])):
        payload = p.payload if isinstance(p.payload, dict) else {}
        obj = relocation.OBJECTIVE_ZH.get(str(payload.get("objective")), "")
        col.caption(
            f"{render.md(p.name)}：{render.md(p.created_by)} 保存于 "
            f"{render.md(review.format_time(p.created_at))}；目标 园区{render.md(obj)}最大；"
            f"{render.md(payload.get('status', ''))}"
        )
    totals, zones = plan_map.compare_plans(
        by_name[first].payload, by_name[second].payload, [first, second]
    )
    st.markdown("**合计**")
    st.dataframe(
        totals,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(c, format="%,.2f") for c in totals.columns[1:]
        },
        key=keys.RELOC_CMP_TOTALS,
    )
    st.markdown("**各片区变化(搬迁后 − 搬迁前)**")
    render.table(zones, key=keys.RELOC_CMP_ZONES)


# --- the plan's tabs -------------------------------------------------------------------------


def plan_tabs(ctx: state.Context, rp: RelocationPlan, key: SolveKey) -> None:
    """地图, 前后对比 and 方案明细 of a plan."""
    map_tab, ba_tab, plan_tab = st.tabs(["地图", "前后对比", "方案明细"])
    with map_tab:
        basemap = mapsearch.basemap_box(st, keys.RELOC_BASEMAP)
        plan_map_view(ctx, rp, basemap=basemap, key=keys.RELOC_MAP)
    with ba_tab:
        before_after(rp)
    with plan_tab:
        plan_detail(ctx, rp, key)


def before_after(rp: RelocationPlan) -> None:
    """Each zone's figures before and after the moves: charts and the table."""
    charts = st.columns(len(plan_map.CHART_FIGURES))
    for col, (fig, title) in zip(charts, plan_map.CHART_FIGURES.items(), strict=True):
        col.markdown(f"**各片区{title}：搬迁前后**")
        col.bar_chart(plan_map.chart_data(rp.before_after, fig), stack=False, y_label=title)
    table = plan_map.before_after_table(rp.before_after)
    render.table(
        render.by_row(table, "指标", table.columns[2:]),
        key=keys.RELOC_BEFORE_AFTER,
        height=460,
    )
    st.caption(
        "搬迁后为预期值：新入驻企业按其申报的预期亩均税收(产值)，未申报的按片区同行业基准"
        "测算(见搬迁方案的“预期值来源”)；亩均 = 片区税收(产值)合计 ÷ 片区全部用地；"
        "新入驻宗地不计入 A/B/C/D 类。"
    )


def plan_detail(ctx: state.Context, rp: RelocationPlan, key: SolveKey) -> None:
    """The movers not placed (and why), the plan (one row per mover) and its download."""
    placed = rp.plan["parcel_ids"].astype(str).ne("")
    sheet = plan_sheets(rp)["搬迁方案"]
    unplaced = sheet[~placed.to_numpy()]
    if len(unplaced):
        st.markdown(f"**未安排的企业({len(unplaced)} 家)及原因**")
        render.table(
            unplaced[["搬迁企业编号", "企业名称", "需求用地(亩)", "行业代码", "说明"]],
            key=keys.RELOC_UNPLACED,
        )
    st.markdown("**搬迁方案(每家企业一行)**")
    render.table(sheet, key=keys.RELOC_PLAN, height=420)
    st.download_button(
        "下载搬迁方案 Excel(搬迁方案、前后对比、求解说明)",
        data=plan_xlsx(key, _rp=rp),
        file_name=f"搬迁方案_{ctx.year or ''}.xlsx",
        mime=XLSX,
        key=keys.RELOC_DOWNLOAD,
        icon=":material/download:",
    )
