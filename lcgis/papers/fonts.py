"""Chinese fonts for the committee papers, found on the machine, embedded as subsets.

The papers need a CJK font that both matplotlib (maps) and reportlab (pages) can use, offline.
:func:`find_cjk_font` looks among the fonts installed on the machine (Noto Sans CJK SC first,
then other simplified-Chinese families), or takes the file named by env ``LCGIS_PDF_FONT``.
Without one it raises :class:`FontMissingError` with a Chinese message saying what to install.

reportlab embeds TrueType outlines only, while Noto Sans CJK ships PostScript (CFF) outlines in
a font collection (.ttc).  :func:`register_fonts` therefore cuts the font down to the characters
a document uses: it redraws those few hundred glyphs as quadratic TrueType outlines (fontTools'
cu2qu, within one font unit) into a small new font (fontTools' FontBuilder), registered with
reportlab under a name derived from the character set, so a repeated document reuses it and
concurrent documents never overwrite each other's font.  Redrawn glyphs are kept for the next
document of the process.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lcgis.errors import LcgisError

#: Families tried in order (simplified Chinese first; any CJK family draws the hanzi).
PREFERRED_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)
#: File name parts of fonts that may be CJK (searched when the font cache does not know one).
_CJK_FILE_HINTS = ("cjk", "sourcehan", "wqy", "droidsansfallback", "uming", "ukai", "simhei",
                   "msyh", "pingfang", "notosanssc")  # fmt: skip
#: Characters every document may print besides its own text (digits, Latin, punctuation).
BASE_CHARACTERS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "·—–−×÷±≥≤≈°²³‰％（）［］【】《》〈〉「」『』、。，．：；！？…“”‘’／～＋＝＜＞"
    + "0123456789第页共目录续"
)


class FontMissingError(LcgisError):
    """No Chinese font on the machine (the message says how to install one)."""


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (``index`` within a .ttc collection)."""

    path: Path
    index: int
    family: str


@dataclass(frozen=True)
class CjkFont:
    """The regular and bold faces the papers use (bold may be the regular face)."""

    regular: FontFace
    bold: FontFace


def _env_font() -> CjkFont | None:
    value = os.environ.get("LCGIS_PDF_FONT", "").strip()
    if not value:
        return None
    path_text, _, index = value.partition("#")
    path = Path(path_text)
    if not path.is_file():
        raise FontMissingError(
            f"环境变量 LCGIS_PDF_FONT 指定的字体文件不存在：{path_text}。"
            "请改为本机上的中文字体文件(.ttf/.otf/.ttc，集合文件可写 文件#序号)，或删除该变量。"
        )
    face = FontFace(path, int(index) if index.isdigit() else 0, path.stem)
    return CjkFont(face, face)


def _faces() -> list[tuple[str, str, int, int]]:
    """(family, path, index, weight) of every font matplotlib knows."""
    from matplotlib import font_manager as fm

    return [
        (
            f.name,
            f.fname,
            int(getattr(f, "index", 0) or 0),
            int(f.weight) if str(f.weight).isdigit() else 400,
        )
        for f in fm.fontManager.ttflist
    ]


def _add_system_cjk_files() -> None:
    """Teach matplotlib's font list the CJK files installed after its cache was built."""
    from matplotlib import font_manager as fm

    known = {f.fname for f in fm.fontManager.ttflist}
    for name in fm.findSystemFonts():
        low = Path(name).name.lower().replace("-", "").replace("_", "")
        if name not in known and any(h in low for h in _CJK_FILE_HINTS):
            try:
                fm.fontManager.addfont(name)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                continue


def _pick(faces: list[tuple[str, str, int, int]]) -> CjkFont | None:
    for family in PREFERRED_FAMILIES:
        hits = [f for f in faces if f[0] == family and not f[1].lower().endswith(".pfb")]
        if not hits:
            continue
        regular = min(hits, key=lambda f: abs(f[3] - 400))
        bold = min(hits, key=lambda f: abs(f[3] - 700))
        reg = FontFace(Path(regular[1]), regular[2], family)
        bld = FontFace(Path(bold[1]), bold[2], family) if bold[3] >= 600 else reg
        return CjkFont(reg, bld)
    return None


_FOUND: list[CjkFont] = []
_LOCK = threading.Lock()


def find_cjk_font() -> CjkFont:
    """The Chinese font of the papers: env ``LCGIS_PDF_FONT``, else an installed CJK family.

    Raises :class:`FontMissingError` (Chinese, says what to install) when there is none.
    """
    env = _env_font()
    if env is not None:
        return env
    with _LOCK:
        if _FOUND:
            return _FOUND[0]
        font = _pick(_faces())
        if font is None:
            _add_system_cjk_files()
            font = _pick(_faces())
        if font is None:
            raise FontMissingError(
                "找不到中文字体，无法生成 PDF。请安装 Noto Sans CJK 字体"
                "(Debian/Ubuntu：apt-get install fonts-noto-cjk；其他系统安装“思源黑体”)，"
                "或用环境变量 LCGIS_PDF_FONT 指定一个中文字体文件(.ttf/.otf/.ttc)。"
            )
        _FOUND.append(font)
        return font


# --- subsets for reportlab ----------------------------------------------------------------------


@dataclass
class _Source:
    """An opened face: its cmap, metrics and the glyphs already redrawn as TrueType."""

    font: Any
    cmap: dict[int, str]
    glyphs: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_SOURCES: dict[FontFace, _Source] = {}


def _source(face: FontFace) -> _Source:
    from fontTools.ttLib import TTFont

    with _LOCK:
        hit = _SOURCES.get(face)
        if hit is not None:
            return hit
        if face.path.suffix.lower() in (".ttc", ".otc"):
            font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
        else:
            font = TTFont(str(face.path), lazy=True)
        src = _Source(font, dict(font.getBestCmap() or {}))
        _SOURCES[face] = src
        return src


def subset_truetype(face: FontFace, text: str, ps_name: str) -> bytes:
    """A TrueType font holding the glyphs of ``text`` (plus :data:`BASE_CHARACTERS`) of
    ``face``, named ``ps_name`` (reportlab tells fonts apart by their PostScript name).

    Each glyph is drawn from the source outlines (PostScript cubic curves are converted to
    TrueType quadratic ones within one font unit) and kept for the next document.
    """
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    src = _source(face)
    with src.lock:
        font = src.font
        chars = sorted({ord(c) for c in text + BASE_CHARACTERS if ord(c) in src.cmap})
        names = [".notdef", *sorted({src.cmap[c] for c in chars} - {".notdef"})]
        glyph_set = font.getGlyphSet()
        for name in names:
            if name not in src.glyphs:
                pen = TTGlyphPen(None)
                # PostScript contours run counter-clockwise, TrueType ones clockwise
                glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
                src.glyphs[name] = pen.glyph()
        glyphs = {n: src.glyphs[n] for n in names}
        metrics = font["hmtx"].metrics
        hhea, os2 = font["hhea"], font["OS/2"]
        upm = font["head"].unitsPerEm
    fb = FontBuilder(upm, isTTF=True)
    fb.setupGlyphOrder(names)
    fb.setupCharacterMap({c: src.cmap[c] for c in chars})
    fb.setupGlyf(glyphs)
    glyf = fb.font["glyf"]
    fb.setupHorizontalMetrics({n: (metrics[n][0], getattr(glyf[n], "xMin", 0)) for n in names})
    fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    fb.setupNameTable(
        {"familyName": ps_name, "styleName": "Regular", "psName": ps_name},
        mac=False,
    )
    fb.setupOS2(
        sTypoAscender=os2.sTypoAscender,
        sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap,
        usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent,
        fsType=0,  # installable embedding (the Noto and Source Han licence allows it)
    )
    fb.setupPost()
    buf = io.BytesIO()
    fb.font.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class RegisteredFonts:
    """reportlab font names of one character set."""

    regular: str
    bold: str


#: Fonts registered in this process, by character-set digest.  reportlab keeps a registered
#: font for good (it has no way to forget one), so this grows by one pair per distinct
#: character set: a few hundred kB each.
_REGISTERED: dict[str, RegisteredFonts] = {}


def register_fonts(regular_text: str, bold_text: str) -> RegisteredFonts:
    """Register subsets of the CJK font with reportlab for a document's text; their names.

    The same character sets give the same names (fonts are made once per process).
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = find_cjk_font()
    reg_chars = "".join(sorted(set(regular_text)))
    bold_chars = "".join(sorted(set(bold_text)))
    digest = hashlib.sha1(
        f"{font}\0{reg_chars}\0{bold_chars}".encode("utf-8", "surrogatepass")
    ).hexdigest()[:16]
    with _LOCK:
        hit = _REGISTERED.get(digest)
        if hit is not None:
            return hit
    names = RegisteredFonts(f"LcgisCJK-{digest}", f"LcgisCJKBold-{digest}")
    faces = ((names.regular, font.regular, reg_chars), (names.bold, font.bold, bold_chars))
    for name, face, chars in faces:
        try:
            data = subset_truetype(face, chars, name)
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(data)))
        except Exception as exc:  # a broken or unsupported font file: say which
            raise FontMissingError(
                f"中文字体 {face.path.name} 无法用于 PDF({exc})。"
                "请安装 Noto Sans CJK(apt-get install fonts-noto-cjk)，"
                "或用环境变量 LCGIS_PDF_FONT 指定另一个中文字体文件。"
            ) from exc
    with _LOCK:
        _REGISTERED[digest] = names
    return names


def matplotlib_font(bold: bool = False) -> object:
    """``matplotlib.font_manager.FontProperties`` of the CJK font (a file face)."""
    from matplotlib import font_manager as fm

    font = find_cjk_font()
    face = font.bold if bold else font.regular
    if face.family and face.family in {f.name for f in fm.fontManager.ttflist}:
        return fm.FontProperties(family=face.family, weight="bold" if bold else "normal")
    return fm.FontProperties(fname=str(face.path))
