"""The stable entry point: ``lcgis.pipeline.run(dataset, rules, year=..., as_of=...) -> Result``.

The composition itself lives in :mod:`lcgis.engine.pipeline`; this module keeps the public
name that scripts and notebooks use.
"""

from __future__ import annotations

from lcgis.engine.pipeline import Result, choose_year, run

__all__ = ["Result", "choose_year", "run"]
