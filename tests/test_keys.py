"""Session keys are declared once (ui/keys.py): the screens and ui modules use its constants,
never a string literal, for session state and widget keys."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("streamlit")

from ui import keys

ROOT = Path(__file__).resolve().parents[1]
#: A string literal (or f-string) used as a session key or a widget key.
LITERAL_KEY = re.compile(
    r"""(?x)
    (?:\bkey\s*=\s*|\bkey:\s*str\s*=\s*)f?["']                       # key="..."
    | (?:session_state|\bss)\s*\[\s*f?["']                            # session_state["..."]
    | (?:session_state|\bss)\.(?:get|pop|setdefault)\(\s*f?["']       # .get("...")
    | \bst\.form\(\s*f?["']                                           # st.form("...")
    """
)


def declared() -> dict[str, str]:
    """Name → value of every key constant of ui/keys.py."""
    return {n: v for n, v in vars(keys).items() if n.isupper() and isinstance(v, str)}


def sources() -> list[Path]:
    files = [ROOT / "app.py", *(ROOT / "app_pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    return [f for f in files if f.name != "keys.py"]


def test_no_session_key_is_a_string_literal() -> None:
    found = [
        f"{f.relative_to(ROOT)}:{i}: {line.strip()}"
        for f in sources()
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
        if LITERAL_KEY.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_pattern_catches_literal_keys() -> None:
    for line in (
        'st.session_state["lcgis_x"] = 1',
        "ss.get('map_hits', [])",
        'st.selectbox("x", [], key="map_scheme")',
        'st.text_input("x", key=f"{key}_name")',
        'def f(key: str = "papers_list") -> None:',
        'with st.form("map_search_form"):',
    ):
        assert LITERAL_KEY.search(line), line
    assert not LITERAL_KEY.search('payload.get("objective")')
    assert not LITERAL_KEY.search("st.session_state[keys.SELECTED] = None")


def test_every_key_is_declared_once_with_a_comment() -> None:
    values = list(declared().values())
    assert len(values) == len(set(values)), sorted(v for v in values if values.count(v) > 1)
    text = (ROOT / "ui" / "keys.py").read_text(encoding="utf-8")
    for name in declared():
        line = re.search(rf"^{name} = .*$", text, re.M)
        assert line is not None and "#" in line.group(0), name  # what it holds, on its line


def test_the_dataset_dependent_keys_are_declared_keys() -> None:
    values = set(declared().values())
    assert set(keys.DATASET_DEPENDENT) <= values
    assert set(keys.DATASET_DEPENDENT_PREFIXES) <= values
    assert {keys.SELECTED, keys.YEAR, keys.MAP_HITS, keys.MOVERS} <= set(keys.DATASET_DEPENDENT)
    assert keys.DATA_DIR not in keys.DATASET_DEPENDENT and keys.USER not in keys.DATASET_DEPENDENT


def test_derived_keys_keep_their_spelling() -> None:
    assert keys.sub(keys.LOGIN_SIDE, "password") == "login_side_password"
    assert keys.sub(keys.FORM_PREFIX + "status", 2, "P1") == "rv_status_2_P1"
    assert keys.dataset_dependent(["lcgis_view_ent_map", keys.USER, keys.RQ_TABLE]) == [
        "lcgis_view_ent_map",
        keys.RQ_TABLE,
    ]


def test_pages_are_short_and_leave_data_work_to_ui_and_lcgis() -> None:
    """A screen reads widgets, calls ui or lcgis and renders: about 80 lines, no pandas, no
    chart library, no session-state bookkeeping of its own beyond the declared keys."""
    for f in (ROOT / "app_pages").glob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 80, f.name
        for banned in ("import pandas", "import altair", "import numpy", "import geopandas"):
            assert banned not in text, (f.name, banned)


@pytest.fixture
def session(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """ui.keys on a plain dict for session state."""
    ss: dict[str, object] = {}
    monkeypatch.setattr(keys, "st", SimpleNamespace(session_state=ss))
    return ss


def test_reset_clears_what_the_declaration_names(session: dict[str, object]) -> None:
    session.update(
        {
            keys.DATA_DIR: "park",
            keys.USER: "someone",
            keys.SELECTED: "P1",
            keys.MAP_HITS: [("P1", "P1")],
            keys.MOVERS: "movers",
            keys.sub(keys.FORM_PREFIX + "status", 0, "P1"): "核查中",
            keys.FORM_GEN: 0,
        }
    )
    keys.reset_dataset_dependent()
    assert session == {
        keys.DATA_DIR: "park",
        keys.USER: "someone",
        keys.SELECTED: None,
        keys.FORM_GEN: 1,
    }


def test_a_new_evaluation_clears_the_picked_rows(session: dict[str, object]) -> None:
    keys.follow_evaluation((2024, None, ""))
    session[keys.ENT_TABLE] = {"selection": {"rows": [0]}}
    keys.follow_evaluation((2024, None, ""))
    assert keys.ENT_TABLE in session  # the same evaluation: kept
    keys.follow_evaluation((2023, None, ""))
    assert keys.ENT_TABLE not in session
