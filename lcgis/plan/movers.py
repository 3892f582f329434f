"""Relocation input: the movers table, lists of parcel ids, and the movers' figures.

A mover (搬迁企业) is a firm to be housed: one coming from outside (退城入园, no
credit_code and no current parcel) or one already in the park that would move (腾挪,
current_parcel_id given).  Files are .csv (UTF-8, UTF-8 with BOM, or GBK) or .xlsx; columns
are matched by canonical name or Chinese alias after folding full-width characters and
spaces, and a trailing unit in brackets is ignored (``需求用地(亩)`` = ``需求用地``).

The movers' figures: the expected per-亩 figures, or the benchmark of the industry in a zone
(:func:`expected_rates`), and what an in-park mover gives up (:func:`given_up_figures`).

>>> raw = pd.DataFrame({"企业编号": ["M1", "M2"], "企业名称": ["甲", "乙"],
...     "需求用地（亩）": ["12", "约8"], "行业代码": [3911, "1811"],
...     "预期亩均税收": ["30", ""]})
>>> movers, rep = check_movers(raw, file="movers.csv")
>>> movers[["mover_id", "need_mu", "industry_code", "expected_tax_per_mu"]].to_dict("list")
... # doctest: +NORMALIZE_WHITESPACE
{'mover_id': ['M1', 'M2'], 'need_mu': [12.0, nan], 'industry_code': ['3911', '1811'],
 'expected_tax_per_mu': [30.0, nan]}
>>> print(rep.format())
数据检查：1 个错误，0 个警告
[错误] movers.csv 第3行 字段 need_mu：需求用地(亩)无法识别为数值。处理：填写大于0的亩数，如 12.5
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lcgis.data import guard
from lcgis.data import validate as v
from lcgis.data.encoding import decode_text
from lcgis.data.frame import numbers, ratio
from lcgis.data.industry import division
from lcgis.data.mapping import LayerMapping
from lcgis.data.readers import read_raw
from lcgis.data.schema import Field, normalize_label
from lcgis.data.values import parse_numbers, parse_text
from lcgis.errors import DataError
from lcgis.plan.sites import zone_key

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable

    from lcgis.data.validate import QualityReport

LAYER = "movers"
#: Largest movers file read (bytes): a table of a few hundred firms takes some kilobytes.
MAX_MOVERS_BYTES = 10 * 1024 * 1024
#: The money fields (万元) a mover brings or gives up.
MONEY = ("output_wan", "tax_wan")
#: The canonical fields of a movers file (data-contract style: name, kind, label, aliases).
MOVER_FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field(
            "mover_id", "str", "搬迁企业编号", ("搬迁企业编号", "企业编号", "编号"), required=True
        ),
        Field("name", "str", "企业名称", ("企业名称", "名称"), required=True),
        Field("credit_code", "code", "统一社会信用代码", ("统一社会信用代码", "信用代码")),
        Field(
            "need_mu", "float", "需求用地(亩)", ("需求用地", "用地需求", "需求面积"), required=True
        ),
        Field("industry_code", "code", "行业代码", ("行业代码", "行业"), required=True),
        Field("expected_output_per_mu", "float", "预期亩均产值(万元/亩)", ("预期亩均产值",)),
        Field("expected_tax_per_mu", "float", "预期亩均税收(万元/亩)", ("预期亩均税收",)),
        Field("current_parcel_id", "str", "现用宗地编号", ("现用宗地编号", "现宗地编号")),
        Field("remark", "str", "备注", ("备注", "说明")),
    )
}
#: Column names a parcel-id list may use (besides parcel_id).
PARCEL_ID_ALIASES = ("parcel_id", "宗地编号", "宗地代码", "地块编号", "不动产单元号")
_UNIT_SUFFIX = re.compile(r"\([^()]*\)$")
_INDUSTRY = re.compile(r"^\d{2,4}$")


def _label_key(text: str) -> str:
    """A column label folded for matching, without a trailing unit in brackets.

    >>> _label_key(" 需求用地（亩） "), _label_key("Need_MU")
    ('需求用地', 'need_mu')
    """
    return _UNIT_SUFFIX.sub("", normalize_label(text))


def _canonical(column: str) -> str | None:
    key = _label_key(column)
    for f in MOVER_FIELDS.values():
        names = (f.name, f.label, *f.aliases)
        if any(key == _label_key(n) for n in names):
            return f.name
    return None


def check_movers(
    raw: pd.DataFrame,
    *,
    file: str = "",
    offset: int = 2,
    parcel_ids: Collection[str] | None = None,
) -> tuple[pd.DataFrame, v.QualityReport]:
    """Canonical, typed movers from a raw table, and what is wrong with it.

    Errors (the report's, one issue per field and problem, naming the rows): a required
    column missing; mover_id empty or repeated; name empty; need_mu empty, not a number or
    not above 0; industry_code empty or not 2–4 digits (GB/T 4754-2017); an expected figure
    not a number or negative; current_parcel_id not among ``parcel_ids`` (when given); a
    credit_code repeated.  Warning: a credit_code failing its GB 32100-2015 check character.
    ``offset`` is the file row of the first record (2 under a header line).
    """
    report = v.QualityReport()
    rename: dict[str, str] = {}
    for col in raw.columns:
        name = _canonical(str(col))
        if name is not None and name not in rename.values():
            rename[str(col)] = name
    df = raw.rename(columns={c: rename.get(str(c), c) for c in raw.columns})
    out = pd.DataFrame(index=pd.RangeIndex(len(raw)))
    unreadable: dict[str, pd.Series] = {}
    for f in MOVER_FIELDS.values():
        if f.name not in df.columns:
            if f.required:
                report.add(
                    "error",
                    "missing_column",
                    LAYER,
                    f"缺少必填字段 {f.name}({f.label})",
                    file=file,
                    field=f.name,
                    fix=f"增加该列，列名可用 {f.name} 或 {'、'.join(f.aliases)}",
                )
            if f.kind == "float":
                out[f.name] = np.nan
            else:
                out[f.name] = pd.Series(pd.NA, index=out.index, dtype="string")
            continue
        values = df[f.name].reset_index(drop=True)
        if f.kind == "float":
            out[f.name], unreadable[f.name] = parse_numbers(values)
            _flag(
                report, unreadable[f.name], file, offset, f, "无法识别为数值", _fix_number(f.name)
            )
        else:
            out[f.name] = parse_text(values, code=f.kind == "code")
    bad_need = unreadable.get("need_mu", pd.Series(False, index=out.index))
    _check_values(out, bad_need, report, file, offset, parcel_ids)
    return out, report


def _fix_number(name: str) -> str:
    if name == "need_mu":
        return "填写大于0的亩数，如 12.5"
    return "填写万元/亩的数值，或留空以采用片区同行业基准"


def _flag(
    report: v.QualityReport,
    mask: pd.Series,
    file: str,
    offset: int,
    f: Field,
    what: str,
    fix: str,
    level: v.Level = "error",
) -> None:
    bad = mask.to_numpy(dtype=bool, na_value=False)
    if bad.any():
        report.flag(
            bad,
            level,
            "bad_value",
            LAYER,
            f"{f.label}{what}",
            file=file,
            field=f.name,
            fix=fix,
            offset=offset,
        )


def _check_values(
    out: pd.DataFrame,
    bad_need: pd.Series,
    report: v.QualityReport,
    file: str,
    offset: int,
    parcel_ids: Collection[str] | None,
) -> None:
    f = MOVER_FIELDS
    ids = out["mover_id"]
    _flag(report, ids.isna(), file, offset, f["mover_id"], "为空", "每行都必须填写编号")
    _flag(
        report,
        ids.duplicated(keep=False) & ids.notna(),
        file,
        offset,
        f["mover_id"],
        "重复",
        "每家搬迁企业的编号必须唯一",
    )
    _flag(report, out["name"].isna(), file, offset, f["name"], "为空", "每行都必须填写企业名称")
    need = out["need_mu"]
    empty = need.isna() & ~bad_need
    _flag(report, empty, file, offset, f["need_mu"], "为空", _fix_number("need_mu"))
    _flag(report, need <= 0, file, offset, f["need_mu"], "不大于0", _fix_number("need_mu"))
    ind = out["industry_code"]
    _flag(
        report,
        ind.isna(),
        file,
        offset,
        f["industry_code"],
        "为空",
        "填写 GB/T 4754-2017 行业代码(至少两位，如 3911)",
    )
    _flag(
        report,
        ind.notna() & ~ind.str.fullmatch(_INDUSTRY).fillna(False).astype(bool),
        file,
        offset,
        f["industry_code"],
        "不是 2–4 位数字",
        "填写 GB/T 4754-2017 行业代码，如 39 或 3911",
    )
    for name in ("expected_output_per_mu", "expected_tax_per_mu"):
        _flag(report, out[name] < 0, file, offset, f[name], "为负数", "改为不小于0的数值或留空")
    codes = out["credit_code"]
    _flag(
        report,
        codes.duplicated(keep=False) & codes.notna(),
        file,
        offset,
        f["credit_code"],
        "重复：同一企业出现多次",
        "每家企业只列一行",
    )
    _flag(
        report,
        ~v.credit_codes_valid(codes).fillna(True).astype(bool),
        file,
        offset,
        f["credit_code"],
        "未通过 GB 32100-2015 校验位检查",
        "核对18位代码；园区外新引进企业可留空",
        level="warning",
    )
    if parcel_ids is not None:
        cur = out["current_parcel_id"]
        unknown = cur.notna() & ~cur.isin(list(parcel_ids))
        if unknown.any():
            sample = "、".join(cur[unknown].drop_duplicates().head(5).tolist())
            _flag(
                report,
                unknown,
                file,
                offset,
                f["current_parcel_id"],
                f"在宗地图层中不存在(如 {sample})",
                "核对宗地编号；园区外新引进企业留空",
            )


def read_movers_table(
    path: str | Path, *, parcel_ids: Collection[str] | None = None
) -> tuple[pd.DataFrame | None, v.QualityReport]:
    """A movers file (.csv/.xlsx) as a canonical table, and what is wrong with it.

    Never raises for bad data: a value that is not a number comes back empty and is reported
    (so a screen can show the table for correction); ``None`` when the file cannot be read.
    """
    path = Path(path)
    report = v.QualityReport()
    if path.suffix.lower() not in (".csv", ".xlsx"):
        report.add(
            "error",
            "unreadable",
            LAYER,
            "搬迁企业文件应为 .csv 或 .xlsx",
            file=path.name,
            fix="另存为 CSV(UTF-8 或 GBK)或 Excel(.xlsx)",
        )
        return None, report
    if not path.is_file():
        report.add("error", "missing_file", LAYER, f"找不到文件 {path}", file=path.name)
        return None, report
    if path.stat().st_size > MAX_MOVERS_BYTES:
        report.add(
            "error",
            "unreadable",
            LAYER,
            f"搬迁企业文件太大(超过 {MAX_MOVERS_BYTES // 1024**2} MB)，未读取",
            file=path.name,
            fix="搬迁企业表只需每家企业一行；请检查是否选错文件",
        )
        return None, report
    with tempfile.TemporaryDirectory(prefix="lcgis-") as tmp:
        raw = read_raw(path, LAYER, LayerMapping(), report, Path(tmp))
    if raw is None:
        return None, report
    movers, found = check_movers(
        raw.frame, file=path.name, offset=raw.offset, parcel_ids=parcel_ids
    )
    report.extend(found)
    return movers, report


def read_movers(
    path: str | Path, *, parcel_ids: Collection[str] | None = None
) -> tuple[pd.DataFrame, v.QualityReport]:
    """Movers from a .csv or .xlsx file, with the warnings found.

    Raises :class:`DataError` carrying the report when the file is missing, unreadable or
    has errors: nothing is half-loaded.
    """
    movers, report = read_movers_table(path, parcel_ids=parcel_ids)
    if movers is None or report.has_errors:
        first = report.errors[0].message if report.errors else "无法读取"
        raise DataError(f"搬迁企业文件有错误：{first}", report)
    if movers.empty:
        report.add("error", "empty_layer", LAYER, "没有任何搬迁企业", file=Path(path).name)
        raise DataError("搬迁企业文件为空", report)
    movers.attrs["file"] = Path(path).name  # named in the plan's warnings
    return movers, report


def read_parcel_ids(path: str | Path, known: Iterable[str], *, option: str = "") -> list[str]:
    """Parcel ids listed in a file: one per line in a text file, or a parcel_id column.

    A .csv/.xlsx needs a parcel_id (or 宗地编号 …) column; any other file is read as text,
    one id per line (blank lines and lines starting with # are skipped).  Ids not in
    ``known`` raise :class:`DataError` naming their rows.
    """
    path = Path(path)
    report = v.QualityReport()
    label = f"{option} 指定的" if option else ""
    if not path.is_file():
        report.add("error", "missing_file", LAYER, f"找不到{label}宗地清单 {path}", file=path.name)
        raise DataError(f"找不到{label}宗地清单", report)
    ext = path.suffix.lower()
    if ext in (".csv", ".xlsx"):
        with tempfile.TemporaryDirectory(prefix="lcgis-") as tmp:
            raw = read_raw(path, LAYER, LayerMapping(), report, Path(tmp))
        if raw is None:
            raise DataError(f"{label}宗地清单无法读取", report)
        frame, offset = raw.frame, raw.offset
        keys = {normalize_label(a) for a in PARCEL_ID_ALIASES}
        col = next((c for c in frame.columns if normalize_label(str(c)) in keys), None)
        if col is None:
            report.add(
                "error",
                "missing_column",
                LAYER,
                "宗地清单中没有宗地编号列",
                file=path.name,
                field="parcel_id",
                fix=f"增加 parcel_id 列(或 {'、'.join(PARCEL_ID_ALIASES[1:])})，"
                "或改用每行一个编号的文本文件",
            )
            raise DataError(f"{label}宗地清单缺少宗地编号列", report)
        ids = parse_text(frame[col]).reset_index(drop=True)
        rows = pd.Series(np.arange(len(ids)) + offset)
    else:
        try:
            guard.check_file(path, guard.Limits.from_env())
            text_all = decode_text(path.read_bytes())[0]
        except (UnicodeError, guard.HostileFileError) as exc:
            report.add(
                "error", "unreadable", LAYER, f"{label}宗地清单无法读取：{exc}", file=path.name,
                fix="另存为 UTF-8 编码的文本文件，每行一个宗地编号",
            )  # fmt: skip
            raise DataError(f"{label}宗地清单无法读取", report) from exc
        lines = pd.Series(text_all.splitlines(), dtype=object)
        text = lines.map(lambda s: unicodedata.normalize("NFKC", str(s)).strip())
        keep = (text != "") & ~text.str.startswith("#")
        ids = text[keep].astype("string").reset_index(drop=True)
        rows = pd.Series(np.flatnonzero(keep.to_numpy()) + 1)
    present = ids.notna()
    known_set = set(map(str, known))
    unknown = present & ~ids.isin(known_set)
    if unknown.any():
        sample = "、".join(ids[unknown].drop_duplicates().head(5).tolist())
        report.add(
            "error",
            "unknown_parcel",
            LAYER,
            f"{label}宗地编号在宗地图层中不存在(如 {sample})",
            file=path.name,
            rows=rows[unknown.to_numpy()].tolist(),
            field="parcel_id",
            fix="核对宗地编号(区分大小写，每行一个)",
        )
        raise DataError(f"{label}宗地清单中有未知的宗地编号", report)
    return list(dict.fromkeys(ids[present].tolist()))


# --- figures of the movers --------------------------------------------------------------------


def industry_benchmarks(parcels: pd.DataFrame) -> pd.DataFrame:
    """Per-亩 benchmarks (万元/亩) by zone and 2-digit industry, with zone and park rows.

    level ``industry`` (parcels of the zone whose main occupant has that 2-digit industry),
    ``zone`` (industry2 ''), ``park`` (zone_id and industry2 ''); each figure = Σ F ÷ Σ
    land_area_mu over the parcels having F and land.

    >>> p = pd.DataFrame({"zone_id": ["n", "n", "s"], "main_industry_code": ["3911", "1811", None],
    ...     "land_area_mu": [10.0, 10.0, 20.0], "output_wan": [3000.0, 1000.0, np.nan],
    ...     "tax_wan": [300.0, 100.0, 100.0]})
    >>> b = industry_benchmarks(p)
    >>> b[["level", "zone_id", "industry2", "tax_per_mu"]].values.tolist()
    ... # doctest: +NORMALIZE_WHITESPACE
    [['industry', 'n', '18', 10.0], ['industry', 'n', '39', 30.0], ['zone', 'n', '', 20.0],
     ['zone', 's', '', 5.0], ['park', '', '', 12.5]]
    >>> b["output_per_mu"].tolist()
    [100.0, 300.0, 200.0, nan, 200.0]
    """
    land = numbers(parcels, "land_area_mu")
    ind = parcels.get("main_industry_code")
    base = pd.DataFrame(
        {
            "zone_id": zone_key(parcels),
            "industry2": "" if ind is None else division(pd.Series(ind)).fillna("").to_numpy(),
        }
    )
    for money in MONEY:
        ok = ~np.isnan(numbers(parcels, money)) & (land > 0)
        base[money] = np.where(ok, numbers(parcels, money), np.nan)
        base[f"{money}_mu"] = np.where(ok, land, np.nan)
    cols = [c for m in MONEY for c in (m, f"{m}_mu")]
    frames = [
        base[base["industry2"] != ""]
        .groupby(["zone_id", "industry2"])[cols]
        .sum(min_count=1)
        .reset_index()
        .assign(level="industry"),
        base.groupby("zone_id")[cols].sum(min_count=1).reset_index().assign(level="zone"),
        base[cols].sum(min_count=1).to_frame().T.assign(level="park"),
    ]
    out = pd.concat(frames, ignore_index=True)
    out[["zone_id", "industry2"]] = out[["zone_id", "industry2"]].fillna("")
    for money, name in (("output_wan", "output_per_mu"), ("tax_wan", "tax_per_mu")):
        out[name] = ratio(out[money].astype(float), out[f"{money}_mu"].astype(float))
    return out[["level", "zone_id", "industry2", "output_per_mu", "tax_per_mu"]]


def expected_rates(
    movers: pd.DataFrame, zones: list[str], bench: pd.DataFrame, names: dict[str, str]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per money field: (rate, source), both movers × zones; rate in 万元/亩.

    rate = the mover's expected figure (source ''), else the benchmark of its 2-digit
    industry in the zone, else the zone's, else the park's (source names which); NaN (source
    无基准) when none exists.
    """
    ind2 = division(movers["industry_code"]).fillna("").to_numpy()
    zone = np.tile(np.asarray(zones, dtype=object), len(movers))
    ind = np.repeat(ind2.astype(object), len(zones))
    by_ind = bench[bench["level"] == "industry"].set_index(["zone_id", "industry2"])
    by_zone = bench[bench["level"] == "zone"].set_index("zone_id")
    park = bench[bench["level"] == "park"]
    zname = np.array([names.get(z, z) for z in zone], dtype=object)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for money, per_mu in zip(MONEY, ("output_per_mu", "tax_per_mu"), strict=True):
        a = by_ind[per_mu].reindex(pd.MultiIndex.from_arrays([zone, ind])).to_numpy(dtype=float)
        b = by_zone[per_mu].reindex(zone).to_numpy(dtype=float)
        c = float(park[per_mu].iloc[0]) if len(park) else np.nan
        own = np.repeat(numbers(movers, f"expected_{per_mu}"), len(zones))
        rate = np.select([~np.isnan(own), ~np.isnan(a), ~np.isnan(b)], [own, a, b], c)
        source = np.select(
            [~np.isnan(own), ~np.isnan(a), ~np.isnan(b), ~np.isnan(np.full_like(own, c))],
            [
                np.full(len(own), "", dtype=object),
                zname + "·" + ind + "行业基准",
                zname + "基准",
                np.full(len(own), "全园基准", dtype=object),
            ],
            "无基准",
        )
        shape = (len(movers), len(zones))
        out[money] = (rate.reshape(shape), source.reshape(shape))
    return out


def given_up_figures(
    movers: pd.DataFrame,
    parcels: pd.DataFrame,
    allocation: pd.DataFrame | None,
    enterprises: pd.DataFrame | None,
    report: QualityReport,
) -> pd.DataFrame:
    """What each in-park mover's present figures contribute to its current parcel (万元).

    given_up = firm figure × (its allocated land on the current parcel ÷ all its allocated
    land), from ``allocation`` (alloc_land_m2) and ``enterprises``; the parcel's whole
    figure when the firm is not among the parcel's occupants (whole_parcel, with a warning);
    0 for movers from outside.
    """
    n = len(movers)
    cur = movers["current_parcel_id"].astype("string").fillna("").to_numpy(dtype=object)
    code = movers["credit_code"].astype("string").fillna("").to_numpy(dtype=object)
    inside = cur != ""
    share = np.full(n, np.nan)
    alloc = allocation if allocation is not None else pd.DataFrame()
    if {"credit_code", "parcel_id", "alloc_land_m2"} <= set(alloc.columns):
        land = alloc.groupby(["credit_code", "parcel_id"])["alloc_land_m2"].sum()
        total = alloc.groupby("credit_code")["alloc_land_m2"].sum()
        here = land.reindex(pd.MultiIndex.from_arrays([code, cur])).to_numpy(dtype=float)
        tot = total.reindex(code).to_numpy(dtype=float)
        share = ratio(here, tot)
    whole = inside & np.isnan(share)
    ent = enterprises if enterprises is not None and "credit_code" in enterprises else None
    by_parcel = parcels.set_index(parcels["parcel_id"].astype(str))
    out = pd.DataFrame(index=range(n))
    for money in MONEY:
        firm = (
            pd.to_numeric(ent.set_index("credit_code")[money], errors="coerce")
            .reindex(code)
            .to_numpy(dtype=float)
            if ent is not None and money in ent
            else np.full(n, np.nan)
        )
        parcel = pd.Series(numbers(by_parcel, money), index=by_parcel.index).reindex(cur).to_numpy()
        value = np.where(whole, parcel, firm * share)
        out[f"given_up_{money}"] = np.where(inside, np.nan_to_num(value), 0.0)
    out["whole_parcel"] = whole
    if whole.any():
        report.add(
            "warning",
            "mover_not_occupant",
            "movers",
            "搬迁企业不在其现用宗地的用地关系中：迁出时按该宗地现有全部产值、税收计算放弃额",
            file=str(movers.attrs.get("file", "搬迁企业表")),
            rows=(np.flatnonzero(whole) + 2).tolist(),
            field="credit_code",
            fix="核对统一社会信用代码与现用宗地编号",
        )
    return out
