"""Defences at the file boundary: which library may open a file, and how much it may unpack.

* Every input file is opened by the one reader its extension names.  Its first bytes must
  look like that format (:func:`check_signature`), and GDAL keeps only the vector drivers
  lcgis reads (:func:`restrict_gdal_drivers`): a ``parcels.geojson`` that is really an OGR
  VRT, a GDALG pipeline or a PDS4 label cannot make GDAL read other files or fetch URLs.
  Paths naming GDAL virtual file systems (``/vsicurl/`` …) are refused.
* Archives (.zip, and .xlsx, which is a zip) are checked member by member before anything
  is unpacked: resolved paths stay inside the target folder; encrypted members and
  unsupported compression are refused; a member, the whole archive (nested zips included)
  and the compression ratio have caps (:class:`Limits`, from the environment variables
  ``LCGIS_MAX_FILE_MB``, ``LCGIS_MAX_TOTAL_MB``, ``LCGIS_MAX_RATIO``); members are copied
  in chunks, never read whole into memory.

>>> Limits().max_file_bytes // 2**20, Limits().max_total_bytes // 2**20, Limits().max_ratio
(512, 2048, 100.0)
>>> check_signature(b'<OGRVRTDataSource><OGRVRTLayer name="x"/></OGRVRTDataSource>', ".geojson")
'内容不是 GeoJSON(开头不是 {，像是 XML)'
>>> check_signature(b'{"type": "FeatureCollection", "features": []}', ".geojson") is None
True
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import glob
import os
import stat
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lcgis.errors import UsageError

MB = 2**20

#: The one GDAL driver that may open each extension read through GDAL.
GDAL_DRIVERS = {
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
}
#: Drivers kept registered: those above, and the in-memory one GDAL uses internally.
KEPT_DRIVERS = frozenset(GDAL_DRIVERS.values()) | {"MEM"}
#: Zip compression methods Python reads: stored, deflate, bzip2, LZMA.
_METHODS = {
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
}
_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 98: "PPMd"}
#: Largest mapping.toml or rules file read (a configuration file, not data).
MAX_TOML_BYTES = 1 * MB
#: Members (and archives) smaller than this are not held to the ratio cap: a .dbf of wide,
#: mostly blank text fields packs 100–500 times and is bounded by the size caps anyway.
RATIO_FLOOR_BYTES = 16 * MB


def _env_number(name: str, default: float) -> float:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise UsageError(f"环境变量 {name} 应为正数，实际为 {text!r}：请改正或删除该变量")
    return value


@dataclass(frozen=True)
class Limits:
    """Caps on what one input may make lcgis read (bytes; ratio = unpacked ÷ packed)."""

    #: One file given or unpacked (a member of a zip, the sheet of a workbook …).
    max_file_bytes: int = 512 * MB
    #: All members of one archive together, nested archives included.
    max_total_bytes: int = 2048 * MB
    #: Unpacked ÷ packed size of a member (and of the archive as a whole).
    max_ratio: float = 100.0
    #: Members of one archive (nested archives included).
    max_members: int = 10_000
    #: Zips inside zips followed this deep.
    max_depth: int = 3
    #: Rows of one table (Excel sheet, GeoParquet file).
    max_rows: int = 2_000_000

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, overridden by LCGIS_MAX_FILE_MB, LCGIS_MAX_TOTAL_MB, LCGIS_MAX_RATIO."""
        d = cls()
        return cls(
            max_file_bytes=int(_env_number("LCGIS_MAX_FILE_MB", d.max_file_bytes / MB) * MB),
            max_total_bytes=int(_env_number("LCGIS_MAX_TOTAL_MB", d.max_total_bytes / MB) * MB),
            max_ratio=_env_number("LCGIS_MAX_RATIO", d.max_ratio),
        )


class HostileFileError(Exception):
    """A file that is refused before (or instead of) being parsed; the message is Chinese."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix


def _mb(n: float) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n / 1024:,.0f} KB"


# --- signatures -------------------------------------------------------------------------------

_LOOKS_LIKE = (
    (b"PK\x03\x04", "zip 压缩包"),
    (b"SQLite format 3\x00", "SQLite/GeoPackage"),
    (b"PAR1", "Parquet"),
    (b"fgb\x03", "FlatGeobuf"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文件(.xls)或加密的工作簿"),
    (b"%PDF", "PDF"),
    (b"\x00\x00\x27\x0a", "Shapefile"),
    (b"<", "XML"),
    (b"{", "JSON"),
)
_NAMES = {
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".kml": "KML",
    ".parquet": "GeoParquet",
    ".zip": "zip 压缩包",
    ".xlsx": "Excel 工作簿(.xlsx)",
}
#: Markers of XML formats other GDAL drivers claim; never inside a KML file lcgis reads.
_FOREIGN_XML = (b"OGRVRTDataSource", b"pds.nasa.gov", b"VRTDataset", b"gdal_streamed_alg")


def _looks_like(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for magic, name in _LOOKS_LIKE:
        if text.startswith(magic) or head.startswith(magic):
            return name
    if not head:
        return "空文件"
    return "文本" if b"\x00" not in head[:512] else "二进制数据"


def check_signature(head: bytes, ext: str) -> str | None:
    """Why the first bytes of a file are not of the format its extension names (or None)."""
    ext = ext.lower()
    if ext not in _NAMES:
        return None
    name = _NAMES[ext]
    if not head:
        return "文件是空的(0 字节)"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    ok = {
        ".gpkg": head.startswith(b"SQLite format 3\x00"),
        ".shp": head.startswith(b"\x00\x00\x27\x0a"),
        ".fgb": head.startswith(b"fgb\x03"),
        ".parquet": head.startswith(b"PAR1"),
        ".zip": head.startswith((b"PK\x03\x04", b"PK\x05\x06")),
        ".xlsx": head.startswith(b"PK\x03\x04"),
        ".geojson": text.startswith(b"{"),
        ".json": text.startswith(b"{"),
        ".kml": text.startswith(b"<") and b"<kml" in head.lower(),
    }[ext]
    if ok and ext == ".kml" and any(m.lower() in head.lower() for m in _FOREIGN_XML):
        ok = False
    if ok and ext in (".geojson", ".json") and b"gdal_streamed_alg" in head:
        ok = False
    if ok:
        return None
    seen = _looks_like(head)
    if ext in (".geojson", ".json"):
        return f"内容不是 GeoJSON(开头不是 {{，像是 {seen})"
    return f"内容不是 {name}(像是 {seen})"


def read_head(path: Path, n: int = 1 << 16) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def is_virtual_path(text: str) -> bool:
    """True for a GDAL virtual file system path (/vsicurl/, /vsizip/ …) or a URL.

    >>> is_virtual_path("/vsicurl/http://x/p.geojson"), is_virtual_path("data/parcels.gpkg")
    (True, False)
    """
    text = str(text)
    return text.replace("\\", "/").lower().lstrip("/").startswith("vsi") or "://" in text


def check_file(path: Path, limits: Limits) -> None:
    """Refuse a file that names a GDAL virtual path, is too big or is not what it says."""
    if is_virtual_path(str(path)):
        raise HostileFileError(
            "路径指向 GDAL 虚拟文件系统或网址，不予读取", "请先把文件下载、解压到本地再指定"
        )
    if not path.is_file():
        raise HostileFileError("不是普通文件", "请指定一个数据文件")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise HostileFileError(
            f"文件过大({_mb(size)}，上限 {_mb(limits.max_file_bytes)})",
            "拆分文件，或设置环境变量 LCGIS_MAX_FILE_MB 提高上限",
        )
    why = check_signature(read_head(path), path.suffix)
    if why:
        raise HostileFileError(
            why,
            f"确认文件确实是 {_NAMES.get(path.suffix.lower(), path.suffix)}，并使用正确的扩展名",
        )


# --- GDAL drivers -----------------------------------------------------------------------------

_restricted: bool | None = None
_lock = threading.Lock()


def _gdal_library_paths() -> list[str]:
    """Where the libgdal that pyogrio uses may be (the loaded one first, on Linux)."""
    found: list[str] = []
    with (
        contextlib.suppress(OSError),
        open("/proc/self/maps", encoding="utf-8", errors="replace") as fh,
    ):
        for line in fh:
            part = line.split()[-1] if line.split() else ""
            if "libgdal" in os.path.basename(part) and part not in found:
                found.append(part)
    import pyogrio

    base = Path(pyogrio.__file__).resolve().parent
    for pattern in (
        str(base.parent / "pyogrio.libs" / "*gdal*"),
        str(base / ".dylibs" / "libgdal*"),
    ):
        found.extend(p for p in sorted(glob.glob(pattern)) if p not in found)
    name = ctypes.util.find_library("gdal")
    if name:
        found.append(name)
    return found


def restrict_gdal_drivers() -> bool:
    """Deregister every GDAL driver but :data:`KEPT_DRIVERS`; True when that took effect.

    Done once per process, before lcgis first reads a file through GDAL.  Without it (a GDAL
    that cannot be reached), :func:`check_signature` still refuses files whose content is not
    of their extension's format.
    """
    global _restricted
    with _lock:
        if _restricted is not None:
            return _restricted
        import pyogrio
        import pyogrio._io  # loads libgdal

        def others() -> list[str]:
            return [d for d in pyogrio.list_drivers() if d not in KEPT_DRIVERS]

        for lib_path in _gdal_library_paths() if others() else []:
            try:
                lib = ctypes.CDLL(lib_path)
                get = lib.GDALGetDriverByName
                get.restype = ctypes.c_void_p
                get.argtypes = [ctypes.c_char_p]
                dereg = lib.GDALDeregisterDriver
                dereg.argtypes = [ctypes.c_void_p]
                dereg.restype = None
            except (OSError, AttributeError):
                continue
            for name in others():
                handle = get(name.encode())
                if handle:
                    dereg(handle)
            if not others():
                break
        _restricted = not others()
        return _restricted


# --- archives ---------------------------------------------------------------------------------


@dataclass
class Budget:
    """What has been unpacked so far from one input (shared by nested archives)."""

    limits: Limits
    total: int = 0
    members: int = 0
    seen: list[str] = field(default_factory=list)


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if info.flag_bits & 0x800 == 0:  # names not flagged UTF-8 are often GBK
        with contextlib.suppress(UnicodeError):
            name = name.encode("cp437").decode("gb18030")
    return name


def open_zip(path: Path) -> zipfile.ZipFile:
    """A zip opened for reading, or :class:`HostileFileError` saying why it cannot be."""
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise HostileFileError(
            f"不是完整的 zip 压缩包({exc})", "重新压缩或重新下载该文件(可能已截断或损坏)"
        ) from exc
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise HostileFileError(f"zip 压缩包无法打开({exc})", "重新压缩该文件") from exc


def check_members(zf: zipfile.ZipFile, budget: Budget, where: str = "") -> list[zipfile.ZipInfo]:
    """The archive's file members, after checking each against the caps (nothing unpacked)."""
    lim = budget.limits
    infos = [i for i in zf.infolist() if not i.is_dir()]
    budget.members += len(infos)
    if budget.members > lim.max_members:
        raise HostileFileError(
            f"压缩包{where}成员过多(超过 {lim.max_members:,} 个)", "只打包所需的数据文件"
        )
    packed = 0
    unpacked = 0
    for info in infos:
        name = _member_name(info)
        if info.flag_bits & 0x1:
            raise HostileFileError(
                f"压缩包{where}中的 {name} 已加密", "去掉密码后重新压缩(不要设置压缩密码)"
            )
        if info.compress_type not in _METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"方法 {info.compress_type}")
            raise HostileFileError(
                f"压缩包{where}中的 {name} 使用了不支持的压缩方式 {method}",
                "用常规 zip(Deflate)方式重新压缩",
            )
        mode = (info.external_attr >> 16) & 0xFFFF
        if stat.S_ISLNK(mode):
            raise HostileFileError(
                f"压缩包{where}中的 {name} 是符号链接", "只打包实际的数据文件，不要包含链接"
            )
        if info.file_size > lim.max_file_bytes:
            raise HostileFileError(
                f"压缩包{where}中的 {name} 解压后过大({_mb(info.file_size)}，"
                f"上限 {_mb(lim.max_file_bytes)})",
                "拆分数据，或设置环境变量 LCGIS_MAX_FILE_MB 提高上限",
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR_BYTES and ratio > lim.max_ratio:
            raise HostileFileError(
                f"压缩包{where}中的 {name} 压缩比异常({ratio:,.0f} 倍，上限 "
                f"{lim.max_ratio:,.0f} 倍)，疑似压缩炸弹",
                "确认文件来源；正常数据可设置环境变量 LCGIS_MAX_RATIO 提高上限",
            )
        packed += info.compress_size
        unpacked += info.file_size
    budget.total += unpacked
    if budget.total > lim.max_total_bytes:
        raise HostileFileError(
            f"压缩包{where}解压后总大小过大(超过 {_mb(lim.max_total_bytes)})",
            "只打包所需的数据文件，或设置环境变量 LCGIS_MAX_TOTAL_MB 提高上限",
        )
    if unpacked > RATIO_FLOOR_BYTES and unpacked / max(packed, 1) > lim.max_ratio:
        raise HostileFileError(
            f"压缩包{where}整体压缩比异常(超过 {lim.max_ratio:,.0f} 倍)，疑似压缩炸弹",
            "确认文件来源；正常数据可设置环境变量 LCGIS_MAX_RATIO 提高上限",
        )
    return infos


def extract_zip(path: Path, target: Path, budget: Budget, depth: int = 0) -> None:
    """Unpack ``path`` into ``target`` safely; nested zips are unpacked beside themselves."""
    lim = budget.limits
    where = "" if depth == 0 else f"(内层 {path.name})"
    with open_zip(path) as zf:
        infos = check_members(zf, budget, where)
        root = target.resolve()
        for info in infos:
            name = _member_name(info)
            dest = (root / name).resolve()
            if not dest.is_relative_to(root) or dest == root:
                raise HostileFileError(
                    f"压缩包{where}中的 {name} 指向压缩包以外的位置",
                    "去掉成员名中的 ../ 和绝对路径",
                )
            dest.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(info) as src, dest.open("wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size or written > lim.max_file_bytes:
                            raise HostileFileError(
                                f"压缩包{where}中的 {name} 实际大小与声明不符", "重新压缩该文件"
                            )
                        out.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
                raise HostileFileError(
                    f"压缩包{where}中的 {name} 已损坏({exc})", "重新压缩或重新下载该文件"
                ) from exc
            except (RuntimeError, NotImplementedError) as exc:  # passwords, odd methods
                raise HostileFileError(
                    f"压缩包{where}中的 {name} 无法解压({exc})", "用常规 zip 方式重新压缩"
                ) from exc
            if dest.suffix.lower() == ".zip":
                if depth + 1 >= lim.max_depth:
                    raise HostileFileError(
                        f"压缩包嵌套过深(超过 {lim.max_depth} 层)", "解开内层压缩包后重新打包"
                    )
                inner = dest.with_name(dest.name + ".d")
                inner.mkdir(exist_ok=True)
                extract_zip(dest, inner, budget, depth + 1)
                dest.unlink()


def check_workbook(path: Path, limits: Limits) -> None:
    """An .xlsx is a zip: its parts are held to the same caps before openpyxl parses them."""
    with open_zip(path) as zf:
        check_members(zf, Budget(limits), "(工作簿内部)")
        names = set(zf.namelist())
    if "xl/workbook.xml" not in names:
        raise HostileFileError(
            "不是 Excel 工作簿(.xlsx)：缺少 xl/workbook.xml", "用 Excel 另存为 .xlsx"
        )


def check_parquet(path: Path, limits: Limits) -> None:
    """A GeoParquet file's row count and unpacked size (from its footer) within the caps."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises its own ArrowInvalid, OSError …
        raise HostileFileError(f"不是有效的 Parquet 文件({exc})", "重新导出该文件") from exc
    if meta.num_rows > limits.max_rows:
        raise HostileFileError(
            f"行数过多({meta.num_rows:,} 行，上限 {limits.max_rows:,})", "拆分数据后分别处理"
        )
    unpacked = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    size = max(path.stat().st_size, 1)
    if unpacked > limits.max_total_bytes or (
        unpacked > RATIO_FLOOR_BYTES and unpacked / size > limits.max_ratio
    ):
        raise HostileFileError(
            f"解压后过大或压缩比异常({_mb(unpacked)}，文件 {_mb(size)})，疑似压缩炸弹",
            "确认文件来源；正常数据可设置环境变量 LCGIS_MAX_TOTAL_MB、LCGIS_MAX_RATIO 提高上限",
        )
