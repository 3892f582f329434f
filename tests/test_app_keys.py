"""Switching datasets resets what belongs to the dataset in one place
(:func:`ui.keys.reset_dataset_dependent`): the selected parcel, the search hits, the review
form and the relocation movers of the old dataset are gone after the switch."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from lcgis.data.io import read_dataset
from tests.hostile import make_hostile_dataset
from ui import keys, state

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def temp_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{tmp_path / 'review.sqlite'}")


def selections(pid: str) -> dict[str, object]:
    """What a user has chosen on a dataset: a parcel, search hits, a review form's version,
    a movers table, a map's view."""
    return {
        keys.SELECTED: pid,
        keys.MAP_HITS: [(pid, pid)],
        keys.MAP_HIT: pid,
        keys.MAP_FOCUS: pid,
        keys.FORM_VERSION: {pid: 3},
        keys.MOVERS: pd.DataFrame({"mover_id": ["M1"]}),
        keys.MOVERS_DIR: "elsewhere",
        keys.MAP_VIEW_PREFIX + keys.PARCEL_MAP: {"focus": (pid,)},
    }


def assert_cleared(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state[keys.SELECTED] is None
    for name in (keys.MAP_HITS, keys.MAP_HIT, keys.MAP_FOCUS, keys.FORM_VERSION, keys.MOVERS):
        assert name not in at.session_state, name
    assert keys.MAP_VIEW_PREFIX + keys.PARCEL_MAP not in at.session_state


def test_switching_back_to_the_default_data_clears_the_selection(
    tmp_path: Path, admin: dict[str, object]
) -> None:
    other = make_hostile_dataset(tmp_path / "hostile")
    pid = str(read_dataset(other).parcels["parcel_id"].iloc[0])
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {**admin, keys.DATA_DIR: str(other)}.items():
        at.session_state[k] = v
    at.run()
    at.switch_page("app_pages/data.py").run()
    for k, v in selections(pid).items():
        at.session_state[k] = v
    at.run()
    assert at.session_state[keys.SELECTED] == pid  # kept while the dataset stays
    at.button(key=keys.DATA_RESET).click().run()
    assert at.session_state[keys.DATA_DIR] == state.initial_data_dir()
    assert_cleared(at)


def test_choosing_another_dataset_in_the_sidebar_clears_the_selection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, admin: dict[str, object]
) -> None:
    other = make_hostile_dataset(tmp_path / "hostile")
    config = tmp_path / "lcgis-app.toml"  # the server offers a second park beside the demo
    config.write_text(f'[datasets]\n"第二园区" = "{other.as_posix()}"\n', encoding="utf-8")
    monkeypatch.setenv("LCGIS_APP_CONFIG", str(config))
    pid = str(read_dataset(ROOT / "data").parcels["parcel_id"].iloc[0])
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {**admin, **selections(pid)}.items():
        at.session_state[k] = v
    at.run()
    assert at.session_state[keys.SELECTED] == pid
    box = at.sidebar.selectbox(key=keys.sub(keys.W_DATA_DIR, 0))  # generation 0
    box.set_value(str(other)).run()
    assert Path(at.session_state[keys.DATA_DIR]).resolve() == other.resolve()
    assert_cleared(at)
