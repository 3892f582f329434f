"""The canonical fields of every input layer, as one table.

This table drives loading (aliases, units, value recoding), validation (types,
required fields) and the Chinese labels of exports.  It mirrors the data contract.

>>> FIELDS["parcels"]["registered_area_m2"].label
'登记面积(m²)'
>>> canonical_name("parcels", " 宗地编号 ")
'parcel_id'
>>> canonical_name("enterprises", "实缴税金")
'tax_wan'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["str", "float", "int", "date", "bool", "enum", "code"]
UnitKind = Literal["area", "money", None]

#: Square metres per 亩 (1 亩 = 10000/15 m²).
M2_PER_MU = 10000.0 / 15.0

#: Conversion factors to the canonical unit (m² for areas, 万元 for money).
AREA_UNITS: dict[str, float] = {
    "m2": 1.0,
    "ft2": 0.09290341161327487,  # US survey foot squared
    "mu": M2_PER_MU,
    "ha": 10000.0,
    "km2": 1_000_000.0,
}
MONEY_UNITS: dict[str, float] = {"yuan": 1e-4, "wan": 1.0, "yi": 1e4}


@dataclass(frozen=True)
class Field:
    """One canonical field of an input layer."""

    name: str
    kind: Kind
    label: str
    aliases: tuple[str, ...] = ()
    unit: UnitKind = None
    required: bool = False
    #: For enums: accepted spellings (Chinese or English) -> canonical value.
    values: dict[str, str] = field(default_factory=dict)


def _enum(*pairs: tuple[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for zh, en in pairs:
        out[zh] = en
        out[en] = en
    return out


LAND_USE = _enum(
    ("工业", "industrial"), ("仓储", "warehouse"), ("空地", "vacant"), ("其他", "other")
)
CONSTRUCTION_STATUS = _enum(
    ("未动工", "not_started"),
    ("在建", "under_construction"),
    ("停工", "suspended"),
    ("竣工", "completed"),
)
BUILDING_STATUS = _enum(
    ("在用", "in_use"), ("空置", "vacant"), ("在建", "under_construction"), ("危旧", "dilapidated")
)
TENURE = _enum(("自有", "own"), ("租赁", "lease"))

_F = Field
FIELDS: dict[str, dict[str, Field]] = {
    "zones": {
        f.name: f
        for f in (
            _F("zone_id", "str", "片区编号", ("片区编号",), required=True),
            _F("zone_name", "str", "片区名称", ("片区名称",)),
            _F("role", "str", "功能定位", ("功能定位",)),
            _F("leading_industries", "str", "主导产业", ("主导产业",)),
            _F("remark", "str", "备注", ("备注", "说明")),
        )
    },
    "parcels": {
        f.name: f
        for f in (
            _F(
                "parcel_id",
                "str",
                "宗地编号",
                ("宗地编号", "宗地代码", "地块编号", "不动产单元号"),
                required=True,
            ),
            _F("land_use", "enum", "用地性质", ("用地性质", "土地用途"), values=LAND_USE),
            _F(
                "registered_area_m2",
                "float",
                "登记面积(m²)",
                ("宗地面积", "登记面积", "土地面积", "用地面积", "出让面积"),
                unit="area",
            ),
            _F("floor_area_m2", "float", "总建筑面积(m²)", ("总建筑面积", "计容建筑面积"), "area"),
            _F(
                "footprint_area_m2",
                "float",
                "建筑占地面积(m²)",
                ("建筑占地面积", "基底面积"),
                "area",
            ),
            _F("max_far", "float", "容积率上限", ("容积率上限", "规划容积率")),
            _F("min_far", "float", "容积率下限", ("容积率下限",)),
            _F("land_user", "str", "土地使用权人", ("土地使用权人",)),
            _F("land_user_code", "code", "权利人统一社会信用代码", ("权利人统一社会信用代码",)),
            _F("grant_date", "date", "出让日期", ("出让日期",)),
            _F("agreed_start_date", "date", "约定动工日期", ("约定动工日期",)),
            _F("agreed_completion_date", "date", "约定竣工日期", ("约定竣工日期",)),
            _F("actual_start_date", "date", "实际动工日期", ("实际动工日期",)),
            _F(
                "construction_status",
                "enum",
                "建设状态",
                ("建设状态",),
                values=CONSTRUCTION_STATUS,
            ),
            _F("suspended_since", "date", "停工日期", ("停工日期",)),
            _F("developed_share", "float", "已开发面积比例", ("已开发面积比例",)),
            _F("invested_share", "float", "已投资比例", ("已投资比例",)),
            _F("land_price_wan", "float", "出让价款(万元)", ("出让价款",), unit="money"),
            _F("standard_factory", "bool", "标准厂房", ("标准厂房", "是否标准厂房")),
            _F(
                "structure_area_m2",
                "float",
                "构筑物占地面积(m²)",
                ("构筑物占地面积",),
                unit="area",
            ),
            _F("yard_area_m2", "float", "堆场面积(m²)", ("堆场面积", "堆场占地面积"), unit="area"),
            _F("in_industrial_block", "bool", "工业产业区块线内", ("工业产业区块线内",)),
            _F("remark", "str", "备注", ("备注", "说明")),
        )
    },
    "buildings": {
        f.name: f
        for f in (
            _F("building_id", "str", "建筑编号", ("建筑编号",)),
            _F("floors", "float", "层数", ("层数",)),
            _F("height_m", "float", "高度(m)", ("高度",)),
            _F("floor_area_m2", "float", "建筑面积(m²)", ("建筑面积",), unit="area"),
            _F("status", "enum", "使用状态", ("使用状态",), values=BUILDING_STATUS),
            _F("remark", "str", "备注", ("备注", "说明")),
        )
    },
    "enterprises": {
        f.name: f
        for f in (
            _F("credit_code", "code", "统一社会信用代码", ("统一社会信用代码",), required=True),
            _F("name", "str", "企业名称", ("企业名称", "纳税人名称"), required=True),
            _F("year", "int", "年度", ("年度",)),
            _F("industry_code", "code", "行业代码", ("行业代码",)),
            _F("above_scale", "bool", "是否规上", ("是否规上", "规上")),
            _F("output_wan", "float", "工业总产值(万元)", ("工业总产值",), unit="money"),
            _F("revenue_wan", "float", "营业收入(万元)", ("营业收入",), unit="money"),
            _F("tax_wan", "float", "实缴税金(万元)", ("实缴税金", "税收"), unit="money"),
            _F("value_added_wan", "float", "工业增加值(万元)", ("工业增加值",), unit="money"),
            _F("rd_wan", "float", "研发经费(万元)", ("研发经费",), unit="money"),
            _F("energy_tce", "float", "综合能耗(吨标煤)", ("综合能耗",)),
            _F("emission_t", "float", "主要污染物排放量(吨)", ("主要污染物排放量",)),
            _F("electricity_kwh", "float", "用电量(千瓦时)", ("用电量",)),
            _F("employees", "float", "年平均职工人数(人)", ("年平均职工人数",)),
            _F("production_start_date", "date", "投产日期", ("投产日期",)),
            _F("exempt", "bool", "不参评", ("不参评",)),
            _F("high_tech", "bool", "高新技术企业", ("高新技术企业", "是否高新技术企业", "高企")),
            _F("specialised_sme", "bool", "专精特新", ("专精特新", "专精特新企业", "是否专精特新")),
            _F("listed", "bool", "上市企业", ("上市", "是否上市", "上市企业")),
            _F(
                "provincial_leading",
                "bool",
                "省级龙头",
                ("省级龙头", "省级龙头企业", "省工业龙头企业", "龙头企业"),
            ),
            _F("chain", "str", "所属产业链", ("产业链", "所属产业链")),
            _F("remark", "str", "备注", ("备注", "说明")),
        )
    },
    "occupancy": {
        f.name: f
        for f in (
            _F("credit_code", "code", "统一社会信用代码", ("统一社会信用代码",), required=True),
            _F("parcel_id", "str", "宗地编号", ("宗地编号", "宗地代码", "地块编号"), required=True),
            _F("land_area_m2", "float", "用地面积(m²)", ("用地面积",), unit="area"),
            _F("floor_area_m2", "float", "使用建筑面积(m²)", ("使用建筑面积", "租赁面积"), "area"),
            _F("tenure", "enum", "权属", ("权属",), values=TENURE),
            _F("remark", "str", "备注", ("备注", "说明")),
        )
    },
}

#: Layers that carry geometry.
SPATIAL_LAYERS = ("zones", "parcels", "buildings")
#: Fields that must never be negative (areas and money).
NON_NEGATIVE = {
    layer: tuple(
        f.name
        for f in fields.values()
        if f.unit is not None or f.name in ("energy_tce", "electricity_kwh", "employees")
    )
    for layer, fields in FIELDS.items()
}


def normalize_label(text: str) -> str:
    """Fold a column label for matching: NFKC (full-width to half-width), no spaces, lower case.

    >>> normalize_label(" 宗地\\u3000编号（ＩＤ） ")
    '宗地编号(id)'
    """
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split()).lower()


#: Unit words of headers and titles, and the unit codes they name (longest first).
UNIT_TOKENS: tuple[tuple[str, str], ...] = (
    ("平方米", "m2"), ("㎡", "m2"), ("m²", "m2"), ("m2", "m2"), ("公顷", "ha"), ("ha", "ha"),
    ("亩", "mu"), ("亿元", "yi"), ("万元", "wan"), ("元", "yuan"),
)  # fmt: skip
_UNIT_SUFFIX = re.compile(
    r"[(\[（【]?\s*(平方米|㎡|m²|m2|公顷|ha|亩|亿元|万元|元)\s*[)\]）】]?$", re.IGNORECASE
)


def header_unit(column: str) -> tuple[str, str | None]:
    """The header without its unit suffix, and the unit code it names.

    >>> header_unit("宗地面积(亩)"), header_unit("营业收入（万元）"), header_unit("面积")
    (('宗地面积', 'mu'), ('营业收入', 'wan'), ('面积', None))
    """
    text = str(column).strip()
    m = _UNIT_SUFFIX.search(text)
    if m is None or m.start() == 0:
        return text, None
    token = m.group(1).lower()
    unit = next(code for t, code in UNIT_TOKENS if t.lower() == token)
    return text[: m.start()].rstrip(" _-"), unit


def canonical_name(layer: str, column: str) -> str | None:
    """The canonical field that ``column`` names in ``layer``, by name or alias."""
    key = normalize_label(column)
    for f in FIELDS[layer].values():
        if key == normalize_label(f.name) or any(key == normalize_label(a) for a in f.aliases):
            return f.name
    return None
