"""A small document model (headings, paragraphs, tables, figures) typeset to A4 PDF by reportlab.

The report and dossier builders describe *what* goes on paper as plain Python blocks; every
text is a finished Chinese string computed from the library, so the tests can compare the PDF
against the same values.  :func:`render` then

* collects the characters of the document and embeds a subset of the CJK font
  (:mod:`lcgis.papers.fonts`),
* escapes every text (a name such as ``<b>P2</b>`` prints as itself, never as markup),
* lays out A4 portrait pages: running header, footer with date, the 示意数据 mark where it
  applies and "第 x 页 共 y 页", a table of contents and PDF bookmarks,
* breaks tables across pages with the header row repeated, and keeps headings with what
  follows.

Everything is black on white with grey shading only, so it prints on a black-and-white
printer; maps carry hatching and labels (see :mod:`lcgis.papers.maps`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    NextPageTemplate,
    PageTemplate,
    Paragraph,
    TableStyle,
)
from reportlab.platypus import KeepTogether as RLKeep
from reportlab.platypus import PageBreak as RLPageBreak
from reportlab.platypus import Spacer as RLSpacer
from reportlab.platypus import Table as RLTable
from reportlab.platypus.flowables import Flowable
from reportlab.platypus.tableofcontents import TableOfContents

from lcgis.papers.fonts import RegisteredFonts, register_fonts

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

# Binary (not ASCII85) streams: smaller files, and reportlab's pure-Python ASCII85 encoder
# would dominate the time spent on the maps.
rl_config.useA85 = 0

PAGE_MARGIN_MM = 16.0
#: Text width of an A4 portrait page with the margins above (mm).
TEXT_WIDTH_MM = 210.0 - 2 * PAGE_MARGIN_MM


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A numbered section title; level 1 and 2 go to the table of contents and bookmarks."""

    text: str
    level: int = 1
    new_page: bool = False
    toc: str = ""  # shorter text for the contents and the bookmark (default: ``text``)


@dataclass(frozen=True)
class Para:
    """A paragraph.  ``style``: body, small, note, lead, verdict, mark, title, subtitle."""

    text: str
    style: str = "body"


@dataclass
class Table:
    """A table whose header row repeats on every page it runs over.

    ``widths`` are relative; ``align`` one letter per column (L, R or C); ``group_rows``
    are rows whose first cell spans the whole width (a sub-heading such as a tier);
    ``bold_rows`` are set in bold (totals, rules that fired).
    """

    columns: list[str]
    rows: list[list[str]]
    widths: list[float] | None = None
    align: str = ""
    group_rows: set[int] = field(default_factory=set)
    bold_rows: set[int] = field(default_factory=set)
    font_size: float = 7.5
    caption: str = ""
    notes: list[str] = field(default_factory=list)
    empty: str = "(无)"


@dataclass(frozen=True)
class Figure:
    """A raster map or chart (PNG bytes) of a given printed size."""

    png: bytes
    width_mm: float
    height_mm: float
    caption: str = ""


@dataclass(frozen=True)
class FigureRow:
    """Figures side by side."""

    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Spacer:
    mm: float = 3.0


@dataclass(frozen=True)
class Section:
    """Starts a part (e.g. one parcel's dossier): running header text and a bookmark."""

    label: str
    bookmark: bool = True


@dataclass(frozen=True)
class Contents:
    """The table of contents (filled in from the headings)."""

    title: str = "目  录"


@dataclass(frozen=True)
class KeepTogether:
    """Blocks kept on one page when they fit."""

    blocks: tuple[Any, ...]


Block = (
    Heading
    | Para
    | Table
    | Figure
    | FigureRow
    | PageBreak
    | Spacer
    | Section
    | Contents
    | KeepTogether
)


@dataclass
class Document:
    """A whole PDF: metadata, running header and footer, and its blocks (cover first)."""

    title: str
    blocks: list[Any]
    header: str = ""
    mark: str = ""  # e.g. 示意数据: printed on every page
    footer_note: str = ""
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now().replace(microsecond=0))
    subject: str = ""
    cover: bool = False  # the blocks up to the first PageBreak form a cover without header


# --- text ------------------------------------------------------------------------------------


def markup(text: object) -> str:
    """Text for a reportlab paragraph: markup characters escaped, line breaks kept.

    >>> markup("<b>P2</b> & 甲\\n乙")
    '&lt;b&gt;P2&lt;/b&gt; &amp; 甲<br/>乙'
    """
    return escape("" if text is None else str(text)).replace("\n", "<br/>")


def walk(blocks: Iterable[Any]) -> Iterator[Any]:
    """Every block, nested ones included."""
    for b in blocks:
        yield b
        if isinstance(b, KeepTogether):
            yield from walk(b.blocks)


def texts(doc: Document) -> tuple[str, str]:
    """(regular, bold) characters of a document, for the font subsets."""
    reg: list[str] = [doc.title, doc.header, doc.mark, doc.footer_note, "生成于第页共目录"]
    bold: list[str] = [doc.title, doc.mark, "目录"]
    for b in walk(doc.blocks):
        if isinstance(b, Heading):
            bold.append(b.text)
            reg += [b.text, b.toc]  # the table of contents sets it in regular type
        elif isinstance(b, Para):
            (bold if b.style in ("title", "subtitle", "verdict") else reg).append(b.text)
        elif isinstance(b, Table):
            bold += [*b.columns, b.caption]
            reg += [*b.notes, b.empty]
            for i, row in enumerate(b.rows):
                (bold if i in b.bold_rows or i in b.group_rows else reg).extend(map(str, row))
        elif isinstance(b, Figure):
            reg.append(b.caption)
        elif isinstance(b, FigureRow):
            reg += [f.caption for f in b.figures]
        elif isinstance(b, Section):
            reg.append(b.label)
        elif isinstance(b, Contents):
            bold.append(b.title)
    return "".join(reg), "".join(bold)


# --- rendering -------------------------------------------------------------------------------


def _styles(fonts: RegisteredFonts) -> dict[str, Any]:
    r, b = fonts.regular, fonts.bold
    base = ParagraphStyle("body", fontName=r, fontSize=9, leading=13.5, wordWrap="CJK")
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
        "note": ParagraphStyle("note", parent=base, fontSize=7, leading=9.5, textColor="#333333"),
        "lead": ParagraphStyle("lead", parent=base, fontSize=10, leading=15),
        "verdict": ParagraphStyle("verdict", parent=base, fontName=b, fontSize=9, leading=13),
        "mark": ParagraphStyle(
            "mark",
            parent=base,
            fontName=r,
            fontSize=10,
            leading=14,
            alignment=TA_CENTER,
            borderColor="#000000",
            borderWidth=0.8,
            borderPadding=4,
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=b, fontSize=22, leading=32, alignment=TA_CENTER
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=base, fontName=b, fontSize=13, leading=20, alignment=TA_CENTER
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=b,
            fontSize=13,
            leading=18,
            spaceBefore=8,
            spaceAfter=5,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=b,
            fontSize=10.5,
            leading=15,
            spaceBefore=6,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=b,
            fontSize=9,
            leading=13,
            spaceBefore=4,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "caption": ParagraphStyle(
            "caption", parent=base, fontSize=7.5, leading=10, alignment=TA_CENTER
        ),
        "toc1": ParagraphStyle("toc1", parent=base, fontSize=10, leading=16, leftIndent=0),
        "toc2": ParagraphStyle("toc2", parent=base, fontSize=9, leading=13, leftIndent=14),
    }


def _cell_styles(fonts: RegisteredFonts, size: float) -> dict[str, Any]:
    lead = size * 1.3
    out: dict[str, Any] = {}
    for key, align in (("L", TA_LEFT), ("R", TA_RIGHT), ("C", TA_CENTER)):
        out[key] = ParagraphStyle(
            f"cell{key}{size}", fontName=fonts.regular, fontSize=size, leading=lead,
            alignment=align, wordWrap="CJK",
        )  # fmt: skip
        out["b" + key] = ParagraphStyle(f"bcell{key}{size}", parent=out[key], fontName=fonts.bold)
    out["head"] = ParagraphStyle(
        f"head{size}", fontName=fonts.bold, fontSize=size, leading=lead, alignment=TA_CENTER,
        wordWrap="CJK",
    )  # fmt: skip
    return out


def _table(t: Table, fonts: RegisteredFonts, styles: dict[str, Any], width: float) -> list[Any]:
    """A table whose caption and header repeat on every page it runs over."""
    out: list[Any] = []
    if not t.rows:
        if t.caption:
            out.append(Paragraph(markup(t.caption), styles["h3"]))
        out.append(Paragraph(markup(t.empty), styles["small"]))
        out += [Paragraph(markup(n), styles["note"]) for n in t.notes]
        return out
    n = len(t.columns)
    rel = t.widths or [1.0] * n
    total = float(sum(rel))
    col_w = [width * w / total for w in rel]
    align = (t.align or "L" * n).ljust(n, "L")
    cs = _cell_styles(fonts, t.font_size)
    room = [w - 4.5 for w in col_w]  # the cell width less its paddings (pt)

    def cell(value: str, col: int, bold: bool) -> Any:
        """A plain string when it fits on one line (fast, never parsed), else a paragraph."""
        font = fonts.bold if bold else fonts.regular
        if "\n" not in value and stringWidth(value, font, t.font_size) <= room[col]:
            return value
        return Paragraph(markup(value), cs[("b" if bold else "") + align[col]])

    top = 1 if t.caption else 0  # the caption is a row spanning the table, repeated with it
    data: list[list[Any]] = []
    if t.caption:
        data.append([Paragraph(markup(t.caption), styles["h3"])] + [""] * (n - 1))
    data.append([Paragraph(markup(c), cs["head"]) for c in t.columns])
    for i, row in enumerate(t.rows):
        cells = [*["" if c is None else str(c) for c in row], *([""] * (n - len(row)))][:n]
        if i in t.group_rows:
            data.append([Paragraph(markup(cells[0]), cs["bL"])] + [""] * (n - 1))
            continue
        bold = i in t.bold_rows
        data.append([cell(c, col, bold) for col, c in enumerate(cells)])
    names = {"L": "LEFT", "R": "RIGHT", "C": "CENTER"}
    h = top + 1  # first body row
    grey = colors.HexColor("#555555")
    cmds: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, h), (-1, -1), fonts.regular),
        ("FONTSIZE", (0, h), (-1, -1), t.font_size),
        ("LEADING", (0, h), (-1, -1), t.font_size * 1.25),
        *[("ALIGN", (j, h), (j, -1), names[a]) for j, a in enumerate(align)],
        *[("FONTNAME", (0, i + h), (-1, i + h), fonts.bold) for i in sorted(t.bold_rows)],
        ("GRID", (0, top), (-1, -1), 0.35, grey),
        ("BACKGROUND", (0, top), (-1, top), colors.HexColor("#d9d9d9")),
        ("VALIGN", (0, top), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, top), (-1, -1), 1.2),
        ("BOTTOMPADDING", (0, top), (-1, -1), 1.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2.2),
    ]
    if t.caption:
        cmds += [
            ("SPAN", (0, 0), (-1, 0)),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
            ("TOPPADDING", (0, 0), (-1, 0), 0),
            ("BOTTOMPADDING", (0, 0), (-1, 0), 2),
        ]
    for i in sorted(t.group_rows):
        cmds += [
            ("SPAN", (0, i + h), (-1, i + h)),
            ("BACKGROUND", (0, i + h), (-1, i + h), colors.HexColor("#efefef")),
        ]
    table = _Table(data, colWidths=col_w, repeatRows=h, splitByRow=1, hAlign="LEFT")
    table.setStyle(TableStyle(cmds))
    out.append(table)
    out += [Paragraph(markup(note), styles["note"]) for note in t.notes]
    out.append(RLSpacer(1, 4))
    return out


def _image(fig: Figure) -> Any:
    return _Image(fig.png, fig.width_mm * mm, fig.height_mm * mm)


def _figure(fig: Figure, styles: dict[str, Any]) -> list[Any]:
    parts = [_image(fig)]
    if fig.caption:
        parts.append(Paragraph(markup(fig.caption), styles["caption"]))
    return [RLKeep(parts)]


def _figure_row(row: FigureRow, styles: dict[str, Any], width: float) -> list[Any]:
    cells = [[_image(f) for f in row.figures]]
    if any(f.caption for f in row.figures):
        cells.append([Paragraph(markup(f.caption), styles["caption"]) for f in row.figures])
    widths = [f.width_mm * mm + 4 for f in row.figures]
    t = _Table(cells, colWidths=widths, hAlign="CENTER")
    t.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    del width
    return [t]


def _flowables(
    blocks: Sequence[Any], fonts: RegisteredFonts, styles: dict[str, Any], width: float
) -> list[Any]:
    out: list[Any] = []
    for b in blocks:
        if isinstance(b, Heading):
            if b.new_page:
                out.append(RLPageBreak())
            p = Paragraph(markup(b.text), styles[f"h{min(b.level, 3)}"])
            p._lcgis_toc = (b.level, b.toc or b.text) if b.level <= 2 else None
            out.append(p)
        elif isinstance(b, Para):
            out.append(Paragraph(markup(b.text), styles.get(b.style, styles["body"])))
        elif isinstance(b, Table):
            out += _table(b, fonts, styles, width)
        elif isinstance(b, Figure):
            out += _figure(b, styles)
        elif isinstance(b, FigureRow):
            out += _figure_row(b, styles, width)
        elif isinstance(b, PageBreak):
            out.append(RLPageBreak())
        elif isinstance(b, Spacer):
            out.append(RLSpacer(1, b.mm * mm))
        elif isinstance(b, Section):
            out.append(_SectionMark(b.label, b.bookmark))
        elif isinstance(b, Contents):
            out.append(Paragraph(markup(b.title), styles["h1"]))
            toc = TableOfContents(dotsMinLevel=0)
            toc.levelStyles = [styles["toc1"], styles["toc2"]]
            out.append(toc)
        elif isinstance(b, KeepTogether):
            out.append(RLKeep(_flowables(b.blocks, fonts, styles, width)))
        else:  # pragma: no cover - a programming error
            raise TypeError(f"unknown block {type(b).__name__}")
    return out


def _dry(flowable: Any) -> bool:
    """Whether this pass only measures (the first pass of a build with a table of contents)."""
    doc = getattr(flowable.canv, "_doctemplate", None)
    return bool(getattr(doc, "lcgis_dry", False))


class _Table(RLTable):
    """A table that is not drawn in a measuring pass (the layout is the same)."""

    def draw(self) -> None:
        if not _dry(self):
            super().draw()


class _Image(Flowable):
    """A PNG of a fixed printed size, decoded only while it is drawn (so a long document does
    not hold every decoded map) and not at all in a measuring pass."""

    def __init__(self, png: bytes, width: float, height: float) -> None:
        super().__init__()
        self.png, self.width, self.height = png, width, height
        self.hAlign = "CENTER"

    def wrap(self, *_: float) -> tuple[float, float]:
        return (self.width, self.height)

    def draw(self) -> None:
        if _dry(self):
            return
        image = Image(io.BytesIO(self.png), width=self.width, height=self.height)
        image.drawOn(self.canv, 0, 0)


class _SectionMark(Flowable):
    """Zero-size marker: sets the running header (and a bookmark) where it lands."""

    def __init__(self, label: str, bookmark: bool) -> None:
        super().__init__()
        self.label, self.bookmark = label, bookmark
        self.width = self.height = 0

    def wrap(self, *_: float) -> tuple[float, float]:
        return (0, 0)

    def draw(self) -> None:
        self.canv._doctemplate.lcgis_section = self.label


@dataclass(frozen=True)
class _Page:
    """What the furniture of every page needs: the document, fonts and A4 geometry (pt)."""

    doc: Document
    fonts: RegisteredFonts
    margin: float = PAGE_MARGIN_MM * mm
    page_w: float = A4[0]
    page_h: float = A4[1]

    @property
    def width(self) -> float:
        return self.page_w - 2 * self.margin

    @property
    def created(self) -> str:
        return self.doc.created.strftime("%Y-%m-%d %H:%M")


class _NumberedCanvas(rl_canvas.Canvas):
    """Keeps the pages until the end so each footer can say how many there are."""

    def __init__(self, *args: Any, page: _Page, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lcgis_page = page
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        page, total = self._lcgis_page, len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            if not getattr(self, "_lcgis_cover", False):
                self.setFont(page.fonts.regular, 7.5)
                self.drawRightString(
                    page.page_w - page.margin, 9 * mm, f"第 {self._pageNumber} 页 共 {total} 页"
                )
            super().showPage()
        super().save()


class _Doc(BaseDocTemplate):
    """A4 portrait with a cover template, a body template with header and footer, and the
    contents and bookmarks fed from the headings."""

    def __init__(self, buf: io.BytesIO, page: _Page) -> None:
        doc, margin = page.doc, page.margin
        super().__init__(
            buf,
            pagesize=A4,
            leftMargin=margin,
            rightMargin=margin,
            topMargin=margin + 4 * mm,
            bottomMargin=margin,
            title=doc.title,
            author="lcgis",
            subject=doc.subject or doc.title,
            creator="lcgis",
        )
        self.lcgis_page = page
        self.lcgis_section = ""
        self.lcgis_pass = 0
        self.lcgis_dry = False
        self.lcgis_multi = any(isinstance(b, Contents) for b in doc.blocks)
        frame = Frame(margin, margin, page.width, page.page_h - 2 * margin - 4 * mm, id="body")
        body = PageTemplate("body", [frame], onPageEnd=self._body_page)
        cover = PageTemplate("cover", [frame], onPageEnd=self._cover_page)
        self.addPageTemplates([cover, body] if doc.cover else [body])

    def beforeDocument(self) -> None:
        self.lcgis_section = ""  # every pass of a multi-pass build starts afresh
        self.lcgis_pass += 1
        # with a table of contents the first pass only finds the page numbers: it lays
        # out every page but leaves out the slow drawing of tables and images
        self.lcgis_dry = self.lcgis_multi and self.lcgis_pass == 1

    def _cover_page(self, canv: Any, _doc: Any) -> None:
        canv._lcgis_cover = True
        if self.lcgis_page.doc.mark:
            self._mark(canv)

    def _mark(self, canv: Any) -> None:
        page = self.lcgis_page
        canv.saveState()
        canv.setFont(page.fonts.bold, 8)
        canv.drawCentredString(page.page_w / 2, 9 * mm, page.doc.mark)
        canv.restoreState()

    def _body_page(self, canv: Any, _doc: Any) -> None:
        page = self.lcgis_page
        doc, margin, right = page.doc, page.margin, page.page_w - page.margin
        canv._lcgis_cover = False
        canv.saveState()
        canv.setFont(page.fonts.regular, 7.5)
        top = page.page_h - margin + 1 * mm
        canv.drawString(margin, top, doc.header or doc.title)
        if self.lcgis_section:
            canv.drawRightString(right, top, self.lcgis_section)
        canv.setLineWidth(0.4)
        canv.line(margin, top - 1.8 * mm, right, top - 1.8 * mm)
        canv.line(margin, 12 * mm, right, 12 * mm)
        note = f" · {doc.footer_note}" if doc.footer_note else ""
        canv.drawString(margin, 9 * mm, f"生成于 {page.created}{note}")
        canv.restoreState()
        if doc.mark:
            self._mark(canv)

    def afterFlowable(self, flowable: Any) -> None:
        toc = getattr(flowable, "_lcgis_toc", None)
        if toc:
            level, text = toc
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(text, key, level=level - 1, closed=level > 1)
            self.notify("TOCEntry", (level - 1, markup(text), self.page, key))
        if isinstance(flowable, _SectionMark) and flowable.bookmark:
            key = f"s{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.label, key, level=0, closed=True)


def render(doc: Document) -> bytes:
    """The document as PDF bytes (A4 portrait)."""

    regular, bold = texts(doc)
    fonts = register_fonts(regular, bold)
    page = _Page(doc, fonts)
    story = _flowables(doc.blocks, fonts, _styles(fonts), page.width)
    if doc.cover:  # the first page is the cover; the body template from the first break on
        first = next((i for i, f in enumerate(story) if isinstance(f, RLPageBreak)), 0)
        story.insert(first, NextPageTemplate("body"))
    buf = io.BytesIO()
    d = _Doc(buf, page)
    canvasmaker = functools.partial(_NumberedCanvas, page=page)
    if d.lcgis_multi:
        d.multiBuild(story, canvasmaker=canvasmaker, maxPasses=6)
    else:
        d.build(story, canvasmaker=canvasmaker)
    return buf.getvalue()
