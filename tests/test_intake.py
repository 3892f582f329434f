"""The import wizard's library side: the proposal shown as tables, edits read back, the CRS
candidates drawn where they land, and the same check as ``python -m lcgis import``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyproj
import pytest

from lcgis.cli import main
from lcgis.data import importer
from lcgis.data.io import read_dataset
from lcgis.data.propose import propose
from lcgis.data.schema import M2_PER_MU
from lcgis.engine.pipeline import check
from lcgis.rules import load_rules
from lcgis.views import intake
from tests.conftest import X0, Y0, rect

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.filterwarnings("ignore:'crs' was not provided")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """A parcels file without CRS whose columns the aliases do not name, and a table."""
    shp = tmp_path / "dk.shp"
    gpd.GeoDataFrame(
        {
            "DKBH": ["A-1", "A-2", "A-3"],
            "MJ": [15.0, 30.0, 7.5],  # 亩
            "ZT": ["未动工", "竣工", "搁置"],
            "JZMJ": [20000.0, 5000.0, 0.0],
        },
        geometry=[rect(i * 200, 0, 100, 100) for i in range(3)],  # GK, no zone prefix
    ).to_file(shp)
    other = tmp_path / "名录.csv"
    pd.DataFrame({"宗地编号": ["A-1"], "备注": ["x"]}).to_csv(other, index=False)
    return shp, other


def _set(table: pd.DataFrame, field: str, column: str, value: str) -> None:
    table.loc[table["字段"] == field, column] = value


def test_edits_in_the_tables_become_the_mapping_and_the_figures(tmp_path: Path) -> None:
    shp, other = _files(tmp_path)
    p = propose([shp, other])
    item = p.inputs[0]
    assert (item.layer, item.columns) == ("parcels", {})
    assert any("parcel_id" in q for q in p.questions)
    fields = intake.field_table(item)
    _set(fields, "parcel_id", "对应的列", "DKBH")
    _set(fields, "registered_area_m2", "对应的列", "MJ")
    _set(fields, "registered_area_m2", "单位", "亩")
    _set(fields, "floor_area_m2", "对应的列", "JZMJ")
    _set(fields, "floor_area_m2", "单位", "万元")  # wrong kind: dropped
    _set(fields, "construction_status", "对应的列", "ZT")
    intake.apply_field_table(item, fields)
    assert item.columns["registered_area_m2"].unit == "mu"
    assert item.columns["floor_area_m2"].unit is None
    values = intake.value_table(item, "construction_status")
    assert values.to_dict("list") == {
        "文件中的取值": ["搁置", "未动工", "竣工"],
        "对应的标准取值": ["(不使用)", "未动工(not_started)", "竣工(completed)"],
    }
    assert any("搁置" in q for q in p.questions)
    values.loc[0, "对应的标准取值"] = "停工(suspended)"
    intake.apply_value_table(item, "construction_status", values)
    assert not any("搁置" in q for q in p.questions)
    assert item.unmapped() == []
    # the CRS: two candidates, neither sure; 4549 puts the parcels near Quanzhou
    assert [c.code for c in item.crs_choices] == ["EPSG:4549", "EPSG:4548"]
    assert any("坐标系" in q for q in p.questions)
    near = intake.preview(item, "EPSG:4549")
    far = intake.preview(item, "EPSG:4548")
    assert near is not None and far is not None
    for geoms, code in ((near, 4549), (far, 4548)):
        lon, lat = pyproj.Transformer.from_crs(code, 4326, always_xy=True).transform(X0, Y0)
        assert geoms.total_bounds[:2] == pytest.approx([lon, lat], abs=1e-4)
    assert 115 < far.total_bounds[0] < 116 < 118.5 < near.total_bounds[0] < 118.6  # by Licheng
    assert intake.lands(intake.preview(item, "EPSG:4326")).startswith("无法换算")
    item.set_crs("EPSG:4549")
    # the second input is also parcels-like? it is a table: set it aside by the layer table
    layers = intake.layer_table(p)
    layers.loc[1, "判断为"] = "(不使用)"
    intake.apply_layer_table(p, layers)
    assert p.inputs[1].layer is None
    assert p.questions == []
    _p, ds, tmp = importer.build([shp, other], tmp_path / "out", proposal=p)
    outcome = importer.Outcome(p, check(ds, load_rules()))
    assert not outcome.report.has_errors, outcome.report.format()
    importer.commit(tmp, tmp_path / "out")
    parcels = read_dataset(tmp_path / "out").parcels.set_index("parcel_id")
    assert parcels.loc["A-1", "registered_area_m2"] == pytest.approx(15 * M2_PER_MU)
    assert parcels.loc["A-3", "construction_status"] == "suspended"


def test_a_layer_changed_in_the_table_is_proposed_anew(tmp_path: Path) -> None:
    csv = tmp_path / "表.csv"
    pd.DataFrame(
        {"统一社会信用代码": ["91350502MA2XY00001"], "宗地编号": ["A-1"], "权属": ["租赁"]}
    ).to_csv(csv, index=False)
    p = propose([csv])
    assert p.inputs[0].layer == "occupancy"
    layers = intake.layer_table(p)
    layers.loc[0, "判断为"] = "企业"
    intake.apply_layer_table(p, layers)
    item = p.inputs[0]
    assert item.layer == "enterprises"
    assert "tenure" not in item.columns and item.values == {}
    assert "权属" in item.unmapped()


def test_the_cli_says_what_the_wizard_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same files and choices give the same summary line in both."""
    shp, other = _files(tmp_path)
    p = propose([shp, other])
    item = p.inputs[0]
    fields = intake.field_table(item)
    _set(fields, "parcel_id", "对应的列", "DKBH")
    _set(fields, "floor_area_m2", "对应的列", "JZMJ")
    intake.apply_field_table(item, fields)
    item.set_crs("EPSG:4549")
    _p, ds, tmp = importer.build([shp, other], tmp_path / "app", proposal=p)
    app = importer.Outcome(p, check(ds, load_rules()))
    importer.discard(tmp)
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(p.mapping_toml(), encoding="utf-8")
    out = tmp_path / "cli"
    args = ["import", str(shp), str(other), "--out", str(out), "--mapping", str(mapping)]
    assert main(args) == 1  # 名录.csv is taken as occupancy and lacks its credit codes
    printed = capsys.readouterr().out.splitlines()
    assert app.summary() in printed
    # the missing credit_code (error and question), MJ and ZT unmapped (warning), no hint
    assert app.counts == (1, 1, 0, 1)
