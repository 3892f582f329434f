"""Every session-state key of the app, declared once.

Each key is a constant with what it holds and what it depends on.  Screens and ``ui``
modules use these constants (never a string literal) for ``st.session_state`` and for the
``key=`` of widgets, whose state Streamlit keeps under that key too.  Keys made for one
thing (a parcel, a map, a generation) are built by the functions below from a declared base.

What belongs to one evaluation of a dataset (its year, date and rules) is declared in
:data:`RESULT_DEPENDENT` and cleared by :func:`follow_evaluation`.  What belongs to one
dataset is declared in :data:`DATASET_DEPENDENT` (keys) and
:data:`DATASET_DEPENDENT_PREFIXES` (families of derived keys); :func:`reset_dataset_dependent`
clears them, and is called wherever the dataset changes (:func:`ui.state.switch_dataset` and
the sidebar's dataset box).
"""

from __future__ import annotations

import streamlit as st

# --- the sidebar's choices (plain keys, never a widget's: see ui.state) ------------------------
DATA_DIR = "lcgis_data_dir"  # dataset folder; depends on nothing (it is the dataset)
YEAR = "lcgis_year"  # evaluation year; depends on the dataset (its years)
RULES_PATH = "lcgis_rules_path"  # a configured rules file ('' = default rules)
RULES_FILE = "lcgis_rules_file"  # an admin's uploaded rules file saved for this session
RULES_ERROR = "lcgis_rules_error"  # why the chosen rules file was not used, shown once
AS_OF = "lcgis_as_of"  # evaluation date (None: 31 December of the year); depends on the year
DATA_GENERATION = "lcgis_data_generation"  # bumped when the app switches the dataset itself
SELECTED = "lcgis_selected_parcel"  # the selected parcel id; depends on the dataset
SESSION_ID = "lcgis_session_id"  # id of the browser session (names its upload folder)
EVALUATION = "lcgis_evaluation"  # (year, date, rules file) RESULT_DEPENDENT keys belong to

# --- the sidebar's widgets --------------------------------------------------------------------
W_DATA_DIR = "sb_data_dir"  # base of the dataset box's key (+ DATA_GENERATION)
W_YEAR = "sb_year"  # base of the year box's key (+ the dataset folder)
W_RULES_PATH = "sb_rules_path"  # the rules box
W_AS_OF = "sb_as_of"  # base of the date box's key (+ the year)
W_RULES_UPLOAD = "sb_rules_upload"  # the rules file uploader (admins)

# --- login ------------------------------------------------------------------------------------
USER = "lcgis_user"  # the logged-in lcgis.review.store.User (absent: nobody)
USER_STORE = "lcgis_user_store"  # URL of the store the user logged in to
LAST_ACTIVE = "lcgis_last_active"  # time.time() of the user's last run (idle logout)
AUTH_NOTICE = "lcgis_auth_notice"  # a message for the login form, shown once
LOGIN_MAIN = "login_main"  # the login form of the gate (+ "_name", "_password")
LOGIN_SIDE = "login_side"  # the login form of the sidebar (+ "_name", "_password")
LOGOUT = "auth_logout"  # the logout button

# --- maps (ui.mapview) ------------------------------------------------------------------------
MAP_VIEW_PREFIX = "lcgis_view_"  # + map key: {focus, center, zoom}; depends on the dataset
MAP_CLICK_PREFIX = "lcgis_click_"  # + map key: signature of the last click handled

# --- 地图 -------------------------------------------------------------------------------------
MAP_INDICATOR = "map_indicator"  # colouring indicator
MAP_SCHEME = "map_scheme"  # classification scheme
MAP_K = "map_k"  # number of classes
MAP_BASEMAP = "map_basemap"  # basemap (also used by the 企业 map)
MAP_SEARCH_FORM = "map_search_form"  # the search form
MAP_SEARCH = "map_search"  # search text; its hits depend on the dataset
MAP_HITS = "map_hits"  # [(parcel id, label)] found by the search; depends on the dataset
MAP_HIT = "map_hit"  # the hit chosen in the hits box; depends on the dataset
MAP_FOCUS = "map_focus"  # parcel id the map centres on; depends on the dataset
PARCEL_MAP = "parcel_map"  # the map widget

# --- 总览 -------------------------------------------------------------------------------------
OVERVIEW_GROUPS = "overview_groups"  # table of classes per evaluation group
OVERVIEW_ZONES = "overview_zones"  # table of the zones
OVERVIEW_YOY = "overview_yoy"  # table of the change on the year before

# --- 企业 -------------------------------------------------------------------------------------
ENT_ZONE = "ent_zone"  # zone filter; depends on the dataset (its zones)
ENT_INDUSTRY = "ent_industry"  # industry filter; depends on the dataset (its industries)
ENT_CLASS = "ent_class"  # class filter
ENT_SCALE = "ent_scale"  # scale filter
ENT_NAME = "ent_name"  # name filter
ENT_TABLE = "ent_table"  # the enterprise table (its selected rows); depends on the dataset
ENT_MAP = "ent_map"  # the map of the picked enterprises
ENT_SENS_BTN = "ent_sens_btn"  # the sensitivity button
ENT_SENS_ON = "ent_sens_on"  # True once the sensitivity was asked for
ENT_SENS_TABLE = "ent_sens_table"  # the sensitivity table

# --- 候选 -------------------------------------------------------------------------------------
CAND_DOWNLOAD = "cand_download"  # the workbook download
CAND_TIER = "cand_tier"  # tier filter
CAND_PREFIX = "cand_"  # + disposition (+ "_zones"): the tables of each list

# --- 审核 -------------------------------------------------------------------------------------
RQ_STATUS = "rq_status"  # status filter
RQ_ZONE = "rq_zone"  # zone filter; depends on the dataset (its zones)
RQ_DISPOSITION = "rq_disposition"  # disposition filter
RQ_ASSIGNEE = "rq_assignee"  # assignee filter; depends on the dataset (its reviews)
RQ_OVERDUE = "rq_overdue"  # overdue only
RQ_TABLE = "rq_table"  # the queue table (its position); depends on the dataset
RQ_EXPORT = "rq_export"  # the export download

# --- the review panel (ui.review_panel) -------------------------------------------------------
FORM_VERSION = "review_form_version"  # {parcel id: version the form read}; depends on the dataset
FORM_GEN = "review_form_gen"  # bumped to recreate the form's widgets from the store
FORM_MESSAGE = "review_form_message"  # (kind, text) of the last save, shown once
FORM_PREFIX = "rv_"  # + field, FORM_GEN, parcel id: the form's widgets; depend on the dataset
FORM_RELOAD = "rv_reload"  # the 重新读取 button
HISTORY_PREFIX = "review_history_"  # + parcel id: the history table

# --- 搬迁规划 (ui.relocation) -----------------------------------------------------------------
MOVERS = "reloc_movers"  # the movers table the editor starts from; depends on the dataset
MOVERS_DIR = "reloc_movers_dir"  # the dataset folder that table belongs to
MOVERS_GEN = "reloc_movers_gen"  # bumped when the table is replaced (the editor restarts)
MOVERS_EDITOR = "reloc_editor_"  # + MOVERS_GEN: the movers editor
LOADED = "reloc_loaded"  # (file name, ok, issues) of the last upload; depends on the dataset
SOLVED = "reloc_solved"  # the solve key of the plan shown; depends on the result
RELOC_UPLOAD = "reloc_upload"  # the movers uploader
RELOC_EXAMPLE = "reloc_example"  # the 载入示例企业 button
RELOC_CLEAR = "reloc_clear"  # the 清空 button
RELOC_USE_RECLAIM = "reloc_use_reclaim"  # free land: 无偿收回 parcels
RELOC_USE_BUYBACK = "reloc_use_buyback"  # free land: 收储改造 parcels
RELOC_USE_VACATE = "reloc_use_vacate"  # free land: 腾笼换鸟 parcels
RELOC_USE_UNDEV = "reloc_use_undev"  # free land: 未出让空地
RELOC_OBJECTIVE = "reloc_objective"  # the objective
RELOC_INCLUDE = "reloc_include"  # parcels also included; depends on the dataset
RELOC_EXCLUDE = "reloc_exclude"  # parcels excluded; depends on the dataset
RELOC_TIME_LIMIT = "reloc_time_limit"  # the solver's time limit
RELOC_SOLVE = "reloc_solve"  # the 求解 button
RELOC_BASEMAP = "reloc_basemap"  # basemap of the plan map
RELOC_MAP = "reloc_map"  # the plan map
RELOC_BEFORE_AFTER = "reloc_before_after"  # the before/after table
RELOC_UNPLACED = "reloc_unplaced"  # the table of movers not placed
RELOC_PLAN = "reloc_plan"  # the plan table
RELOC_DOWNLOAD = "reloc_download"  # the plan download
RELOC_PLAN_NAME = "reloc_plan_name"  # name of the plan to save
RELOC_OVERWRITE = "reloc_overwrite"  # overwrite a plan of that name
RELOC_SAVE = "reloc_save"  # the 保存方案 button
RELOC_CMP_A = "reloc_cmp_a"  # first saved plan compared
RELOC_CMP_B = "reloc_cmp_b"  # second saved plan compared
RELOC_CMP_TOTALS = "reloc_cmp_totals"  # the compared totals
RELOC_CMP_ZONES = "reloc_cmp_zones"  # the compared zones

# --- 数据 -------------------------------------------------------------------------------------
DATA_REPORT = "data_report"  # the quality report of the current dataset
DATA_DL_GPKG = "data_dl_gpkg"  # the GeoPackage download
DATA_DL_XLSX = "data_dl_xlsx"  # the workbook download
DATA_RESET = "data_reset"  # the 改回默认数据 button
DATA_UPLOAD = "data_upload"  # the dataset uploader
DATA_UPLOAD_SIG = "data_upload_sig"  # signature of the files last placed
DATA_UPLOAD_N = "data_upload_n"  # uploads placed so far (names their folders)
DATA_UPLOAD_ROOT = "data_upload_root"  # folder of the last placed upload (None: refused)
DATA_UPLOAD_REFUSED = "data_upload_refused"  # why the last upload was refused
DATA_UPLOAD_UNKNOWN = "data_upload_unknown"  # files of the last upload not used
DATA_UPLOAD_RAW = "data_upload_raw"  # folder of the raw files the wizard imports (None: a folder)
DATA_UPLOAD_REPORT = "data_upload_report"  # the quality report of the upload
DATA_USE = "data_use"  # the 使用此数据 button
WIZ_PROPOSAL = "wiz_proposal"  # (upload folder, the import proposal as edited) of the wizard
WIZ_STEP = "wiz_step"  # the wizard's step (index into vocab.IMPORT_STEPS)
WIZ_OUTCOME = "wiz_outcome"  # (built folder, importer.Outcome) of the last 生成并检查
WIZ_NEXT = "wiz_next"  # the 下一步 button
WIZ_BACK = "wiz_back"  # the 上一步 button
WIZ_LAYERS = "wiz_layers"  # the inputs and layers table
WIZ_FIELDS = "wiz_fields"  # base of a layer's fields table (+ input index)
WIZ_VALUES = "wiz_values"  # base of an enum field's values table (+ input index, field)
WIZ_CRS = "wiz_crs"  # base of an input's CRS choice (+ input index)
WIZ_CRS_MAP = "wiz_crs_map"  # base of a CRS preview map (+ input index, candidate)
WIZ_BUILD = "wiz_build"  # the 生成并检查 button
WIZ_MAPPING = "wiz_mapping"  # the mapping.toml download

OVERVIEW_TARGETS = "overview_targets"  # the 总览's headline plan targets

# --- 规划 (ui.targets) -----------------------------------------------------------------------
PLAN_TYPED = "plan_typed"  # the next period's plan typed in on the screen (None: none yet)
PLAN_CHOICE = "plan_choice"  # the plan shown
PLAN_SCOPE = "plan_scope"  # the scope shown (园区 or a zone id); depends on the dataset
PLAN_FIGURE = "plan_figure"  # the target whose trend is drawn
PLAN_TABLE = "plan_table"  # the targets table
PLAN_SIZES = "plan_sizes"  # firms by size class and honour
PLAN_ZONES = "plan_zones"  # zones' roles and fit
PLAN_MISFITS = "plan_misfits"  # firms outside their zone's leading industries
PLAN_NEW_FORM = "plan_new_form"  # the form adding a target to the typed plan
PLAN_NEW_FIGURE = "plan_new_figure"  # its figure
PLAN_NEW_SCOPE = "plan_new_scope"  # its scope
PLAN_NEW_VALUE = "plan_new_value"  # its value
PLAN_NEW_CLEAR = "plan_new_clear"  # the button clearing the typed plan
PLAN_NEW_NAME = "plan_new_name"  # the typed plan's name
PLAN_NEW_START = "plan_new_start"  # its first year
PLAN_NEW_END = "plan_new_end"  # its last year
PLAN_NEW_GAP = "plan_new_gap"  # its gap table
PLAN_NEW_DL = "plan_new_dl"  # its plans file download

# --- 报告 (ui.papers) -------------------------------------------------------------------------
PAPERS_REPORT = "papers_report"  # the park report button
PAPERS_PARCEL = "papers_parcel"  # the parcel dossier button
PAPERS_LIST = "papers_list"  # base of the dossier list's widgets (+ "_list", "_tier", ...)


#: Keys whose value belongs to one dataset: cleared when the dataset changes.
DATASET_DEPENDENT: tuple[str, ...] = (
    YEAR,
    SELECTED,
    MAP_SEARCH,
    MAP_HITS,
    MAP_HIT,
    MAP_FOCUS,
    ENT_ZONE,
    ENT_INDUSTRY,
    ENT_TABLE,
    RQ_ZONE,
    RQ_ASSIGNEE,
    RQ_TABLE,
    FORM_VERSION,
    MOVERS,
    MOVERS_DIR,
    LOADED,
    SOLVED,
    RELOC_INCLUDE,
    RELOC_EXCLUDE,
    PLAN_SCOPE,
)
#: Keys whose value belongs to one evaluation (year, date and rules) of the dataset: cleared
#: when any of them changes (the table's picked rows are positions in the ranked table).
RESULT_DEPENDENT: tuple[str, ...] = (ENT_TABLE,)
#: Families of derived keys whose values belong to one dataset.
DATASET_DEPENDENT_PREFIXES: tuple[str, ...] = (MAP_VIEW_PREFIX, MAP_CLICK_PREFIX, FORM_PREFIX)


def sub(base: str, *parts: object) -> str:
    """A key derived from a declared base: the base and the parts joined by ``_``.

    >>> sub(LOGIN_SIDE, "name")
    'login_side_name'
    >>> sub(FORM_PREFIX + "status", 0, "P1")
    'rv_status_0_P1'
    """
    return "_".join([base, *map(str, parts)])


def dataset_dependent(names: list[str]) -> list[str]:
    """Those of ``names`` that :func:`reset_dataset_dependent` clears.

    >>> dataset_dependent([SELECTED, USER, "lcgis_view_parcel_map", "rv_status_0_P1"])
    ['lcgis_selected_parcel', 'lcgis_view_parcel_map', 'rv_status_0_P1']
    """
    return [n for n in names if n in DATASET_DEPENDENT or n.startswith(DATASET_DEPENDENT_PREFIXES)]


def reset_dataset_dependent() -> None:
    """Clear what belongs to the dataset (the selected parcel, search hits, filters of its
    zones, the review form, the relocation movers …) and recreate the review form's widgets.

    Call it where the dataset changes; the selected parcel becomes None (no selection).
    """
    ss = st.session_state
    for name in dataset_dependent([str(k) for k in ss]):
        del ss[name]
    ss[SELECTED] = None
    ss[FORM_GEN] = int(ss.get(FORM_GEN, 0)) + 1


def follow_evaluation(evaluation: tuple[object, ...]) -> None:
    """Clear :data:`RESULT_DEPENDENT` when the evaluation (year, date, rules file) differs
    from the one of the last run; remember it."""
    ss = st.session_state
    if ss.get(EVALUATION) not in (None, evaluation):
        for name in RESULT_DEPENDENT:
            ss.pop(name, None)
    ss[EVALUATION] = evaluation
