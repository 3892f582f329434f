"""One vocabulary: every Chinese label and category list lives in lcgis.vocab.

(a) No other module defines a label dictionary; (b) every code list of the vocabulary has a
label for each member and no label without a member; (c) the engine's outputs on the demo
data only use codes the vocabulary labels.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lcgis import pipeline, vocab
from lcgis.data.io import read_dataset
from lcgis.rules import load_rules

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import pandas as pd

    from lcgis.engine.pipeline import Result

ROOT = Path(__file__).resolve().parents[1]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")

#: Data that is not a label vocabulary (path -> names), each with its reason.
ALLOWED: Mapping[str, frozenset[str]] = {
    # name pools the demo generator draws firm names from
    "lcgis/demo.py": frozenset({"NAME_WORDS"}),
    # file extension -> format name: a table of the file guard, next to its GDAL drivers
    "lcgis/data/guard.py": frozenset({"_NAMES"}),
}
#: Code lists of the vocabulary and their labels.
CODE_LISTS: tuple[tuple[str, str], ...] = (
    ("CLASSES", "CLASS_LABELS"),
    ("GROUPS", "GROUP_LABELS"),
    ("BENCHMARKS", "BENCHMARK_LABELS"),
    ("GROUPS", "GROUP_NAMES"),
    ("GROUPS", "GROUP_DESCRIPTIONS"),
    ("INDICATORS", "INDICATOR_NAMES"),
    ("INDICATORS", "INDICATOR_UNITS"),
    ("INDICATORS", "INDICATOR_LABELS"),
    ("REASON_CODES", "REASON_LABELS"),
    ("LAND_STATES", "LAND_STATE_LABELS"),
    ("IDLE_ACTIONS", "IDLE_ACTION_LABELS"),
    ("DISPOSITIONS", "DISPOSITION_LABELS"),
    ("RULE_CODES", "RULE_LABELS"),
    ("DISPOSITIONS", "DISPOSITION_GAIN_NOTES"),
    ("DISPOSITION_REASONS", "DISPOSITION_REASON_LABELS"),
    ("TIERS", "TIER_LABELS"),
    ("TENURES", "TENURE_LABELS"),
    ("ROLES", "ROLE_LABELS"),
    ("LAYERS", "LAYER_LABELS"),
    ("LEVELS", "LEVEL_LABELS"),
    ("OBJECTIVES", "OBJECTIVE_LABELS"),
    ("RELOCATION_REASONS", "RELOCATION_REASON_LABELS"),
    ("FREE_KINDS", "FREE_KIND_LABELS"),
    ("PLAN_STATUSES", "PLAN_STATUS_LABELS"),
    ("PLAN_FIGURES", "PLAN_FIGURE_LABELS"),
)


def _modules() -> Iterator[Path]:
    for folder in ("lcgis", "ui", "app_pages"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "app.py"


def _chinese(node: ast.expr) -> bool:
    """A Chinese string, or a tuple, list or call whose first element is one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(_CHINESE.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_chinese(v) for v in node.values)
    if isinstance(node, ast.Tuple | ast.List) and node.elts:
        return _chinese(node.elts[0])
    if isinstance(node, ast.Call) and node.args:
        return _chinese(node.args[0])
    return False


def _values(node: ast.expr | None) -> list[ast.expr]:
    """The values of a dict literal or of ``dict(key=value, ...)``."""
    if isinstance(node, ast.Dict):
        return list(node.values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        return [k.value for k in node.keywords]
    return []


def label_dictionaries(source: str) -> list[str]:
    """Module- and class-level names bound to a dict of two or more Chinese values.

    >>> label_dictionaries('A = {"x": "甲", "y": "乙"}\\nB = {"x": 1}\\nC: dict = dict(a="甲")')
    ['A']
    """
    tree = ast.parse(source)
    bodies = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    found = []
    for body in bodies:
        for st in body:
            if not isinstance(st, ast.Assign | ast.AnnAssign):
                continue
            if sum(_chinese(v) for v in _values(st.value)) >= 2:
                target = st.targets[0] if isinstance(st, ast.Assign) else st.target
                found.append(ast.unparse(target))
    return found


def test_no_label_dictionary_outside_vocab() -> None:
    offenders = {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel == "lcgis/vocab.py":
            continue
        names = set(label_dictionaries(path.read_text(encoding="utf-8")))
        names -= ALLOWED.get(rel, frozenset())
        if names:
            offenders[rel] = sorted(names)
    assert offenders == {}, "label dictionaries belong in lcgis/vocab.py"


def test_vocab_imports_nothing_of_lcgis() -> None:
    tree = ast.parse((ROOT / "lcgis" / "vocab.py").read_text(encoding="utf-8"))
    imported = [
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in n.names
    ]
    assert not [m for m in imported if m and m.split(".")[0] == "lcgis"]


@pytest.mark.parametrize(("codes", "labels"), CODE_LISTS)
def test_every_code_has_a_label(codes: str, labels: str) -> None:
    members = getattr(vocab, codes)
    names = getattr(vocab, labels)
    assert len(set(members)) == len(members), f"{codes} repeats a code"
    assert list(names) == list(members), f"{labels} must label exactly {codes}, in order"
    assert all(isinstance(v, str) and v for v in names.values())


def test_labels_are_unique_within_a_list() -> None:
    for _codes, labels in CODE_LISTS:
        values = list(getattr(vocab, labels).values())
        if labels not in ("GROUP_DESCRIPTIONS", "INDICATOR_UNITS", "DISPOSITION_GAIN_NOTES"):
            assert len(set(values)) == len(values), labels


def test_statuses() -> None:
    assert vocab.STATUSES[0] == vocab.DEFAULT_STATUS
    assert len(set(vocab.STATUSES)) == len(vocab.STATUSES)
    # a status to put a parcel on a disposition's list names that disposition
    listed = [s for s in vocab.STATUSES if s.startswith("列入")]
    named = [[d for d in vocab.DISPOSITIONS if vocab.DISPOSITION_LABELS[d] in s] for s in listed]
    assert named == [[d] for d in vocab.DISPOSITIONS]


@pytest.fixture(scope="module")
def demo() -> Result:
    return pipeline.run(read_dataset(ROOT / "data"), load_rules())


def _values_of(frame: pd.DataFrame, column: str, joined: bool = False) -> set[str]:
    assert column in frame, column
    values = frame[column].dropna().astype(str)
    if joined:
        return {c for v in values for c in v.split(";") if c}
    return {v for v in values if v}


def test_engine_outputs_use_labelled_codes(demo: Result) -> None:
    p, e = demo.parcels, demo.enterprises
    assert _values_of(p, "parcel_class") <= set(vocab.CLASS_LABELS)
    for column in ["class", *(c for c in e.columns if c.startswith("class_") and c[6:].isdigit())]:
        assert _values_of(e, column) <= set(vocab.CLASS_LABELS), column
    assert _values_of(e, "eval_group") <= set(vocab.GROUP_LABELS)
    assert _values_of(p, "disposition") <= set(vocab.DISPOSITION_LABELS)
    assert _values_of(p, "tier") <= set(vocab.TIER_LABELS)
    assert _values_of(p, "idle_action") <= set(vocab.IDLE_ACTION_LABELS)
    for column in ("inefficient_reasons", "vacate_reasons"):
        assert _values_of(p, column, joined=True) <= set(vocab.REASON_LABELS), column
    assert _values_of(p, "disposition_reasons", joined=True) <= set(vocab.ALL_REASON_LABELS)
    for issue in demo.report.issues:
        assert issue.code in vocab.ISSUE_LABELS, issue.code
        assert issue.level in vocab.LEVEL_LABELS
        assert not issue.layer or issue.layer in vocab.LAYER_LABELS, issue.layer
    # the demo exercises the vocabulary, not just an empty corner of it
    assert _values_of(p, "disposition") == set(vocab.DISPOSITIONS)
    assert _values_of(e, "class") >= {"A", "B", "C", "D"}
