"""Committee papers (PDF): they open, have the expected pages, say what the library computed,
draw their maps, mask by role and print hostile names as text.

A small park of seven parcels over three years (2023–2025) has hand-computable answers:
Q1–Q6 are 100 m × 100 m (15 亩), Q7 is 60 m × 50 m (4.5 亩); one firm per parcel whose tax is
80 %, 90 % and 100 % of its 2025 figure in 2023, 2024 and 2025.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from lcgis import review
from lcgis.cli import main
from lcgis.data.io import read_dataset
from lcgis.engine.pipeline import Result, run
from lcgis.papers import (
    FontMissingError,
    ReportInfo,
    annual_report_pdf,
    dossiers_pdf,
    list_parcels,
    page_count,
    parcel_years,
    read_reviews,
    role_policy,
)
from lcgis.papers import fonts as papers_fonts
from lcgis.papers.layout import Document, Para, Table, render
from lcgis.review import ReviewStore
from lcgis.rules import load_rules
from lcgis.views.explain import explain, fmt
from lcgis.views.summary import park_summary
from lcgis.vocab import DISPOSITION_LABELS
from tests.conftest import code, rect
from tests.hostile import NAME_IMG, NAME_SCRIPT, PARCEL_B, ZONE_SVG, make_hostile_dataset

if TYPE_CHECKING:
    from pathlib import Path

#: 2025 tax (万元) of the firm on each parcel.
TAX_2025 = {"Q1": 300.0, "Q2": 240.0, "Q3": 180.0, "Q4": 150.0, "Q5": 60.0, "Q6": 30.0, "Q7": 60.0}
SHARE = {2023: 0.8, 2024: 0.9, 2025: 1.0}


def make_park(d: Path) -> Path:
    (d / "parcels").mkdir(parents=True, exist_ok=True)
    ids = list(TAX_2025)
    geoms = [rect(i * 110, 0, 100, 100) for i in range(6)] + [rect(660, 0, 60, 50)]
    gpd.GeoDataFrame(
        {"parcel_id": ids, "land_use": ["industrial"] * 7, "max_far": [3.0] * 7},
        geometry=geoms,
        crs=4549,
    ).to_file(d / "parcels" / "parcels.gpkg")
    builds = [rect(i * 110 + 10, 10, 80, 50) for i in range(6)] + [rect(670, 10, 30, 20)]
    gpd.GeoDataFrame(
        {"building_id": [f"B{i}" for i in range(7)], "floors": [2] * 7}, geometry=builds, crs=4549
    ).to_file(d / "parcels" / "buildings.gpkg")
    codes = [code(f"91350502MA00001{i:02d}") for i in range(7)]
    rows = [
        {
            "credit_code": c,
            "name": f"企业{i}",
            "year": y,
            "industry_code": "3911",
            "above_scale": "是",
            "output_wan": TAX_2025[pid] * 10 * f,
            "tax_wan": TAX_2025[pid] * f,
            "value_added_wan": TAX_2025[pid] * 3 * f,
            "employees": 50,
            "production_start_date": "2010-01-01",
        }
        for y, f in SHARE.items()
        for i, (c, pid) in enumerate(zip(codes, ids, strict=True))
    ]
    pd.DataFrame(rows).to_csv(d / "parcels" / "enterprises.csv", index=False)
    pd.DataFrame({"credit_code": codes, "parcel_id": ids}).to_csv(
        d / "parcels" / "occupancy.csv", index=False
    )
    gpd.GeoDataFrame(
        {"zone_id": ["north"], "zone_name": ["北片区"], "leading_industries": ["39"]},
        geometry=[rect(-20, -20, 760, 140)],
        crs=4549,
    ).to_crs(4326).to_file(d / "zones.geojson")
    return d


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_park(tmp_path_factory.mktemp("papers") / "park")


@pytest.fixture(scope="module")
def evaluated(park: Path) -> tuple[object, Result, Result]:
    ds = read_dataset(park)
    rules = load_rules()
    return ds, run(ds, rules), run(ds, rules, year=2024, as_of=dt.date(2024, 12, 31))


def pdf_text(data: bytes) -> list[str]:
    """The text of every page, whitespace removed (table cells wrap anywhere)."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"\s+", "", p.extract_text() or "") for p in reader.pages]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


DPI = 40


def image_boxes(pdf: Path, page: int) -> list[tuple[float, float, float, float]]:
    """(x0, y0, x1, y1) in points of every image drawn on ``page`` (1-based), from the
    page's content stream (the transformation in force at each ``Do``)."""
    from pypdf.generic import ContentStream

    reader = PdfReader(pdf)
    pg = reader.pages[page - 1]
    xobjects = pg["/Resources"].get("/XObject", {})
    ctm = np.eye(3)
    stack: list[np.ndarray] = []
    boxes = []
    for operands, op in ContentStream(pg.get_contents(), reader).operations:
        if op == b"q":
            stack.append(ctm.copy())
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            ctm = np.array([[a, b, 0], [c, d, 0], [e, f, 1]]) @ ctm
        elif op == b"Do" and xobjects[operands[0]].get_object()["/Subtype"] == "/Image":
            corners = np.array([[0, 0, 1], [1, 1, 1]]) @ ctm
            boxes.append((corners[0, 0], corners[0, 1], corners[1, 0], corners[1, 1]))
    return boxes


def crop(png: Path, box: tuple[float, float, float, float], page_h_pt: float) -> np.ndarray:
    """The pixels of a page image inside a box given in PDF points."""
    from PIL import Image

    img = np.asarray(Image.open(png).convert("L"), dtype=np.uint8)
    s = DPI / 72
    x0, y0, x1, y1 = box
    return img[int((page_h_pt - y1) * s) : int((page_h_pt - y0) * s), int(x0 * s) : int(x1 * s)]


def assert_maps_drawn(pdf: Path, page: int, tmp_path: Path, n: int) -> None:
    """``n`` images on the page, and the rendered page is not blank inside each of them."""
    boxes = image_boxes(pdf, page)
    assert len(boxes) == n
    png = render_page(pdf, page, tmp_path)
    height = float(PdfReader(pdf).pages[page - 1].mediabox.height)
    for box in boxes:
        pixels = crop(png, box, height)
        assert pixels.size > 400
        assert (pixels < 160).mean() > 0.01  # lines and dark fills
        assert pixels.std() > 20  # not one flat tone


def poppler_text(data: bytes, page: int) -> str:
    """One page's text laid out in lines by poppler's pdftotext."""
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext (poppler-utils) is needed: apt-get install poppler-utils")
    done = subprocess.run(
        [exe, "-layout", "-f", str(page), "-l", str(page), "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def render_page(pdf: Path, page: int, out: Path) -> Path:
    """Page ``page`` (1-based) rendered by poppler's pdftoppm at :data:`DPI`."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.fail("pdftoppm (poppler-utils) is needed: apt-get install poppler-utils")
    stem = out / f"page{page}"
    subprocess.run(
        [exe, "-r", str(DPI), "-png", "-singlefile", "-f", str(page), "-l", str(page), pdf, stem],
        check=True,
    )
    return stem.with_suffix(".png")


# --- fonts and layout ------------------------------------------------------------------------


def test_cjk_font_is_found_and_subset_as_truetype() -> None:
    from fontTools.ttLib import TTFont

    font = papers_fonts.find_cjk_font()
    assert font.regular.path.is_file()
    data = papers_fonts.subset_truetype(font.regular, "鲤城高新区宗地", "LcgisTest-1")
    sub = TTFont(io.BytesIO(data))
    assert "glyf" in sub and "CFF " not in sub  # outlines reportlab can embed
    cmap = sub.getBestCmap()
    assert all(ord(c) in cmap for c in "鲤城高新区宗地0123456789")
    assert sub["name"].getDebugName(6) == "LcgisTest-1"


def test_missing_font_is_a_chinese_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(papers_fonts, "_FOUND", [])
    monkeypatch.setattr(papers_fonts, "_faces", list)
    monkeypatch.setattr(papers_fonts, "_add_system_cjk_files", lambda: None)
    with pytest.raises(FontMissingError, match=r"找不到中文字体.*fonts-noto-cjk"):
        papers_fonts.find_cjk_font()
    monkeypatch.setenv("LCGIS_PDF_FONT", "/nonexistent/字体.ttf")
    with pytest.raises(FontMissingError, match="LCGIS_PDF_FONT"):
        papers_fonts.find_cjk_font()


def test_cli_without_font_says_so_and_writes_nothing(
    park: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LCGIS_PDF_FONT", str(tmp_path / "missing.ttf"))
    out = tmp_path / "one.pdf"
    assert main(["dossier", "Q1", "--data", str(park), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "LCGIS_PDF_FONT" in err and "Traceback" not in err
    assert not out.exists()


def test_long_table_breaks_across_pages_with_repeated_header() -> None:
    rows = [[str(i), f"宗地{i:03d}", PARCEL_B, fmt(i * 1.5)] for i in range(1, 181)]
    doc = Document(
        title="测试",
        blocks=[
            Para("正文"),
            Table(["序号", "宗地编号", "名称", "面积(亩)"], rows, align="RLLR", caption="表1 长表"),
        ],
    )
    data = render(doc)
    pages = pdf_text(data)
    assert len(pages) == page_count(data) >= 3
    for k, page in enumerate(pages, start=1):
        assert "表1长表" in page and "宗地编号" in page and "面积(亩)" in page  # repeated
        assert f"第{k}页共{len(pages)}页" in page
    everything = "".join(pages)
    assert all(f"宗地{i:03d}" in everything for i in range(1, 181))
    assert squash(PARCEL_B) in everything  # markup printed as text, not obeyed
    assert "270.00" in everything


# --- dossiers --------------------------------------------------------------------------------


def test_parcel_years_split_each_year_by_land(evaluated) -> None:
    ds, result, _ = evaluated
    years = parcel_years(result, ds).set_index(["parcel_id", "year"])
    for pid, tax in TAX_2025.items():
        mu = 4.5 if pid == "Q7" else 15.0
        for year, share in SHARE.items():
            assert years.loc[(pid, year), "tax_wan"] == pytest.approx(tax * share)
            assert years.loc[(pid, year), "tax_per_mu"] == pytest.approx(tax * share / mu)
    mine = parcel_years(result, ds, ["Q5"])
    assert set(mine["parcel_id"]) == {"Q5"} and len(mine) == 3


def test_lists_follow_tier_then_priority(evaluated) -> None:
    _, result, _ = evaluated
    p = result.parcels.set_index("parcel_id")
    for disposition in ("buyback", "densify"):
        ids = list_parcels(result, disposition)
        assert set(ids) == set(p.index[p["disposition"] == disposition])
        order = {"near": 0, "mid": 1, "reserve": 2}
        keys = [(order[p.loc[i, "tier"]], -p.loc[i, "priority"]) for i in ids]
        assert keys == sorted(keys)
    assert list_parcels(result, "buyback", "near") == [
        i for i in list_parcels(result, "buyback") if p.loc[i, "tier"] == "near"
    ]
    assert list_parcels(result, "vacate") == []


def test_dossier_shows_figures_rules_years_firms_and_reviews(
    evaluated, park: Path, tmp_path: Path
) -> None:
    ds, result, _ = evaluated
    db = f"sqlite:///{tmp_path / 'review.sqlite'}"
    # the store keeps each dataset's reviews apart where it serves several datasets
    dataset_id = getattr(review, "dataset_id", None)
    which = {"dataset": dataset_id(park)} if dataset_id is not None else {}
    secret = "核查员的密码-2026"
    with ReviewStore(db) as store:
        store.add_user("王核查", secret, "reviewer")
        for status, extra in (("核查中", {"note": "约谈企业"}), ("已核实", {"reason": "企业原因"})):
            store.set_review("Q5", by="王核查", password=secret, status=status, **which, **extra)
    reviews = read_reviews(data_dir=str(park), db=db)
    assert reviews is not None and len(reviews) == 2
    data = dossiers_pdf(result, ["Q5", "Q1"], dataset=ds, reviews=reviews)
    pages = pdf_text(data)
    assert len(pages) == page_count(data) and 4 <= len(pages) <= 8  # cover, contents, 2 × 1–2
    text = "".join(pages)
    # Q5: 60 万元 on 15 亩 → 4.00 万元/亩; three years 3.2, 3.6, 4.0 → 3.60; 收储改造
    assert "宗地Q5体检表" in text and "宗地Q1体检表" in text
    assert "60.0万元÷15.00亩" in text and "4.00" in text and "3.60" in text
    assert "处置方式：收储改造" in text and "处置方式：零地增资" in text
    card = explain(result, "Q5")
    assert card is not None
    for rec in card.figures.to_dict("records"):
        assert squash(rec["数值"]) in text
    assert squash(result.rules.source("buyback")) in text  # the clause and its source
    assert squash(result.rules.source("tax_per_mu_low")) in text
    for year, share in SHARE.items():  # the figures over the years, hand-computed
        assert f"{year}{60 * share:,.1f}{600 * share:,.1f}{4 * share:.2f}" in text
    assert "企业4" in text and code("91350502MA0000104") in text
    assert "王核查" in text and "核查中" in text and "已核实" in text and "约谈企业" in text
    entries = reviews[reviews["parcel_id"] == "Q5"]
    assert all(squash(t.replace("T", " ")) in text for t in entries["time"])


def test_dossier_maps_are_drawn(evaluated, tmp_path: Path) -> None:
    ds, result, _ = evaluated
    pdf = tmp_path / "q1.pdf"
    pdf.write_bytes(dossiers_pdf(result, ["Q1"], dataset=ds))
    exe = shutil.which("pdfimages")
    if exe is not None:  # two images (locator and detail map) on page 1
        listing = subprocess.run([exe, "-list", pdf], capture_output=True, text=True).stdout
        rows = [ln.split() for ln in listing.splitlines()[2:]]
        assert len([r for r in rows if r[0] == "1" and r[2] == "image"]) == 2
    assert_maps_drawn(pdf, 1, tmp_path, 2)


def test_viewer_policy_masks_confidential_figures(evaluated) -> None:
    ds, result, _ = evaluated
    full = "".join(pdf_text(dossiers_pdf(result, ["Q5"], dataset=ds)))
    masked = "".join(
        pdf_text(dossiers_pdf(result, ["Q5"], dataset=ds, policy=role_policy("viewer")))
    )
    assert "60.0万元÷15.00亩" in full and "60.0万元÷15.00亩" not in masked
    assert "涉密指标" in masked and "涉密指标" not in full
    assert "2025" in masked and "宗地Q5体检表" in masked  # the rest is there
    assert role_policy("reviewer") is None and role_policy("admin") is None


def test_unknown_parcel_is_refused(evaluated) -> None:
    _, result, _ = evaluated
    from lcgis.papers import ParcelNotFoundError

    with pytest.raises(ParcelNotFoundError, match="找不到宗地 NOPE"):
        dossiers_pdf(result, ["Q1", "NOPE"])


# --- the annual report -----------------------------------------------------------------------


def test_annual_report_pages_figures_lists_and_sources(evaluated) -> None:
    _, result, previous = evaluated
    info = ReportInfo(dataset="测试园区", rules_label="默认规则", illustrative=True)
    data = annual_report_pdf(result, previous=previous, info=info)
    pages = pdf_text(data)
    # cover, contents, park and zones, classes, three maps, the lists, targets and sources
    assert len(pages) == page_count(data) >= 9
    cover, contents = pages[0], pages[1]
    assert "2025年度" in cover and "测试园区" in cover and "示意数据" in cover
    assert "对照年度2024年" in cover and "规则版本默认规则" in cover
    lines = poppler_text(data, 2)  # the contents, line by line as printed
    for heading in ("一、园区与片区主要指标", "二、企业亩均效益评价类别", "三、图件",
                    "四、处置清单", "五、规划指标", "六、评价规则与依据"):  # fmt: skip
        assert heading in contents
        found = re.search(re.escape(heading) + r"[ .]+(\d+)\s*$", lines, re.MULTILINE)
        assert found, heading
        assert heading in pages[int(found.group(1)) - 1]  # the contents are right
    text = "".join(pages)
    assert all("示意数据" in p for p in pages)  # every page carries the mark
    now, before = park_summary(result), park_summary(previous)
    # park tax: Σ 2025 tax = 1020 万元 on 94.5 亩; 2024: 918 万元
    assert now["tax_wan"] == pytest.approx(1020.0) and before["tax_wan"] == pytest.approx(918.0)
    assert "1,020" in text and "918" in text and fmt(1020 / 94.5) in text
    assert fmt(918 / 94.5) in text and "+102" in text
    for pid in list_parcels(result, "buyback") + list_parcels(result, "densify"):
        assert pid in text
    for label in DISPOSITION_LABELS.values():
        assert label in text
    assert "本年度没有无偿收回候选宗地" in text and "本年度没有腾笼换鸟候选宗地" in text
    assert "潜力上限" in text and "尚未设定规划指标" in text
    for code_ in ("buyback", "densify", "tax_per_mu_low", "idle", "evaluation"):
        assert squash(result.rules.source(code_)) in text
    assert f"规则摘要{result.rules.digest[:12]}" in text


def test_report_maps_are_drawn(evaluated, tmp_path: Path) -> None:
    _, result, previous = evaluated
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(annual_report_pdf(result, previous=previous))
    pages = pdf_text(pdf.read_bytes())
    map_pages = [
        k for k, t in enumerate(pages, start=1) if t.startswith(("三、图件", "图2", "图3"))
    ]
    assert len(map_pages) == 3  # one map a page
    for page in map_pages:
        assert_maps_drawn(pdf, page, tmp_path, 1)


def test_plan_targets_are_tabled_when_set(evaluated) -> None:
    _, result, _ = evaluated
    rules = load_rules(overrides={"relocation": {"targets": {"tax_per_mu": 12.0}}})
    import dataclasses

    with_targets = dataclasses.replace(result, rules=rules)
    text = "".join(pdf_text(annual_report_pdf(with_targets)))
    assert "规划指标与现状" in text and "尚未设定规划指标" not in text
    # 1020 万元 on 94.5 亩 = 10.79 万元/亩 against 12.00: short by 1.21
    assert "12.00" in text and fmt(1020 / 94.5) in text and f"差{fmt(12 - 1020 / 94.5)}" in text


def test_hostile_names_print_as_text(tmp_path: Path) -> None:
    d = make_hostile_dataset(tmp_path / "hostile")
    ds = read_dataset(d)
    result = run(ds, load_rules())
    dossier = "".join(pdf_text(dossiers_pdf(result, ["P1", PARCEL_B], dataset=ds)))
    for name in (NAME_IMG, NAME_SCRIPT, PARCEL_B, ZONE_SVG):
        assert squash(name) in dossier
    report = "".join(pdf_text(annual_report_pdf(result)))
    assert squash(ZONE_SVG) in report


# --- the command line ------------------------------------------------------------------------


def test_cli_report_and_dossier_list(park: Path, tmp_path: Path, capsys) -> None:
    report = tmp_path / "报告.pdf"
    assert main(["report", str(park), "--out", str(report)]) == 0
    n = len(PdfReader(report).pages)
    assert n >= 9 and f"：{n} 页，2025 年度" in capsys.readouterr().out
    assert "对照年度2024年" in pdf_text(report.read_bytes())[0]
    near = tmp_path / "near.pdf"
    assert main(["dossier", "--list", "densify", "--tier", "near", "--data", str(park),
                 "--out", str(near)]) == 0  # fmt: skip
    ds = read_dataset(park)
    ids = list_parcels(run(ds, load_rules()), "densify", "near")
    text = "".join(pdf_text(near.read_bytes()))
    assert ids and all(f"宗地{i}体检表" in text for i in ids)
    assert "零地增资候选宗地体检表(近期)" in text
    capsys.readouterr()
    assert (
        main(["dossier", "Q1", "NOPE", "--data", str(park), "--out", str(tmp_path / "x.pdf")]) == 1
    )
    assert "找不到宗地 NOPE" in capsys.readouterr().err and not (tmp_path / "x.pdf").exists()
    assert main(["dossier", "Q1", "--data", str(park), "--out", str(tmp_path / "x.txt")]) == 2
    assert main(["dossier", "--data", str(park), "--out", str(tmp_path / "y.pdf")]) == 2
