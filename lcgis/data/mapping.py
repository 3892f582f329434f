"""mapping.toml: which column of a file is which field of the data contract, in which unit,
and how its values are recoded.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lcgis.data import guard
from lcgis.data.encoding import decode_text
from lcgis.data.schema import AREA_UNITS, FIELDS, MONEY_UNITS
from lcgis.data.values import CONTROL_CHARS
from lcgis.errors import DataError
from lcgis.vocab import LAYER_LABELS, LAYERS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


@dataclass(frozen=True)
class ColumnMap:
    column: str
    unit: str | None = None


@dataclass(frozen=True)
class LayerMapping:
    """What mapping.toml says about one layer."""

    source: Path | None = None
    assume_crs: str | None = None
    geometry: str | None = None
    columns: Mapping[str, ColumnMap] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def read_toml_text(path: Path) -> str:
    """The text of a TOML file: UTF-8 (with or without BOM), or GBK/Big5 as Notepad saves it."""
    if path.stat().st_size > guard.MAX_TOML_BYTES:
        raise DataError(
            f"{path.name} 过大(超过 {guard.MAX_TOML_BYTES // 1024} KB)，不像是配置文件：请检查文件"
        )
    raw = path.read_bytes()
    try:
        return decode_text(raw)[0]
    except UnicodeError as exc:
        raise DataError(
            f"{path.name} 的编码无法识别(应为 UTF-8)：请用记事本“另存为 UTF-8”后重试"
        ) from exc


def _mapping_error(path: Path, where: str, what: str, fix: str) -> DataError:
    return DataError(f"{path.name} [{where}]：{what}。{fix}")


def _kind_zh(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"数值 {value!r}"
    if isinstance(value, str):
        return f"文本 {value!r}"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


def _text_key(path: Path, where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _mapping_error(
            path, where, f"{key} 应为文本，实际为{_kind_zh(value)}", f'写成 {key} = "…"'
        )
    if CONTROL_CHARS.search(value):
        raise _mapping_error(path, where, f"{key} 含控制字符", "删除不可见字符后重试")
    return value


def read_mapping(path: Path) -> dict[str, LayerMapping]:
    """Parse a mapping.toml into one :class:`LayerMapping` per layer.

    Every key is checked for its type; a wrong one raises :class:`DataError` naming the file,
    the section and the key.
    """
    try:
        data = tomllib.loads(read_toml_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name} 不是合法的 TOML：{exc}。请修正该文件") from exc
    except RecursionError as exc:
        raise DataError(f"{path.name} 不是合法的 TOML：嵌套过深。请修正该文件") from exc
    out: dict[str, LayerMapping] = {}
    for layer, spec in data.items():
        _check_section(path, layer, spec)
        source = _source(path, layer, spec)
        for key in ("assume_crs", "geometry"):
            if spec.get(key) is not None:
                _text_key(path, layer, key, spec[key])
        out[layer] = LayerMapping(
            source=(path.parent / source) if source else None,
            assume_crs=spec.get("assume_crs"),
            geometry=spec.get("geometry"),
            columns=_columns(path, layer, spec.get("columns", {})),
            values=_values(path, layer, spec.get("values", {})),
        )
    return out


def _check_section(path: Path, layer: str, spec: object) -> None:
    """A known layer, as a table of known keys whose columns and values are tables."""
    if layer not in LAYERS:
        raise DataError(
            f"{path.name}：未知的节 [{layer}]，可用的是 {', '.join(LAYERS)}。请改正节名"
        )
    if not isinstance(spec, dict):
        raise _mapping_error(
            path, layer, f"应为一节([{layer}])，实际为{_kind_zh(spec)}", f"写成 [{layer}] 一节"
        )
    unknown = set(spec) - {"source", "assume_crs", "geometry", "columns", "values"}
    if unknown:
        raise _mapping_error(
            path,
            layer,
            f"未知的键 {'、'.join(sorted(unknown))}",
            "可用的键：source、assume_crs、geometry、columns、values",
        )
    for key in ("columns", "values"):
        if not isinstance(spec.get(key, {}), dict):
            raise _mapping_error(
                path,
                f"{layer}.{key}",
                f"应为一节，实际为{_kind_zh(spec[key])}",
                f"写成 [{layer}.{key}] 一节",
            )


def _check_field(path: Path, where: str, layer: str, name: str) -> None:
    if name not in FIELDS[layer]:
        raise DataError(
            f"{path.name} [{where}]：{name} 不是{LAYER_LABELS[layer]}的标准字段。"
            f"可用：{', '.join(FIELDS[layer])}"
        )


def _columns(path: Path, layer: str, table: dict[str, Any]) -> dict[str, ColumnMap]:
    """``[layer.columns]``: field = "column" or { column = "...", unit = "..." }."""
    where = f"{layer}.columns"
    columns: dict[str, ColumnMap] = {}
    for name, col in table.items():
        _check_field(path, where, layer, name)
        columns[name] = _column(path, where, layer, name, col)
    return columns


def _column(path: Path, where: str, layer: str, name: str, col: object) -> ColumnMap:
    if isinstance(col, str):
        return ColumnMap(_text_key(path, where, name, col))
    if not isinstance(col, dict) or "column" not in col:
        raise _mapping_error(
            path,
            where,
            f'{name} 应为列名文本或 {{ column = "列名", unit = "单位" }}，实际为{_kind_zh(col)}',
            f'写成 {name} = "列名"',
        )
    extra = set(col) - {"column", "unit"}
    if extra:
        raise _mapping_error(
            path, where, f"{name} 中有未知的键 {'、'.join(sorted(extra))}", "只能用 column 和 unit"
        )
    unit = col.get("unit")
    unit_kind = FIELDS[layer][name].unit
    allowed = AREA_UNITS if unit_kind == "area" else MONEY_UNITS
    if unit is not None and (unit_kind is None or unit not in allowed):
        raise DataError(
            f"{path.name} [{where}] {name}：未知单位 {unit!r}，"
            + (f"可用 {', '.join(allowed)}" if unit_kind else "该字段没有单位，请删除 unit")
        )
    return ColumnMap(_text_key(path, where, f"{name}.column", col["column"]), unit)


def _values(path: Path, layer: str, tables: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``[layer.values.field]``: "original" = "new" recodings, as text."""
    values: dict[str, dict[str, str]] = {}
    for name, table in tables.items():
        where = f"{layer}.values.{name}"
        _check_field(path, where, layer, name)
        if not isinstance(table, dict):
            raise _mapping_error(
                path,
                where,
                f"应为一节，实际为{_kind_zh(table)}",
                f'写成 [{where}] 下 "原值" = "新值"',
            )
        for a, b in table.items():
            if not isinstance(b, str | int | float) or isinstance(b, bool):
                raise _mapping_error(
                    path, where, f"{a} 的新值应为文本，实际为{_kind_zh(b)}", f'写成 "{a}" = "新值"'
                )
        values[name] = {str(a): str(b) for a, b in table.items()}
    return values


def _source(path: Path, layer: str, spec: dict[str, Any]) -> str | None:
    """The layer's file named by ``source`` (a local file, never a URL or virtual path)."""
    source = spec.get("source")
    if source is not None:
        _text_key(path, layer, "source", source)
        if guard.is_virtual_path(source):
            raise _mapping_error(
                path,
                layer,
                f"source 不能是网址或 GDAL 虚拟路径({source})",
                "先把文件下载到本地，写相对于 mapping.toml 的文件名",
            )
    return source
