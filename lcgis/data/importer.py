"""Building a data folder from files under their own names: the inputs copied into
``DATA_DIR/parcels/`` and a mapping.toml proposed by :mod:`lcgis.data.propose` naming them.

The folder appears whole or not at all: it is built in a temporary folder beside ``DATA_DIR``,
checked with the loader and renamed at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio

from lcgis.data.io import read_dataset
from lcgis.data.propose import InputProposal, Proposal, propose, zip_members
from lcgis.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from lcgis.data.io import Dataset
    from lcgis.data.validate import QualityReport


@dataclass(frozen=True)
class Outcome:
    """What an import says: the proposal's hints and questions and the check of the folder
    built (the same in the command line and on the 数据 screen)."""

    proposal: Proposal
    report: QualityReport

    @property
    def counts(self) -> tuple[int, int, int, int]:
        """Errors, warnings, hints and questions."""
        r, p = self.report, self.proposal
        return len(r.errors), len(r.warnings), len(p.warnings), len(p.questions)

    def summary(self) -> str:
        """One line with the four counts.

        >>> from lcgis.data.validate import QualityReport
        >>> Outcome(Proposal([]), QualityReport()).summary()
        '导入检查：错误 0 个，警告 0 个；提示 0 条，待确认的问题 0 个'
        """
        e, w, h, q = self.counts
        return f"导入检查：错误 {e} 个，警告 {w} 个；提示 {h} 条，待确认的问题 {q} 个"


#: Files that travel with a shapefile.
_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


def check_target(out: Path) -> None:
    """Refuse an existing, non-empty ``out`` (a usage error)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"输出目录 {out} 已存在且不为空：请指定新的目录，或先清空它")


def check_inputs(paths: Sequence[Path]) -> None:
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"找不到输入文件：{'、'.join(missing)}")


def _shapefile_set(path: Path) -> Iterator[Path]:
    for ext in _SIDECARS:
        for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
            if cand.is_file():
                yield cand
                break


def copy_input(item: InputProposal, folder: Path) -> None:
    """Copy one input into ``folder`` under its source name (a GeoPackage layer on its own)."""
    assert item.path is not None
    if item.gpkg_layer is not None:
        frame = pyogrio.read_dataframe(item.path, layer=item.gpkg_layer)
        pyogrio.write_dataframe(frame, folder / item.source, layer=item.gpkg_layer)
    elif item.zip_member is not None:
        with tempfile.TemporaryDirectory(prefix="lcgis-import-") as tmp:
            zip_members(item.path, Path(tmp) / "zip")
            _copy_file(Path(tmp) / "zip" / item.zip_member, folder)
    else:
        _copy_file(item.path, folder)


def _copy_file(path: Path, folder: Path) -> None:
    if path.suffix.lower() == ".shp":
        for part in _shapefile_set(path):
            shutil.copy2(part, folder / part.name)
    else:
        shutil.copy2(path, folder / path.name)


def build(
    paths: Sequence[Path], out: Path, mapping: str | None = None, proposal: Proposal | None = None
) -> tuple[Proposal, Dataset, Path]:
    """Propose (or take ``proposal``, as edited on the 数据 screen), then write the folder
    into a temporary folder beside ``out`` and load it.

    ``mapping`` is a mapping.toml to use instead of the proposal's (a rerun with an edited
    mapping): every input is copied, and its sections name them by their file names.
    Returns the proposal, the loaded dataset and the temporary folder; :func:`commit`
    renames it onto ``out``, :func:`discard` removes it.
    """
    check_inputs(paths)
    check_target(out)
    proposal = proposal or propose(paths)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        folder = tmp / "parcels"
        folder.mkdir()
        items = proposal.by_layer().values() if mapping is None else proposal.inputs
        for item in items:
            if item.path is not None:
                copy_input(item, folder)
        text = proposal.mapping_toml() if mapping is None else mapping
        (folder / "mapping.toml").write_text(text, encoding="utf-8")
        ds = read_dataset(tmp)
    except BaseException:
        discard(tmp)
        raise
    return proposal, ds, tmp


def commit(tmp: Path, out: Path) -> None:
    """Rename the built folder onto ``out`` (an empty ``out`` is replaced)."""
    check_target(out)
    if out.is_dir():
        out.rmdir()
    os.replace(tmp, out)


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
