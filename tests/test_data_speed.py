"""The data layer's fast paths give what the plain ones gave (issue "Scale")."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import pytest

from lcgis.data import canonical, encoding, readers, values
from lcgis.data import crs as crs_mod
from lcgis.data.validate import (
    CREDIT_CODE_CHARS,
    credit_code_check_char,
    credit_code_valid,
    credit_codes_valid,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def _old_credit_codes_valid(codes: pd.Series) -> pd.Series:
    """The implementation before the lookup table (one Python call per code)."""
    return codes.map(credit_code_valid, na_action="ignore").astype("boolean")


def test_credit_codes_match_the_scalar_check_on_many_codes() -> None:
    rng = np.random.default_rng(3)
    chars = np.array(list(CREDIT_CODE_CHARS))
    bodies = ["".join(rng.choice(chars, 17)) for _ in range(3000)]
    good = [b + credit_code_check_char(b) for b in bodies]
    wrong = [b + CREDIT_CODE_CHARS[(CREDIT_CODE_CHARS.index(g[-1]) + 1) % 31]
             for b, g in zip(bodies, good, strict=True)]  # fmt: skip
    odd = [
        good[0].lower(), good[1][:17], good[2] + "0", good[3][:5] + "I" + good[3][6:],
        good[4][:5] + "Ｏ" + good[4][6:], "ﬀ" * 9, "", " " + good[5][1:], None, np.nan,
        pd.NA, 91350502, 1.5,
    ]  # fmt: skip
    codes = pd.Series(good + wrong + odd, dtype=object)
    new, old = credit_codes_valid(codes), _old_credit_codes_valid(codes)
    pd.testing.assert_series_equal(new, old)
    assert new[:3000].all() and not new[3000:6000].any()
    assert new.isna().sum() == 3  # None, nan, NA stay missing
    as_text = codes[codes.map(lambda x: isinstance(x, str))].astype("string")
    pd.testing.assert_series_equal(credit_codes_valid(as_text), _old_credit_codes_valid(as_text))
    chunks = pd.concat([as_text[:4000], pd.Series([None], dtype="string"), as_text[4000:]])
    assert values.arrow_text(chunks).num_chunks == 3  # codes taken from each chunk's bytes
    pd.testing.assert_series_equal(credit_codes_valid(chunks), _old_credit_codes_valid(chunks))


def test_transformers_are_built_once_per_crs_pair(monkeypatch: pytest.MonkeyPatch) -> None:
    crs_mod._transformer.cache_clear()
    built: list[object] = []
    real = pyproj.Transformer.from_crs

    def counting(*args: object, **kwargs: object) -> pyproj.Transformer:
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(pyproj.Transformer, "from_crs", counting)
    a = crs_mod.transformer(4549, "EPSG:4326")
    b = crs_mod.transformer(pyproj.CRS.from_epsg(4549), 4326)
    c = crs_mod.transformer(4548, 4326)
    assert a is b and c is not a and len(built) == 2
    lon, lat = a.transform(500000.0, 2750000.0)
    assert lon == pytest.approx(120.0) and 24 < lat < 25


def test_gpkg_stores_null_for_a_missing_zone_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lcgis.data import io
    from lcgis.engine.pipeline import run
    from lcgis.rules import load_rules
    from lcgis.views import report

    result = run(io.read_dataset("data"), load_rules())
    names = result.zones["zone_name"].tolist()
    # as on a dataset whose zones have no names: missing values in an object column
    result.zones["zone_name"] = pd.Series([pd.NA] * len(result.zones), dtype=object)
    out = report.write(result, tmp_path / "out.gpkg")
    with sqlite3.connect(out) as db:
        stored = [r[0] for r in db.execute("SELECT zone_name FROM zones")]
        ids = [r[0] for r in db.execute("SELECT zone_id FROM zones")]
    assert stored == [None] * len(names)
    assert ids == result.zones["zone_id"].tolist()
    assert "<NA>" not in stored


#: Cell texts where parsing could depend on the rest of the column: blanks of every kind,
#: full-width digits, control characters, numbers and dates of several spellings, bad values.
ODD_CELLS = [
    "2021-03-01", "2021/3/1", "2021年3月1日", "20210301", "2021-02-30", "9999-12-31", "44256",
    "1,234.5", "１２３", " 88 ", "12.5万", "inf", "1e400", "-0", "0", "1", "是", "否", "Y",
    "true", "规上", "", "  ", "nan", "None", "NULL", "NaT", None, "a\tb", "x\x07y", "\u202ex",
    "ＡＢ1", " ab ", "0039", "39.0", "C", "c", "other",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", "string[python]", "string[pyarrow]"])
@pytest.mark.parametrize(
    ("parse", "options"),
    [
        (values.parse_numbers, {}),
        (values.parse_dates, {}),
        (values.parse_bools, {}),
        (values.has_control, {}),
        (values.parse_text, {}),
        (values.parse_text, {"code": True}),
        (canonical._enum_values, {"values": {"c": "工业", "Other": "other", "39": "x"}}),
        (canonical._enum_texts, {"values": {"c": "工业", "Other": "other", "39": "x"}}),
    ],
)
def test_parsing_once_per_distinct_value_gives_the_same_series(
    parse: Callable[..., Any], options: dict[str, Any], dtype: str
) -> None:
    rng = np.random.default_rng(5)
    cells = rng.choice(np.array(ODD_CELLS, dtype=object), 3 * values.SAMPLE_ROWS)
    index = pd.Index(rng.permutation(len(cells)) + 7)
    column = pd.Series(cells, index=index, dtype=dtype, name="col")
    assert values._distinct_values(column) is not None  # the path under test is taken
    only_iso = column.where(column.isna(), "2021-03-01")  # parse_dates' all-ISO branch
    for s in (column, only_iso, column.where(column.isna(), "")):
        got = parse(s, **options)
        want = parse.__wrapped__(s, **options)  # type: ignore[attr-defined]  # the plain parse
        if not isinstance(got, tuple):
            got, want = (got,), (want,)
        for g, w in zip(got, want, strict=True):
            pd.testing.assert_series_equal(g, w)


def test_columns_of_distinct_values_are_parsed_as_they_are() -> None:
    unique = pd.Series([f"{i}.5" for i in range(3 * values.SAMPLE_ROWS)], dtype="str")
    late = pd.Series(["1"] * (3 * values.SAMPLE_ROWS), dtype="str")
    late[values.SAMPLE_ROWS :] = [str(i) for i in range(2 * values.SAMPLE_ROWS)]
    mixed = pd.Series([1, 1.0, True] * values.SAMPLE_ROWS, dtype=object)
    assert values._distinct_values(unique) is None
    assert values._distinct_values(late) is None
    assert values._distinct_values(mixed) is None
    assert values._distinct_values(late[:100]) is None  # short columns: parsed as they are


#: Texts around the lines of spaces only that pandas' reader skips (and pyarrow's keeps).
CSV_TEXTS = [
    "", " ", "\t", "a", "a\n", "a\n \n", "a\n \t \nb", " \na", "\t\r\nb", "a\r\n  \r\nb",
    "a\r \rb", "a\n b\n", "a\n\tb", "a,b\n1, \n", "宗地\n　\n1", "宗地\n \u2028\n", "a\n\n",
    "a\n ", "a\n \n\n", "x\u0085 \ny", "ａ\r\n\t\t",
]  # fmt: skip


@pytest.mark.parametrize("text", CSV_TEXTS)
@pytest.mark.parametrize("slice_bytes", [1, 2, 3, readers.BLANK_LINE_SLICE])
def test_blank_lines_are_found_in_utf8_bytes_as_in_the_text(
    text: str, slice_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "BLANK_LINE_SLICE", slice_bytes)  # line breaks at the seams
    blank_line = re.compile(r"(?:^|[\r\n])[ \t]+(?:[\r\n]|$)")  # in the text itself
    assert readers._has_blank_line(text.encode()) is (blank_line.search(text) is not None)


def _old_decode_text(raw: bytes) -> tuple[str, str]:
    """The decoding before UTF-8 was tried first: the encoding detected, then decoded."""
    enc = encoding.detect_encoding(raw)
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnicodeError(f"第 {line} 行有无法识别的字节(不是 UTF-8、GBK 或 Big5 编码)") from exc


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"a,b\n1,2\n",
        "宗地编号\n1\n".encode(),
        "\ufeff宗地编号\n1\n".encode(),
        "宗地编号\n1\n".encode("gbk"),
        "宗地編號\n1\n".encode("big5"),
        "宗地".encode()[:-1],  # a character cut at the end
        b"a\n\xff\xfe\x00\n",
    ],
)
def test_decode_text_gives_what_detecting_first_gave(raw: bytes) -> None:
    try:
        want: tuple[str, str] | str = _old_decode_text(raw)
    except UnicodeError as exc:
        want = str(exc)
    try:
        got: tuple[str, str] | str = encoding.decode_text(raw)
    except UnicodeError as exc:
        got = str(exc)
    assert got == want


def test_vector_layers_read_without_shared_objects_as_before(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pyogrio
    import shapely

    from lcgis.data import guard
    from lcgis.data.mapping import LayerMapping

    square = shapely.box(0, 0, 10, 10)
    shapes = [square, square, None, shapely.Polygon(), shapely.box(5, 5, 20, 20)]
    layer = gpd.GeoDataFrame(
        {"parcel_id": ["A", "A", None, "D", "E"], "area": [1.0, 1.0, None, 0.0, 2.5]},
        geometry=shapes,
        crs=4549,
    )
    path = tmp_path / "parcels.gpkg"
    layer.to_file(path)
    got = readers._read_vector(path, LayerMapping(), guard.Limits.from_env())
    want = pyogrio.read_dataframe(str(path), use_arrow=True)
    pd.testing.assert_frame_equal(got, want)


def test_total_bounds_batch_by_batch_are_those_of_geopandas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import geopandas as gpd
    import shapely

    with np.errstate(invalid="ignore"):  # coordinates that are not numbers
        nan_line = shapely.from_wkt("LINESTRING (NaN 1, 3 NaN)")
    shapes = [
        shapely.box(0, 1, 2, 3), None, shapely.Polygon(), shapely.Point(-5, 7),
        shapely.MultiPolygon([shapely.box(9, 9, 10, 10), shapely.box(-1, -2, 0, 0)]),
        shapely.Polygon([(0, 0), (4, 4), (4, 0), (0, 4)]),  # self-intersecting
        shapely.Polygon(shapely.box(0, 0, 30, 30).exterior, [shapely.box(1, 1, 2, 2).exterior]),
        nan_line, shapely.Point(np.inf, -np.inf),
        shapely.GeometryCollection(), shapely.box(0, 1, 2, 3),
    ]  # fmt: skip
    monkeypatch.setattr(crs_mod, "BOUNDS_BATCH", 3)  # batches of shapes, of empties only
    empties_first = [None, shapely.Polygon(), shapely.GeometryCollection(), shapely.Point(1, 2)]
    for layer in (shapes, empties_first, [None, shapely.Polygon()], shapes[:1], []):
        geoms = np.array(layer, dtype=object)
        want = gpd.GeoSeries(geoms).total_bounds
        np.testing.assert_array_equal(crs_mod.total_bounds(geoms), want)


#: Characters NFKC changes alone or next to others (combining marks out of order and after
#: a letter, Hangul jamo, compatibility forms), the spaces of every kind, control characters.
NFKC_CHARS = [
    "企", "业", "a", "e", "\u0301", "\u0323", "\u0308", "\u1100", "\u1161", "\u11a8", "가",
    "\uf900", "ﬁ", "①", "Ａ", "\u3000", "\u00a0", "\u2009", "\u1680", "\u2028", "\u2029",
    " ", "\t", "\x07", "\u202e", "\x85", "\u212b", "😀",
]  # fmt: skip


#: ASCII characters: printable ones, and the tab, line breaks and control characters.
ASCII_CHARS = ["a", "Z", "0", " ", "~", "\t", "\n", "\r", "\x00", "\x07", "\x0b", "\x1f", "\x7f"]


def test_arrow_text_is_parsed_as_text_objects_are() -> None:
    rng = np.random.default_rng(11)

    def texts(chars: list[str]) -> list[str]:
        return ["".join(rng.choice(np.array(chars), rng.integers(0, 4))) for _ in range(3000)]

    unicode, ascii_ = texts(NFKC_CHARS), texts(ASCII_CHARS)
    plain = [" 企业甲 ", "企业乙\u2028", "\u1680企业丙", "", "nan", None, "ab", "가각"]
    columns = [
        *([c, "企业"] for c in unicode[:300]),
        *([c, " A1", None] for c in ascii_[:300]),
        unicode,
        ascii_,
        plain,
        plain[:3],
        ["x\u0301", None],
        [None, None],
    ]
    for column in columns:
        arrow = pd.Series(column, dtype="string[pyarrow]", name="col")
        objects = arrow.astype(object)
        for code in (False, True):
            got = values.parse_text.__wrapped__(arrow, code=code)  # type: ignore[attr-defined]
            want = values.parse_text.__wrapped__(objects, code=code)  # type: ignore[attr-defined]
            pd.testing.assert_series_equal(got, want)
        got = values.has_control.__wrapped__(arrow)  # type: ignore[attr-defined]
        pd.testing.assert_series_equal(got, values.has_control.__wrapped__(objects))  # type: ignore[attr-defined]
    assert values._arrow_plain_texts(pd.Series(plain, dtype="string[pyarrow]")) is not None


def test_text_is_nfkc_normal_only_if_each_value_is() -> None:
    import pyarrow as pa

    rng = np.random.default_rng(12)
    chars = np.array(NFKC_CHARS, dtype=object)
    told_normal = 0
    for _ in range(3000):
        texts = ["".join(rng.choice(chars, rng.integers(0, 3))) for _ in range(3)]
        if values._arrow_nfkc_normal(pa.chunked_array([texts[:2], [None, texts[2]]])):
            assert all(unicodedata.is_normalized("NFKC", t) for t in texts)
            told_normal += 1
    assert 100 < told_normal < 2900  # both answers were given


def _overlap_rows_pair_by_pair(shapes: np.ndarray) -> dict[str, tuple[int, ...]]:
    """The rows check_overlaps names, from every pair of shapes (no tree, no box)."""
    import shapely

    from lcgis.data.frame import ratio

    left, right = np.triu_indices(len(shapes), k=1)
    inner = shapely.relate_pattern(shapes[left], shapes[right], "2********")
    left, right = left[inner], right[inner]
    common = shapely.area(shapely.intersection(shapes[left], shapes[right]))
    share = ratio(common, np.minimum(shapely.area(shapes[left]), shapely.area(shapes[right])), 0.0)
    found = {"error": share >= 0.5, "warning": (share > 0.01) & (share < 0.5)}
    return {
        level: tuple(int(r) + 1 for r in np.unique(np.concatenate([left[m], right[m]])))
        for level, m in found.items()
        if m.any()
    }


def test_overlapping_parcels_are_those_found_pair_by_pair() -> None:
    import geopandas as gpd
    import shapely

    from lcgis.data import validate

    rng = np.random.default_rng(13)
    frame = shapely.box(0, 0, 1000, 1000)
    points = shapely.multipoints(rng.uniform(0, 1000, (150, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(points)), frame)
    moved = shapely.transform(cells[:20], lambda xy: xy + rng.uniform(-30, 30, 2))
    ring = shapely.Polygon(shapely.box(2000, 0, 2100, 100).exterior,
                           [shapely.box(2010, 10, 2090, 90).exterior])  # fmt: skip
    odd = [
        cells[3], ring, shapely.box(2020, 20, 2080, 80),  # a duplicate; a parcel in a hole
        shapely.box(2050, 50, 2095, 95), shapely.box(2100, 0, 2200, 100),  # in a ring; touching
        shapely.Polygon([(0, 0), (40, 40), (40, 0), (0, 40)]), None, shapely.Polygon(),
        shapely.MultiPolygon([shapely.box(990, 990, 1010, 1010), shapely.box(3000, 0, 3001, 1)]),
    ]  # fmt: skip
    shapes = np.array([*cells, *moved, *odd], dtype=object)
    report = validate.QualityReport()
    validate.check_overlaps(gpd.GeoDataFrame(geometry=shapes, crs=4549), "parcels", "p", report)
    usable = ~validate._missing(shapes) & shapely.is_valid(shapes)
    want = _overlap_rows_pair_by_pair(np.where(usable, shapes, shapely.Polygon()))
    assert {i.level: i.rows for i in report.issues} == want
    assert set(want) == {"error", "warning"}


def test_layers_keep_their_shapes_without_copies_as_before() -> None:
    import geopandas as gpd
    import shapely

    from lcgis.data import io
    from lcgis.data import validate as v
    from lcgis.data.mapping import LayerMapping

    shapes = [shapely.box(0, 0, 1, 1), None, shapely.box(5, 5, 6, 7)]
    raw = gpd.GeoDataFrame({"floors": [1.0, None, 3.0]}, geometry=shapes, crs=4549,
                           index=pd.Index([4, 2, 9]))  # fmt: skip
    raw = raw.rename_geometry("geom")
    got = canonical.canonicalize(readers.RawLayer(raw, 1), "buildings", LayerMapping(), "b",
                                 v.QualityReport())  # fmt: skip
    want = gpd.GeoDataFrame({"floors": raw["floors"]}, geometry=raw.geometry.values, crs=4549)
    pd.testing.assert_frame_equal(got, want)
    assert got.geometry.name == "geometry" and got.crs == raw.crs
    for crs in (pyproj.CRS.from_epsg(4549), pyproj.CRS.from_epsg(4326)):
        pd.testing.assert_frame_equal(io._in_crs(got, crs), got.to_crs(crs))
        assert io._in_crs(got, crs).crs == got.to_crs(crs).crs


def test_the_spaces_left_in_plain_text_are_all_that_str_strip_removes() -> None:
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    left = {
        c
        for c in spaces
        if unicodedata.is_normalized("NFKC", c) and values._TEXT_DIRTY.search(c) is None
    }
    assert left == set(values._NORMAL_SPACES)
