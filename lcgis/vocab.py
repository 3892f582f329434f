"""The vocabulary of lcgis: every category code with its Chinese label, defined once.

Codes (``reclaim``, ``below_scale``, ``near``) are what the engine writes and the files
keep; labels are what a person reads on a screen, in a workbook or on paper.  Each section
puts a code list next to its labels, in display order.  This module is the bottom floor:
it imports nothing from the rest of lcgis, so that every floor can use it.

>>> [DISPOSITION_LABELS[d] for d in DISPOSITIONS]
['无偿收回', '收储改造', '腾笼换鸟', '零地增资']
>>> INDICATOR_LABELS["tax_per_mu"], CLASS_LABELS["T"], IDLE_ACTION_LABELS["fee"]
('亩均税收(万元/亩)', 'T类(不参评)', '征缴土地闲置费')
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Mapping

# --------------------------------------------------------------------------- classes

#: Class letters of the comprehensive evaluation, in display order (rules.md §1).
CLASSES: Final = ("A", "B", "C", "D", "T")
#: Chinese names of the classes.
CLASS_LABELS: Final[Mapping[str, str]] = {
    "A": "A类(优先发展)",
    "B": "B类(鼓励提升)",
    "C": "C类(帮扶转型)",
    "D": "D类(落后整治)",
    "T": "T类(不参评)",
}

# --------------------------------------------------------------------------- groups

#: Evaluation groups (rules.md §8), in display order.
GROUPS: Final = ("above_scale", "below_scale", "small")
#: Chinese names of the evaluation groups.
GROUP_LABELS: Final[Mapping[str, str]] = {
    "above_scale": "规上",
    "below_scale": "规下",
    "small": "小微",
}
#: The groups as a heading names them (规上组, 规下组, 小微组).
GROUP_NAMES: Final[Mapping[str, str]] = {g: f"{n}组" for g, n in GROUP_LABELS.items()}
#: What each group is, for the 体检表 and the workbook.
GROUP_DESCRIPTIONS: Final[Mapping[str, str]] = {
    "above_scale": "规上工业企业",
    "below_scale": "规下企业(用地≥3亩)",
    "small": "规下用地不足3亩及标准厂房租户(按单位建筑面积税收评价)",
}

# --------------------------------------------------------------------------- indicators

#: Indicators of the comprehensive evaluation (data-contract §5 names).
INDICATORS: Final = (
    "tax_per_mu",
    "value_added_per_mu",
    "value_added_per_energy",
    "value_added_per_emission",
    "labor_productivity",
    "rd_ratio",
    "tax_per_kwh",
    "output_per_mu",
    "revenue_per_mu",
    "tax_per_floor_m2",
)
#: Short Chinese names of the indicators (for sentences such as sensitivity scenarios).
INDICATOR_NAMES: Final[Mapping[str, str]] = {
    "tax_per_mu": "亩均税收",
    "value_added_per_mu": "亩均增加值",
    "value_added_per_energy": "单位能耗增加值",
    "value_added_per_emission": "单位排放增加值",
    "labor_productivity": "全员劳动生产率",
    "rd_ratio": "研发经费投入强度",
    "tax_per_kwh": "单位电耗税收",
    "output_per_mu": "亩均产值",
    "revenue_per_mu": "亩均营业收入",
    "tax_per_floor_m2": "单位建筑面积税收",
}
#: Units of the indicators.
INDICATOR_UNITS: Final[Mapping[str, str]] = {
    "tax_per_mu": "万元/亩",
    "value_added_per_mu": "万元/亩",
    "value_added_per_energy": "万元/吨标煤",
    "value_added_per_emission": "万元/吨",
    "labor_productivity": "万元/人",
    "rd_ratio": "研发经费/营业收入",
    "tax_per_kwh": "元/千瓦时",
    "output_per_mu": "万元/亩",
    "revenue_per_mu": "万元/亩",
    "tax_per_floor_m2": "元/m²",
}
#: Chinese labels with units, for exports and the app.
INDICATOR_LABELS: Final[Mapping[str, str]] = {
    key: f"{name}({INDICATOR_UNITS[key]})" for key, name in INDICATOR_NAMES.items()
}
#: Chinese labels of the columns the comprehensive evaluation adds.
OUTPUT_LABELS: Final[Mapping[str, str]] = {
    **INDICATOR_LABELS,
    **{f"score_{k}": f"{v}得分" for k, v in INDICATOR_NAMES.items()},
    **{f"benchmark_{k}": f"{v}基准值" for k, v in INDICATOR_NAMES.items()},
    "eval_group": "评价组",
    "score": "综合得分",
    "missing_indicators": "缺失指标",
    "rank_in_group": "组内排名",
    "n_in_group": "组内参评企业数",
    "position": "排名位置(名次/家数)",
    "class": "评价类别",
    "class_reason": "分类说明",
    "notes": "备注",
    "class_before": "上年类别",
    "class_change": "类别变化",
}

#: How a group's benchmark is taken (rules ``evaluation.benchmark``).
BENCHMARKS: Final = ("mean", "median")
BENCHMARK_LABELS: Final[Mapping[str, str]] = {"mean": "平均值", "median": "中位数"}

# --------------------------------------------------------------------------- land reasons

#: Inefficient-land reason codes, in their fixed output order (data-contract §5).
INEFFICIENT_REASONS: Final = (
    "far_below_min",
    "far_below_plan",
    "coverage_below_min",
    "tax_per_mu_low",
    "output_per_mu_low",
    "not_producing",
    "small_parcel",
    "industry_mismatch",
    "mostly_leased",
    "completion_overdue",
)
#: The whole land reason vocabulary, in output order (the last three appear in
#: vacate_reasons).
REASON_CODES: Final = (*INEFFICIENT_REASONS, "class_d", "idle", "undeveloped")
#: Chinese text of every land reason code (exports, the app, the 体检表).
REASON_LABELS: Final[Mapping[str, str]] = {
    "far_below_min": "容积率低于行业下限",
    "far_below_plan": "容积率未达规划要求",
    "coverage_below_min": "建筑系数低于下限",
    "tax_per_mu_low": "亩均税收偏低",
    "output_per_mu_low": "亩均产出低于片区平均水平",
    "not_producing": "停产或无企业生产经营",
    "small_parcel": "用地面积过小",
    "industry_mismatch": "与片区主导产业不符",
    "mostly_leased": "以租代用(出租面积过半)",
    "completion_overdue": "超期未竣工",
    "class_d": "亩均效益评价D类",
    "idle": "闲置土地",
    "undeveloped": "未开发(宗地内无建筑)",
}

# --------------------------------------------------------------------------- land states

#: Parcel flags of the land tests (rules.md §2–4, §8), as the map overlays show them.
LAND_STATES: Final = ("idle", "undeveloped", "inefficient", "in_construction")
LAND_STATE_LABELS: Final[Mapping[str, str]] = {
    "idle": "闲置土地",
    "undeveloped": "未开发",
    "inefficient": "低效用地",
    "in_construction": "在建",
}

# --------------------------------------------------------------------------- idle actions

#: Actions on idle land (闲置土地处置办法 第八条, 第十四条).
IDLE_ACTIONS: Final = ("fee", "reclaim", "government")
#: Chinese text of the idle-land actions.
IDLE_ACTION_LABELS: Final[Mapping[str, str]] = {
    "fee": "征缴土地闲置费",
    "reclaim": "无偿收回",
    "government": "政府原因，协商处置(不征闲置费)",
}

# --------------------------------------------------------------------------- dispositions

#: Dispositions in precedence order (rules.md §8).
DISPOSITIONS: Final = ("reclaim", "buyback", "vacate", "densify")
#: Chinese names of the dispositions.
DISPOSITION_LABELS: Final[Mapping[str, str]] = {
    "reclaim": "无偿收回",
    "buyback": "收储改造",
    "vacate": "腾笼换鸟",
    "densify": "零地增资",
}
#: Reason codes that only dispositions use (besides the land reason codes).
DISPOSITION_REASONS: Final = ("idle_reclaim", "far_headroom", "outside_validity")
DISPOSITION_REASON_LABELS: Final[Mapping[str, str]] = {
    "idle_reclaim": "闲置满两年",
    "far_headroom": "容积率可提高",
    "outside_validity": "评价基准日在13号文施行期外，按其口径参照",
}
#: How each list's estimated gains are found (the shortlists' notes).
DISPOSITION_GAIN_NOTES: Final[Mapping[str, str]] = {
    "reclaim": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "buyback": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "vacate": "按片区亩均水平可产出 = 用地面积 × 片区亩均产值/税收(潜力上限)",
    "densify": "预计新增 = 可增建筑面积 × 现有单位建筑面积产出(潜力上限)；"
    "目标容积率依泉政办规〔2025〕13号",
}
#: Chinese text of every reason code met in inefficient, vacate and disposition reasons.
ALL_REASON_LABELS: Final[Mapping[str, str]] = {**REASON_LABELS, **DISPOSITION_REASON_LABELS}

# --------------------------------------------------------------------------- tiers

#: Tiers of a shortlist, in order.
TIERS: Final = ("near", "mid", "reserve")
TIER_LABELS: Final[Mapping[str, str]] = {"near": "近期", "mid": "中期", "reserve": "储备"}

# --------------------------------------------------------------------------- tenure

#: How a firm holds its land (the occupancy layer's ``tenure``).
TENURES: Final = ("own", "lease")
TENURE_LABELS: Final[Mapping[str, str]] = {"own": "自有", "lease": "租赁"}

# --------------------------------------------------------------------------- rule sources

#: The rules of ``[sources]`` that are not reason codes or dispositions, and their Chinese
#: names (the 体检表, the papers and the workbook's 说明 sheet all name a rule so).
RULE_CODES: Final = (
    "evaluation",
    "class_t",
    "small_group",
    "missing_indicator",
    "in_construction",
    "government_reason",
    "priority",
    "relocation",
    "relocation_targets",
)
RULE_LABELS: Final[Mapping[str, str]] = {
    "evaluation": "亩均效益综合评价(A/B/C/D 分类)",
    "class_t": "不参评(T类)",
    "small_group": "小微企业组",
    "missing_indicator": "缺少指标的计分",
    "in_construction": "在建",
    "government_reason": "政府原因造成的闲置",
    "priority": "清单优先度与分期",
    "relocation": "搬迁安置",
    "relocation_targets": "规划指标",
}
#: The name of every rule code that has a policy source.
SOURCE_LABELS: Final[Mapping[str, str]] = {
    **RULE_LABELS,
    **ALL_REASON_LABELS,
    **DISPOSITION_LABELS,
}
#: Chinese names of the kinds of a rules-file value (messages about a wrong type).
RULE_VALUE_KIND_LABELS: Final[Mapping[str, str]] = {
    "bool": "true/false",
    "number": "数值",
    "str": "文本",
    "list": "列表",
    "table": "表",
}

# --------------------------------------------------------------------------- review

#: Review statuses, in workflow order (stored as written: the statuses are Chinese).
STATUSES: Final = (
    "待核查",
    "核查中",
    "已核实",
    "列入无偿收回程序",
    "列入收储改造计划",
    "列入腾笼换鸟计划",
    "列入零地增资计划",
    "已处置",
    "不予处置",
)
#: The status of a parcel that has no review yet (version 0).
DEFAULT_STATUS: Final = "待核查"
#: Usual reasons of a review (free text is allowed), e.g. 政府原因 makes idle land exempt
#: from the fee.
REVIEW_REASONS: Final = ("政府原因", "企业原因", "不可抗力", "司法查封", "其他")
#: Chinese headers of the review table's columns.
REVIEW_LABELS: Final[Mapping[str, str]] = {
    "parcel_id": "宗地编号",
    "status": "核查状态",
    "reason": "原因",
    "assignee": "责任人",
    "due_date": "办理期限",
    "note": "备注",
    "tags": "标签",
    "version": "版本",
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
    "dataset_id": "数据集",
}
#: Chinese headers of the review history's columns.
HISTORY_LABELS: Final[Mapping[str, str]] = {
    "seq": "序号",
    "time": "时间",
    "parcel_id": "宗地编号",
    "user": "用户",
    "version": "版本",
    "status": "状态",
    "reason": "原因",
    "assignee": "责任人",
    "due_date": "办理期限",
    "tags": "标签",
    "note": "备注",
    "accepted": "是否生效",
    "message": "说明",
    "prev_hash": "前一条哈希",
    "hash": "哈希",
    "dataset_id": "数据集",
}

#: Chinese headers of the review queue (the parcels to review, with their flags and lists).
QUEUE_LABELS: Final[Mapping[str, str]] = {
    "parcel_id": "宗地编号",
    "zone_name": "片区",
    "land_area_mu": "用地面积(亩)",
    "idle": "闲置",
    "inefficient": "低效",
    "in_construction": "在建",
    "disposition": "处置方式",
    "tier": "梯队",
    "status": "核查状态",
    "overdue": "逾期",
    "reason": "原因",
    "assignee": "责任人",
    "due_date": "办理期限",
    "tags": "标签",
    "note": "备注",
    "version": "版本",
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
}

# --------------------------------------------------------------------------- roles

#: Roles, least to most privileged (``guest``: nobody is logged in).
ROLES: Final = ("guest", "viewer", "reviewer", "admin")
ROLE_LABELS: Final[Mapping[str, str]] = {
    "guest": "访客",
    "viewer": "查看",
    "reviewer": "核查",
    "admin": "管理",
}
#: Chinese words of the confidential quantities, to find them in tables with Chinese
#: headers (the first word of each is its name).
QUANTITY_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "tax": ("税",),
    "output": ("产值",),
    "revenue": ("营业收入",),
    "value_added": ("增加值", "劳动生产率"),
    "energy": ("能耗",),
    "electricity": ("用电", "电耗", "电量"),
    "employees": ("职工", "劳动生产率"),
    "rd": ("研发",),
    "emission": ("排放",),
}

# --------------------------------------------------------------------------- layers and quality

#: Layers of a dataset.
LAYERS: Final = ("zones", "parcels", "buildings", "enterprises", "occupancy")
#: Chinese names of the layers, for messages.
LAYER_LABELS: Final[Mapping[str, str]] = {
    "zones": "片区",
    "parcels": "宗地",
    "buildings": "建筑",
    "enterprises": "企业",
    "occupancy": "用地关系",
}
#: Units a column of an input may be in (mapping.toml ``unit``), by kind of field.
UNIT_LABELS: Final[Mapping[str, Mapping[str, str]]] = {
    "area": {"m2": "平方米(m²)", "mu": "亩", "ha": "公顷", "km2": "平方千米", "ft2": "平方英尺"},
    "money": {"wan": "万元", "yuan": "元", "yi": "亿元"},
}
#: The steps of the import wizard on the 数据 screen.
IMPORT_STEPS: Final = ("文件", "图层", "字段与单位", "取值", "坐标系", "检查并使用")
#: The wizard's choice for an input that is not used, and for a field left unmapped.
NOT_USED: Final = "(不使用)"
#: The wizard's unit of a field kept in its standard unit (万元, m²) or that has no unit.
NO_UNIT: Final = "—"
#: Headers of the wizard's tables.
IMPORT_HEADERS: Final[Mapping[str, str]] = {
    "file": "输入",
    "layer": "判断为",
    "reason": "依据",
    "rows": "行数",
    "field": "字段",
    "label": "说明",
    "required": "必填",
    "column": "对应的列",
    "unit": "单位",
    "value": "文件中的取值",
    "code": "对应的标准取值",
    "crs": "坐标系",
    "why": "理由",
    "lands": "落在(经纬度中心)",
}

#: Levels of a data-quality issue.
LEVELS: Final = ("error", "warning")
LEVEL_LABELS: Final[Mapping[str, str]] = {"error": "错误", "warning": "警告"}
#: Short Chinese names of the issue codes (the 代码 column of the 数据质量 sheet and the app).
ISSUE_LABELS: Final[Mapping[str, str]] = {
    "area_mismatch": "登记面积与实测不符",
    "axes_swapped": "坐标轴顺序颠倒",
    "bad_crs": "坐标系无效",
    "bad_geometry_text": "几何文本无法解析",
    "bad_industry_code": "行业代码无效",
    "bad_mapping": "字段映射有误",
    "bad_value": "取值无效",
    "control_characters": "含控制字符",
    "credit_code_invalid": "信用代码校验不通过",
    "crs_mismatch": "图层坐标系不一致",
    "duplicate_id": "编号重复",
    "empty_geometry": "几何为空",
    "empty_layer": "图层为空",
    "equal_share": "用地按平均分摊",
    "formula_without_value": "公式无计算值",
    "in_park_without_parcel": "园区内企业缺少现宗地",
    "invalid_geometry": "几何无效",
    "mapped_column_missing": "映射的列不存在",
    "merged_header": "表头有合并单元格",
    "missing_column": "缺少字段",
    "missing_file": "缺少文件",
    "missing_id": "缺少编号",
    "missing_value": "缺少取值",
    "mover_not_occupant": "搬迁企业不在该宗地",
    "negative_value": "数值为负",
    "no_annual_data": "缺少年度数据",
    "no_benchmark": "缺少行业基准",
    "no_crs": "缺少坐标系",
    "no_geometry_column": "缺少几何列",
    "no_land_data": "缺少用地数据",
    "no_land_left": "宗地用地已分完",
    "not_polygon": "不是面要素",
    "outside_zones": "不在任何片区内",
    "over_allocated": "用地分摊超出宗地面积",
    "overlapping_parcels": "宗地相互重叠",
    "share_out_of_range": "比例超出范围",
    "shared_current_parcel": "多家搬迁企业共用现宗地",
    "shx_restored": "已重建 .shx 索引",
    "storeys_assumed": "层数按假定值",
    "title_rows_skipped": "表头上方标题已跳过",
    "truncated_column": "列名被截断",
    "undecodable_text": "文字编码无法识别",
    "unknown_parcel": "宗地编号不存在",
    "unknown_value": "取值不在代码表中",
    "unmapped_columns": "未对应字段的列",
    "unreadable": "文件无法读取",
    "zero_area": "面积为零",
}

#: The common errors of GDAL, pandas and the codecs in Chinese: (regular expression of the
#: English text, message, fix); ``\\1`` … in the message take the expression's groups.
LIBRARY_MESSAGES: Final[tuple[tuple[str, str, str], ...]] = (
    (
        r"database disk image is malformed|file is not a database",
        "GeoPackage(SQLite 数据库)已损坏或被截断",
        "重新导出或重新复制该文件(复制、下载中断会截断文件)",
    ),
    (
        r"\.shx file is unreadable|Unable to open .*\.shx|SHAPE_RESTORE_SHX",
        "shapefile 的索引文件 .shx 缺失或损坏，且无法自动重建",
        "把同名的 .shx 与 .shp、.dbf 一起复制过来；或用 GIS 软件重新导出",
    ),
    (
        r"Unable to open .*\.dbf|\.dbf.*(corrupt|unreadable)",
        "shapefile 的属性表 .dbf 缺失或损坏",
        "把同名的 .dbf 与 .shp、.shx 一起复制过来；或用 GIS 软件重新导出",
    ),
    (
        r"not recognized as (a supported file format|being in a supported file format)",
        "文件格式无法识别(扩展名与内容不符，或文件已损坏)",
        "确认文件完整，且扩展名与实际格式一致",
    ),
    (
        r"(JSON parsing error|Failed to read GeoJSON|GeoJSON object too complex)",
        "GeoJSON 内容不完整或格式有误",
        "用 GIS 软件重新导出该文件，或检查文件是否被截断",
    ),
    (
        r"Expected (\d+) fields in line (\d+), saw (\d+)",
        "第 \\2 行有 \\3 个值，而表头只有 \\1 列",
        "检查该行是否多了逗号；含逗号的值要用英文双引号括起来",
    ),
    (
        r"No columns to parse from file",
        "文件是空的，没有表头",
        "第一行应为列名",
    ),
    (
        r"codec can't decode byte",
        "文件中有无法识别的字节(编码不是 UTF-8、GBK 或 Big5)",
        "另存为 UTF-8 编码；shapefile 请附上写明编码的 .cpg 文件(如 GBK 或 UTF-8)",
    ),
    (r"Permission denied", "没有读取该文件的权限", "检查文件权限，或把文件复制到可读的位置"),
    (r"No such file or directory", "找不到文件", "检查路径与文件名"),
)

# --------------------------------------------------------------------------- workbook columns

#: Header prefix of an input file's own column that no contract field takes, kept unmapped
#: (``extra:规划用途`` in the result is headed ``附加:规划用途`` in the workbook).
EXTRA_HEADER: Final = "附加:"

#: Chinese headers with units of the result's columns, for the workbook and the app (the
#: input fields' own labels come from the schema).
COLUMN_LABELS: Final[Mapping[str, str]] = {
    "parcel_id": "宗地编号",
    "zone_id": "片区编号",
    "zone_name": "片区",
    "geom_area_m2": "实测面积(m²)",
    "land_area_m2": "用地面积(m²)",
    "land_area_mu": "用地面积(亩)",
    "area_mismatch": "面积不符",
    "floor_area_m2": "建筑面积(m²)",
    "footprint_area_m2": "建筑占地面积(m²)",
    "far": "容积率",
    "coverage": "建筑系数",
    "min_far": "容积率下限",
    "max_far": "容积率上限",
    "far_utilization": "容积率利用率",
    "n_occupants": "用地企业数(家)",
    "output_wan": "工业总产值(万元)",
    "revenue_wan": "营业收入(万元)",
    "tax_wan": "税收(万元)",
    "value_added_wan": "工业增加值(万元)",
    "output_per_mu": "亩均产值(万元/亩)",
    "tax_per_mu": "亩均税收(万元/亩)",
    "value_added_per_mu": "亩均增加值(万元/亩)",
    "revenue_per_mu": "亩均营业收入(万元/亩)",
    "parcel_class": "宗地类别",
    "undeveloped": "未开发",
    "idle": "闲置",
    "idle_years": "闲置年限(年)",
    "idle_action": "闲置处置",
    "idle_fee_wan": "土地闲置费(万元)",
    "inefficient": "低效",
    "inefficient_reasons": "低效原因",
    "vacate_candidate": "列入腾笼换鸟",
    "vacate_reasons": "腾笼换鸟理由",
    "densify_candidate": "列入零地增资",
    "target_far": "目标容积率",
    "extra_floor_area_m2": "可增建筑面积(m²)",
    "est_extra_output_wan": "预计新增产值(万元)(潜力上限)",
    "est_extra_tax_wan": "预计新增税收(万元)(潜力上限)",
    "main_credit_code": "主要用地企业信用代码",
    "main_industry_code": "主要企业行业代码",
    "tax_per_mu_prev": "上年亩均税收(万元/亩)",
    "tax_per_mu_growth": "亩均税收增长率",
    "potential_output_wan": "按片区亩均水平可产出产值(万元)(潜力上限)",
    "potential_tax_wan": "按片区亩均水平可产出税收(万元)(潜力上限)",
    # revision 2 (rules.md §8)
    "tax_per_mu_3y": "近三年亩均税收(万元/亩)",
    "n_years_3y": "近三年有数据年数(年)",
    "in_construction": "在建",
    "government_delay": "政府原因闲置",
    "reclaim_candidate": "列入无偿收回",
    "buyback_candidate": "列入收储改造",
    "disposition": "处置方式",
    "disposition_reasons": "处置理由",
    "priority": "优先级",
    "tier": "梯队",
    "coverage_kind": "建筑系数口径",
    "n_tall_buildings": "层高超8米建筑(栋)",
    "zone_tax_per_mu": "片区亩均税收(万元/亩)",
    "zone_output_per_mu": "片区亩均产值(万元/亩)",
    "main_name": "主要用地企业",
    "enterprise_zone": "片区",
    "occupied_floor_m2": "使用建筑面积(m²)",
    "sf_tenant": "标准厂房租户",
    "in_construction_mu": "在建(亩)",
    "reclaim_mu": "无偿收回(亩)",
    "buyback_mu": "收储改造(亩)",
    "densify_mu": "零地增资(亩)",
    "credit_code": "统一社会信用代码",
    "credit_code_valid": "代码校验通过",
    "name": "企业名称",
    "year": "年度",
    "industry_code": "行业代码",
    "above_scale": "规上",
    "parcel_ids": "宗地编号",
    "score": "综合得分(分)",
    "class": "类别",
    "class_reason": "分类说明",
    "n_parcels": "宗地数(宗)",
    "n_enterprises": "企业数(家)",
    "n_above_scale": "规上企业数(家)",
    "undeveloped_mu": "未开发(亩)",
    "idle_mu": "闲置(亩)",
    "inefficient_mu": "低效(亩)",
    "vacate_mu": "腾笼换鸟(亩)",
    **INDICATOR_LABELS,
}

# --------------------------------------------------------------------------- overview

#: Headline keys with their Chinese label and unit, in display order.
HEADLINE_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "land_area_mu": ("用地面积", "亩"),
    "n_parcels": ("宗地数", "宗"),
    "n_enterprises": ("企业数", "家"),
    "n_above_scale": ("规上企业数", "家"),
    "output_wan": ("工业总产值", "万元"),
    "tax_wan": ("税收", "万元"),
    "output_per_mu": ("亩均产值", "万元/亩"),
    "tax_per_mu": ("亩均税收", "万元/亩"),
    "far": ("综合容积率", ""),
    "idle_mu": ("闲置土地", "亩"),
    "undeveloped_mu": ("未开发土地", "亩"),
    "inefficient_mu": ("低效用地", "亩"),
    "vacate_mu": ("腾笼换鸟", "亩"),
    "n_vacate": ("腾笼换鸟", "宗"),
    "n_densify": ("零地增资", "宗"),
    "extra_floor_area_m2": ("零地增资可增建筑面积", "m²"),
    # revision 2 (rules.md §8): 在建 and one disposition per parcel
    "in_construction_mu": ("在建用地", "亩"),
    "reclaim_mu": ("无偿收回", "亩"),
    "n_reclaim": ("无偿收回", "宗"),
    "buyback_mu": ("收储改造", "亩"),
    "n_buyback": ("收储改造", "宗"),
    "densify_mu": ("零地增资", "亩"),
    "inefficient_share": ("低效用地占比", "%"),
    "in_construction_share": ("在建用地占比", "%"),
    "reclaim_share": ("无偿收回用地占比", "%"),
    "buyback_share": ("收储改造用地占比", "%"),
    "vacate_share": ("腾笼换鸟用地占比", "%"),
    "densify_share": ("零地增资用地占比", "%"),
    "est_extra_tax_wan": ("零地增资预计新增税收(潜力上限)", "万元"),
    "potential_tax_wan": ("收回、收储、腾退用地按片区水平可产出税收(潜力上限)", "万元"),
}
#: Short labels of headline figures where a screen has little room: key -> (label with
#: unit, what it means).
HEADLINE_SHORT_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "est_extra_tax_wan": (
        "新增税收潜力上限(万元)",
        "零地增资宗地按现有单位建筑面积税收估算的新增税收，是潜力上限而非预测",
    ),
}
#: GB/T 4754-2017 divisions met in an industrial park (two-digit code -> name).
INDUSTRY_DIVISIONS: Final[Mapping[str, str]] = {
    "13": "农副食品加工业",
    "14": "食品制造业",
    "15": "酒、饮料和精制茶制造业",
    "16": "烟草制品业",
    "17": "纺织业",
    "18": "纺织服装、服饰业",
    "19": "皮革、毛皮、羽毛及其制品和制鞋业",
    "20": "木材加工和木、竹、藤、棕、草制品业",
    "21": "家具制造业",
    "22": "造纸和纸制品业",
    "23": "印刷和记录媒介复制业",
    "24": "文教、工美、体育和娱乐用品制造业",
    "25": "石油、煤炭及其他燃料加工业",
    "26": "化学原料和化学制品制造业",
    "27": "医药制造业",
    "28": "化学纤维制造业",
    "29": "橡胶和塑料制品业",
    "30": "非金属矿物制品业",
    "31": "黑色金属冶炼和压延加工业",
    "32": "有色金属冶炼和压延加工业",
    "33": "金属制品业",
    "34": "通用设备制造业",
    "35": "专用设备制造业",
    "36": "汽车制造业",
    "37": "铁路、船舶、航空航天和其他运输设备制造业",
    "38": "电气机械和器材制造业",
    "39": "计算机、通信和其他电子设备制造业",
    "40": "仪器仪表制造业",
    "41": "其他制造业",
    "42": "废弃资源综合利用业",
    "43": "金属制品、机械和设备修理业",
    "44": "电力、热力生产和供应业",
    "45": "燃气生产和供应业",
    "46": "水的生产和供应业",
}

# --- zone roles (片区定位) ---

#: Headers of the zone-fit columns (lcgis.engine.zonefit): a firm's zone role and whether it
#: fits the zone's leading industries; per zone its role, leading industries and the land and
#: output of the firms that fit.
ZONE_FIT_LABELS: Final[Mapping[str, str]] = {
    "zone_role": "片区定位",
    "zone_leading_industries": "片区主导产业",
    "fits_zone": "符合片区主导产业",
    "role": "片区定位",
    "leading_industries": "主导产业",
    "known_land_mu": "有行业代码企业用地(亩)",
    "fit_land_mu": "主导产业企业用地(亩)",
    "fit_land_share": "主导产业用地占比",
    "known_output_wan": "有行业代码企业产值(万元)",
    "fit_output_wan": "主导产业企业产值(万元)",
    "fit_output_share": "主导产业产值占比",
}
#: The 说明 sheet's (and the 总览's) note on the zone-fit columns.
ZONE_FIT_NOTE: Final = (
    "企业是否符合片区主导产业：按企业所属片区(其用地最多的宗地所在片区)的主导产业，"
    "比较企业行业代码的前两位(GB/T 4754-2017 大类)；"
    "企业无行业代码、片区外或片区未列主导产业时不判定。"
    "主导产业用地占比 = 符合主导产业企业的分摊用地(亩) ÷ 该片区有行业代码企业的分摊用地(亩)；"
    "产值占比同理(工业总产值，万元)。每家企业的全部用地和产值计入其所属片区。"
)

# --------------------------------------------------------------------------- maps

#: Figures the map can be coloured by, in menu order: key -> (Chinese label, unit).
MAP_INDICATOR_LABELS: Final[Mapping[str, tuple[str, str]]] = {
    "parcel_class": ("宗地类别(A/B/C/D/T)", ""),
    "disposition": ("处置方式", ""),
    "tier": ("处置梯队(近期/中期/储备)", ""),
    "tax_per_mu": (INDICATOR_NAMES["tax_per_mu"], INDICATOR_UNITS["tax_per_mu"]),
    "output_per_mu": (INDICATOR_NAMES["output_per_mu"], INDICATOR_UNITS["output_per_mu"]),
    "far": ("容积率", ""),
    "coverage": ("建筑系数", "%"),
    "tax_per_mu_growth": ("亩均税收增长率", "%"),
    "land_area_mu": ("用地面积", "亩"),
    "review_status": ("核查状态", ""),
}
#: Classification schemes (mapclassify) with their Chinese names.
SCHEME_LABELS: Final[Mapping[str, str]] = {
    "quantiles": "分位数",
    "natural_breaks": "自然间断(Jenks)",
    "rules": "规则阈值",
}
#: Datums the map can show: key -> Chinese note shown on the map.
DATUM_LABELS: Final[Mapping[str, str]] = {
    "wgs84": "坐标基准：WGS-84 / CGCS2000(与存储数据一致)",
    "gcj02": "坐标基准：GCJ-02(为对齐高德底图，仅显示时偏移；存储数据未改动)",
}
#: Themes of the printed park maps: key -> Chinese title.
THEME_LABELS: Final[Mapping[str, str]] = {
    "classes": "宗地类别(主要用地企业的亩均效益类别)",
    "dispositions": "处置方式",
    "land": "闲置、未开发与低效用地",
}

# --------------------------------------------------------------------------- relocation plan

#: What a relocation plan maximises, and its Chinese name.
OBJECTIVES: Final = ("tax", "output")
OBJECTIVE_LABELS: Final[Mapping[str, str]] = {"tax": "税收", "output": "产值"}
#: Reasons given for a mover left without a site.
RELOCATION_REASONS: Final = (
    "no_zone",
    "no_parcel",
    "outbid",
    "not_worth",
    "not_freed",
    "not_proven",
)
RELOCATION_REASON_LABELS: Final[Mapping[str, str]] = {
    "no_zone": "没有以该行业为主导产业的片区",
    "no_parcel": "没有面积合适的地块",
    "outbid": "合适地块已分配给收益更高的企业",
    "not_worth": "迁入后预期收益不高于现状，不安排",
    "not_freed": "合适地块的现用企业未搬出",
    "not_proven": "求解未证明最优，本次未安排",
}
#: Statuses of the MILP solver (scipy.optimize.milp) in Chinese.
SOLVER_STATUS_LABELS: Final[Mapping[int, str]] = {
    0: "已证明最优",
    1: "达到时间或迭代上限，未证明最优",
    2: "模型不可行",
    3: "模型无界",
    4: "求解器异常",
}
#: Kinds of free land a mover may be placed on (codes of the ``kinds`` column).
FREE_KINDS: Final = ("reclaim", "buyback", "vacate", "undeveloped", "user", "mover_current")
FREE_KIND_LABELS: Final[Mapping[str, str]] = {
    "reclaim": "无偿收回",
    "buyback": "收储改造",
    "vacate": "腾笼换鸟",
    "undeveloped": "未出让空地",
    "user": "指定",
    "mover_current": "搬迁企业现用地",
}
#: Chinese headers (with units) of the plan table.
PLAN_LABELS: Final[Mapping[str, str]] = {
    "mover_id": "搬迁企业编号",
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "industry_code": "行业代码",
    "need_mu": "需求用地(亩)",
    "parcel_ids": "安排宗地编号",
    "n_parcels": "宗地数(宗)",
    "zone_id": "片区编号",
    "zone_name": "片区",
    "land_mu": "安排用地(亩)",
    "fit": "用地/需求",
    "expected_output_per_mu": "预期亩均产值(万元/亩)",
    "expected_tax_per_mu": "预期亩均税收(万元/亩)",
    "expected_output_wan": "预期产值(万元)",
    "expected_tax_wan": "预期税收(万元)",
    "given_up_output_wan": "迁出放弃产值(万元)",
    "given_up_tax_wan": "迁出放弃税收(万元)",
    "displaced_output_wan": "地块原有企业腾退产值(万元)",
    "displaced_tax_wan": "地块原有企业腾退税收(万元)",
    "net_output_wan": "园区净增产值(万元)",
    "net_tax_wan": "园区净增税收(万元)",
    "industry_match": "符合片区主导产业",
    "penalty_wan": "产业不符罚减(万元)",
    "objective_wan": "计入目标值(万元)",
    "benchmark_used": "预期值来源",
    "current_parcel_id": "现用宗地编号",
    "reason": "说明",
}
#: Figures of the before/after table: code -> Chinese label with unit.
FIGURE_LABELS: Final[Mapping[str, str]] = {
    "land_area_mu": "用地面积(亩)",
    "in_use_mu": "在用土地(亩)",
    "idle_undeveloped_mu": "闲置及未开发土地(亩)",
    "freed_mu": "腾出待用土地(亩)",
    "output_wan": "工业总产值(万元)",
    "tax_wan": "税收(万元)",
    "output_per_mu": "亩均产值(万元/亩)",
    "tax_per_mu": "亩均税收(万元/亩)",
    "n_class_a": "A类宗地(宗)",
    "n_class_b": "B类宗地(宗)",
    "n_class_c": "C类宗地(宗)",
    "n_class_d": "D类宗地(宗)",
    "n_new": "新入驻宗地(宗)",
}
#: Chinese headers of the before/after table (the figure's label carries its unit).
BEFORE_AFTER_LABELS: Final[Mapping[str, str]] = {
    "zone_id": "片区编号",
    "zone_name": "片区",
    "label": "指标",
    "before": "搬迁前",
    "after": "搬迁后",
    "change": "变化",
    "target": "规划目标",
    "to_target": "距目标",
}
#: Kinds of features on the plan's map: code -> Chinese name.
PLAN_MAP_KIND_LABELS: Final[Mapping[str, str]] = {
    "free": "空闲地块(未安排)",
    "vacated": "腾出地块",
    "site": "安排地块",
    "move": "搬迁路线",
}
#: Figures of the before/after charts: code -> Chinese title with unit.
CHART_FIGURE_LABELS: Final[Mapping[str, str]] = {
    "tax_wan": "税收(万元)",
    "output_wan": "工业总产值(万元)",
}
#: Totals of a saved plan: code -> Chinese label with unit.
PLAN_TOTAL_LABELS: Final[Mapping[str, str]] = {
    "n_movers": "搬迁企业(家)",
    "n_placed": "已安排(家)",
    "n_unplaced": "未安排(家)",
    "land_mu": "安排用地(亩)",
    "expected_output_wan": "预期产值(万元)",
    "expected_tax_wan": "预期税收(万元)",
    "net_output_wan": "园区净增产值(万元)",
    "net_tax_wan": "园区净增税收(万元)",
}

# --------------------------------------------------------------------------- enterprise list

#: Chinese headers of the enterprise list on the screens (ranked within their group).
ENTERPRISE_LIST_LABELS: Final[Mapping[str, str]] = {
    "group_label": "评价组",
    "rank_in_group": "组内排名",
    "n_in_group": "组内企业数(家)",
    "name": COLUMN_LABELS["name"],
    "credit_code": COLUMN_LABELS["credit_code"],
    "zone": "片区",
    "division": "行业",
    "above_scale": "规上",
    "land_area_mu": COLUMN_LABELS["land_area_mu"],
    "tax_per_mu": INDICATOR_LABELS["tax_per_mu"],
    "value_added_per_mu": INDICATOR_LABELS["value_added_per_mu"],
    "output_per_mu": INDICATOR_LABELS["output_per_mu"],
    "tax_per_floor_m2": INDICATOR_LABELS["tax_per_floor_m2"],
    "score": COLUMN_LABELS["score"],
    "class": COLUMN_LABELS["class"],
    "class_reason": COLUMN_LABELS["class_reason"],
}
#: Headers of the picked enterprises' table.
PICKED_ENTERPRISE_LABELS: Final[Mapping[str, str]] = {
    "name": "企业名称",
    "parcel_ids": "宗地编号",
    "class": "类别",
}
#: Headers of the sensitivity table (``lcgis.engine.evaluate.sensitivity``).
SENSITIVITY_LABELS: Final[Mapping[str, str]] = {
    "credit_code": "统一社会信用代码",
    "name": "企业名称",
    "scenario": "情景",
    "parameter": "规则参数",
    "delta": "变动",
    "class_before": "原类别",
    "class_after": "新类别",
}

# --- plans (规划目标) ---

#: Status of a plan target in the assessment (``lcgis.engine.assessment``): reached and
#: not_reached only for a park or zone target; a district (全区) target is context.
PLAN_STATUSES: Final = ("reached", "not_reached", "context", "beside", "no_data")
PLAN_STATUS_LABELS: Final[Mapping[str, str]] = {
    "reached": "已达到",
    "not_reached": "未达到",
    "context": "全区目标(园区数仅作参照)",
    "beside": "参照(目标为园区整体)",
    "no_data": "无数据",
}
#: Figures the assessment computes from the enterprise years (chains: CHAIN_OUTPUT_LABEL).
PLAN_FIGURES: Final = (
    "above_scale_output_yi",
    "high_tech_output_yi",
    "high_tech_output_share",
    "industry_value_added_yi",
    "firms_output_over_1yi",
    "firms_output_over_10yi",
    "firms_revenue_over_10yi",
    "specialised_sme",
    "provincial_leading",
    "listed",
    "high_tech",
    "firms",
    "above_scale_firms",
    "below_scale_firms",
)
PLAN_FIGURE_LABELS: Final[Mapping[str, str]] = {
    "above_scale_output_yi": "规上工业产值(亿元)",
    "high_tech_output_yi": "高新技术企业规上产值(亿元)",
    "high_tech_output_share": "高新技术企业产值占规上产值比例",
    "industry_value_added_yi": "工业增加值(亿元)",
    "firms_output_over_1yi": "产值超亿元企业(家)",
    "firms_output_over_10yi": "产值超10亿元企业(家)",
    "firms_revenue_over_10yi": "营收超10亿元企业(家)",
    "specialised_sme": "专精特新企业(家)",
    "provincial_leading": "省级龙头企业(家)",
    "listed": "上市企业(家)",
    "high_tech": "高新技术企业(家)",
    "firms": "企业(家)",
    "above_scale_firms": "规上企业(家)",
    "below_scale_firms": "规下企业(家)",
}
#: Name of a chain's output figure (``chain_<key>_yi``), from the chain's name.
CHAIN_OUTPUT_LABEL: Final = "{name}产业链产值(亿元)"
#: Names of the plan's targets and baselines the enterprise data cannot count.
PLAN_OTHER_LABELS: Final[Mapping[str, str]] = {
    "gdp_yi": "地区生产总值(亿元)",
    "provincial_high_growth": "省级高成长企业(家)",
    "provincial_single_champion": "省级单项冠军企业(家)",
    "service_manufacturing_demo": "省级服务型制造示范企业(家)",
    "key_tech_upgrade_projects": "省市级重点技术改造项目(个，累计)",
    "industrial_investment_growth": "工业投资年均增长率",
    "approved_area_km2": "核准规划面积(km²)",
    "benefit_per_mu": "亩均产出效益(万元/亩)",
}
#: Names of the assessment's scopes (zones by their names).
#: The plan targets the 总览 shows beside its figures (the rest are on the 规划 screen).
HEADLINE_TARGETS: Final = (
    "above_scale_output_yi",
    "high_tech_output_share",
    "firms_output_over_1yi",
    "specialised_sme",
    "chain_textile_yi",
    "chain_machinery_yi",
    "chain_electronics_yi",
)
PLAN_SCOPE_LABELS: Final[Mapping[str, str]] = {"全区": "全区", "园区": "园区(全园)"}
#: Headers of the assessment table (the 规划目标 sheet and screen); value_<year> -> <year>年.
ASSESSMENT_LABELS: Final[Mapping[str, str]] = {
    "plan": "规划",
    "target": "目标",
    "target_scope": "目标范围",
    "scope": "统计范围",
    "unit": "单位",
    "wording": "规划原文",
    "target_value": "目标值",
    "baseline_year": "基数年份",
    "baseline_value": "规划基数",
    "latest_year": "最新年度",
    "latest_value": "最新值",
    "share_reached": "完成度",
    "growth_needed": "所需年均增速",
    "status": "状态",
}
#: Header of a year's figure in the assessment table.
ASSESSMENT_YEAR_LABEL: Final = "{year}年"
#: Names of the plan sources in the workbook's 说明 sheet.
PLAN_SOURCE_LABELS: Final[Mapping[str, str]] = {"chains": "产业链", "plans": "规划目标"}

# --------------------------------------------------------------------------- data

#: The word by which a dataset says it is illustrative (the embedded demo, lcgis.demo): the
#: exports and the 体检表 then say so too.
ILLUSTRATIVE: Final = "示意数据"
