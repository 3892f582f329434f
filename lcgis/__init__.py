"""lcgis: 鲤城高新区 工业用地亩均效益评价与空间管理.

The library is pure (no user interface): load a dataset with :func:`lcgis.data.io.read_dataset`,
evaluate it with :func:`lcgis.engine.pipeline.run`, export with :func:`lcgis.views.report.write`.
"""

from __future__ import annotations

__version__ = "0.1.0"
