"""The committee papers from the app: 总览 → the annual report, 候选 → a list's dossiers, the
parcel card → its dossier; each one click after opening the screen, masked by role.

The buttons make their PDF when clicked; the test takes the callable each button was given
(exactly what Streamlit runs on the click) and opens what it returns.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import pytest

pytest.importorskip("streamlit")
import streamlit as st
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from lcgis.papers import list_parcels
from lcgis.views.explain import fmt
from lcgis.views.summary import park_summary
from tests.test_app import APP, PAGES, library
from ui import state

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(autouse=True)
def temp_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review store lives in a temporary file: data/ is never written."""
    monkeypatch.setenv("LCGIS_DATABASE_URL", f"sqlite:///{tmp_path / 'review.sqlite'}")


@pytest.fixture
def buttons(monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    """Every download button drawn, by key: its arguments (``data`` is the callable)."""
    seen: dict[str, dict[str, Any]] = {}
    original = st.download_button

    def spy(label: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        seen[str(kwargs.get("key"))] = {"label": label, "data": data, **kwargs}
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    return seen


def open_screen(page: str, **session: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(PAGES[page])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def click(button: dict[str, Any]) -> list[str]:
    """What the button downloads, as page texts (whitespace removed)."""
    data = button["data"]() if callable(button["data"]) else button["data"]
    assert button["mime"] == "application/pdf" and data[:5] == b"%PDF-"
    return [re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages]


def test_overview_prints_the_annual_report_masked_for_a_guest(buttons) -> None:
    at = open_screen("总览")
    res = library(at.session_state["lcgis_year"], at.session_state["lcgis_as_of"])
    pages = click(buttons["papers_report"])
    assert len(pages) >= 9 and "目录" in pages[1]
    text = "".join(pages)
    assert "涉密指标已隐去" in text  # a guest is a viewer
    tax = fmt(park_summary(res)["tax_wan"], 0)
    assert tax not in text
    assert all(i in text for i in list_parcels(res, "buyback", "near"))


def test_candidates_print_a_list_in_order(buttons, admin) -> None:
    at = open_screen("候选", **admin)
    at.selectbox(key="papers_list_list").set_value("vacate")
    at.selectbox(key="papers_list_tier").set_value("near").run()
    assert not at.exception
    res = library(at.session_state["lcgis_year"], at.session_state["lcgis_as_of"])
    ids = list_parcels(res, "vacate", "near")
    button = buttons["papers_list_download"]
    assert button["label"] == f"下载 {len(ids)} 宗的体检表(PDF)"
    text = "".join(click(button))
    spots = [text.find(f"宗地{i}体检表") for i in ids]
    assert all(s >= 0 for s in spots) and spots == sorted(spots)  # in list order
    assert "涉密指标已隐去" not in text  # an admin sees everything


def test_parcel_card_prints_its_dossier(buttons, admin) -> None:
    at = open_screen("总览", **admin)
    res = library(at.session_state["lcgis_year"], at.session_state["lcgis_as_of"])
    pid = list_parcels(res, "buyback")[0]
    at.session_state[state.SELECTED] = pid
    at.switch_page(PAGES["地图"])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    text = "".join(click(buttons["papers_parcel"]))
    row = res.parcels.set_index("parcel_id").loc[pid]
    assert f"宗地{pid}体检表" in text and "处置方式：收储改造" in text
    assert fmt(row["tax_per_mu"]) in text  # the admin's copy carries the figures
