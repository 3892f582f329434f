"""The command line end to end on the toy dataset: outputs, exit codes, atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest

from lcgis.cli import main

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = ["--as-of", "2026-11-28"]


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_evaluate_gpkg_layers_and_fields(toy: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo.gpkg"
    code, stdout, _ = run(capsys, "evaluate", toy, "--out", out, *AS_OF)
    assert code == 0 and "已写出" in stdout
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["enterprises", "parcels", "zones"]
    p = gpd.read_file(out, layer="parcels").set_index("parcel_id")
    assert p.crs.to_epsg() == 4549
    assert p.loc["P1", "land_area_mu"] == pytest.approx(15.0)
    assert p.loc["P2", "tax_per_mu"] == pytest.approx(40 / 7.5)
    assert p.loc["P2", "far"] == pytest.approx(0.24)
    e = pyogrio.read_dataframe(out, layer="enterprises").set_index("credit_code")
    assert e["land_area_mu"].round(6).tolist() == [15.0, 4.5, 3.0]
    z = gpd.read_file(out, layer="zones")
    assert z["n_parcels"].tolist() == [2] and z["land_area_mu"].tolist() == [22.5]


#: What ``evaluate`` to .gpkg never needs: the app and maps, the workbook and the papers, the
#: review store's database layer, the cluster engine, the relocation solver, the demo generator.
NOT_FOR_EVALUATE = (
    "streamlit", "folium", "branca", "mapclassify", "matplotlib", "openpyxl", "reportlab",
    "dask", "distributed", "highspy", "sqlalchemy", "psycopg", "lcgis.review.store",
    "lcgis.review.db", "lcgis.papers", "lcgis.plan", "lcgis.demo", "lcgis.views.sheets",
    "lcgis.views.maps", "lcgis.views.explain",
)  # fmt: skip


def test_evaluate_gpkg_imports_only_what_it_needs(toy: Path, tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from lcgis.cli import main\n"
        f"main(['evaluate', {str(toy)!r}, '--out', {str(tmp_path / 'x.gpkg')!r}])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    env = {k: v for k, v in os.environ.items() if k != "LCGIS_DATABASE_URL"}  # no store: none
    argv = [sys.executable, "-c", code]
    run = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    needless = [m for m in loaded if any(m == n or m.startswith(n + ".") for n in NOT_FOR_EVALUATE)]
    assert needless == []


def test_one_blas_thread_but_for_plan_and_never_over_the_users_choice() -> None:
    from lcgis.__main__ import one_blas_thread

    env: dict[str, str] = {}
    one_blas_thread(["plan", "data"], env)
    assert env == {}
    one_blas_thread(["evaluate", "data", "--out", "x.gpkg"], env)
    assert env == {"OPENBLAS_NUM_THREADS": "1"}
    env = {"OPENBLAS_NUM_THREADS": "4"}
    one_blas_thread(["evaluate"], env)
    assert env == {"OPENBLAS_NUM_THREADS": "4"}


def test_small_pages_unless_the_user_chose() -> None:
    from lcgis.__main__ import small_pages

    env: dict[str, str] = {}
    small_pages(env)
    assert env == {"NUMPY_MADVISE_HUGEPAGE": "0"}
    env = {"NUMPY_MADVISE_HUGEPAGE": "1"}
    small_pages(env)
    assert env == {"NUMPY_MADVISE_HUGEPAGE": "1"}


#: In a fresh interpreter: steady_heap() when argv[1] is "1", then whether a 16 MiB array got
#: its own mapping (glibc's count of mapped blocks, mallinfo2) rather than heap memory.
MAPPED_BLOCKS = """
import ctypes, sys
from lcgis.__main__ import steady_heap
class Info(ctypes.Structure):
    names = "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost"
    _fields_ = [(n, ctypes.c_size_t) for n in names.split()]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
done = steady_heap() if sys.argv[1] == "1" else False
import numpy as np
before = libc.mallinfo2().hblks
a = np.ones(2 * 2**20)
print(done, libc.mallinfo2().hblks - before)
"""


def test_steady_heap_keeps_large_arrays_in_the_heap_unless_the_user_chose() -> None:
    import platform

    if not (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"):
        pytest.skip("mallopt and mallinfo2 are glibc's")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}

    def mapped(steady: str, environ: dict[str, str]) -> str:
        argv = [sys.executable, "-c", MAPPED_BLOCKS, steady]
        return subprocess.run(argv, capture_output=True, text=True, check=True, env=environ).stdout

    assert mapped("0", env).split() == ["False", "1"]  # glibc's default: a mapping of its own
    assert mapped("1", env).split() == ["True", "0"]  # in the heap
    assert mapped("1", {**env, "MALLOC_TRIM_THRESHOLD_": "131072"}).split() == ["False", "1"]


def test_evaluate_csv_and_geojson(toy: Path, tmp_path: Path, capsys) -> None:
    assert run(capsys, "evaluate", toy, "--out", tmp_path / "p.csv", *AS_OF)[0] == 0
    assert run(capsys, "evaluate", toy, "--out", tmp_path / "p.geojson", *AS_OF)[0] == 0
    csv = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")
    assert csv["wkt"].str.startswith("SRID=4326;POLYGON").all()
    assert {"parcel_id", "far", "coverage", "vacate_reasons", "densify_candidate"} <= set(csv)
    gj = gpd.read_file(tmp_path / "p.geojson")
    assert gj.crs.to_epsg() == 4326 and len(gj) == 2
    # the collection is named after the file asked for, not the temporary file written first
    assert json.loads((tmp_path / "p.geojson").read_text(encoding="utf-8"))["name"] == "p"


def test_evaluate_csv_keeps_the_input_files_own_columns(
    toy_extras: Path, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "p.csv"
    assert run(capsys, "evaluate", toy_extras, "--out", out, *AS_OF)[0] == 0
    csv = pd.read_csv(out, encoding="utf-8-sig", dtype=str).set_index("parcel_id")
    assert csv.columns.tolist()[-3:] == ["extra:规划用途", "extra:编码", "wkt"]
    assert csv["extra:编码"].to_dict() == {"P1": "007", "P2": "010"}


def test_workbook_sheets_headers_and_print_setup(toy: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo.xlsx"
    assert run(capsys, "evaluate", toy, "--out", out, *AS_OF)[0] == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "说明", "宗地", "企业", "片区", "规划目标", "无偿收回", "收储改造", "腾笼换鸟", "零地增资",
        "数据质量",
    ]  # fmt: skip
    ws = wb["宗地"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["宗地编号", "片区", "实测面积(m²)"]  # no zone ids (north) on a sheet
    assert "亩均税收(万元/亩)" in headers and "用地面积(亩)" in headers
    assert ws.freeze_panes == "B2"
    reasons = headers.index("低效原因") + 1
    assert "建筑系数低于下限" in ws.cell(row=2, column=reasons).value
    assert ws.cell(row=2, column=headers.index("用地面积(m²)") + 1).number_format == "#,##0.00"
    # P1 (10 万元/亩, FAR 0.14 → max_far 2.0) and P2 (5.33 万元/亩, FAR 0.24 → 2.5): 甲 has
    # no class in a group of one, so it is not D; P1 has the larger gain and comes first
    sheet = wb["零地增资"]
    listed = [
        r[[c.value for c in sheet[1]].index("宗地编号")]
        for r in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert listed == ["P1", "P2"]
    assert wb["数据质量"]["A2"].value == "警告"


def test_bad_data_exit_1_and_nothing_written(toy: Path, tmp_path: Path, capsys) -> None:
    bad = gpd.read_file(toy / "parcels" / "parcels.gpkg")
    bad["parcel_id"] = ["P1", "P1"]
    bad.to_file(toy / "parcels" / "parcels.gpkg")
    out = tmp_path / "result.xlsx"
    code, _, err = run(capsys, "evaluate", toy, "--out", out)
    assert code == 1 and not out.exists()
    assert "宗地编号重复" in err and "Traceback" not in err
    out.write_bytes(b"previous result")
    assert run(capsys, "evaluate", toy, "--out", out)[0] == 1
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.xlsx", "toy"]  # no temporary
    assert run(capsys, "validate", toy)[0] == 1


def test_failed_write_leaves_existing_output(
    toy: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    out = tmp_path / "result.gpkg"
    out.write_bytes(b"previous result")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("lcgis.views.report._write_gpkg", boom)
    code, _, err = run(capsys, "evaluate", toy, "--out", out)
    assert code == 1 and "disk full" in err
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.gpkg", "toy"]


def test_usage_errors_exit_2(toy: Path, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(toy)])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", str(toy), "--out", "x.gpkg", "--as-of", "28/11/2026"])
    assert exc.value.code == 2
    code, _, err = run(capsys, "evaluate", toy, "--out", tmp_path / "x.pdf")
    assert code == 2 and ".gpkg" in err
    code, _, err = run(capsys, "evaluate", toy, "--out", tmp_path / "x.gpkg", "--year", "2019")
    assert code == 2 and "2019" in err and not (tmp_path / "x.gpkg").exists()


def test_rules_file_unknown_key_and_override(toy: Path, tmp_path: Path, capsys) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[densify]\nmin_extra_floor_area_m3 = 1\n", encoding="utf-8")
    code, _, err = run(capsys, "evaluate", toy, "--out", tmp_path / "x.csv", "--rules", rules)
    assert code == 2 and "densify.min_extra_floor_area_m3" in err
    rules.write_text("[densify]\nmin_extra_floor_area_m2 = 20000\n", encoding="utf-8")
    assert (
        run(capsys, "evaluate", toy, "--out", tmp_path / "x.csv", "--rules", rules, *AS_OF)[0] == 0
    )
    p = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig").set_index("parcel_id")
    assert not p["densify_candidate"].astype(bool).any()  # 11,300 m² is now below the floor


def test_validate_ok(toy: Path, capsys) -> None:
    code, out, _ = run(capsys, "validate", toy)
    assert code == 0 and "结论：可以使用" in out


def test_explain(toy: Path, capsys) -> None:
    code, out, _ = run(capsys, "explain", "P2", toy, *AS_OF)
    assert code == 0
    assert out.startswith("宗地 P2 体检表(北片区，2025年度，基准日 2026-11-28)")
    assert "处置：零地增资" in out
    assert "理由：容积率可由 0.24 提高到 2.50，可增建筑面积 11,300 m²" in out
    assert "乙公司" in out and "丙公司" in out
    code, _, err = run(capsys, "explain", "NOPE", toy)
    assert code == 1 and "找不到宗地 NOPE" in err
