"""Which parcels a review found idle for the government's reasons, asked cheaply: merely
evaluating, where no store exists yet, loads no database layer."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lcgis.review.chain import SQLITE_NAME, state_dir

if TYPE_CHECKING:
    from collections.abc import Mapping


def store_may_exist(db: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """False only when the installation's store is the default SQLite file and it is absent.

    >>> store_may_exist(environ={"LCGIS_STATE_DIR": "no-such-folder"})
    False
    >>> store_may_exist(environ={"LCGIS_DATABASE_URL": "postgresql://h/lc"})
    True
    """
    env = os.environ if environ is None else environ
    if db or env.get("LCGIS_DATABASE_URL"):
        return True
    return (state_dir(env) / SQLITE_NAME).is_file()


def government_delay(
    reason: str, data_dir: str | os.PathLike[str], db: str | None = None
) -> frozenset[str]:
    """Parcels of the dataset in ``data_dir`` whose current review gives ``reason``
    (:func:`lcgis.review.store.read_government_delay`); empty without a store."""
    if not store_may_exist(db):
        return frozenset()
    from lcgis.review.store import read_government_delay

    return read_government_delay(reason, data_dir, db)
