"""The committee's review store: users, reviews, the sealed chain, saved plans, exports.

The public names live here (``from lcgis import review`` or ``from lcgis.review import X``);
each comes from the module of its concern (see :mod:`lcgis.review.store`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lcgis.review.chain import (
        GENESIS_HASH,
        SCHEME_KEYED,
        SCHEME_LEGACY,
        SQLITE_NAME,
        entry_hash,
        entry_mac,
    )
    from lcgis.review.datasets import DATASET_FILE, LEGACY_DATASET, dataset_id
    from lcgis.review.db import normalise_url, resolve_database_url
    from lcgis.review.delay import government_delay
    from lcgis.review.export import HISTORY_LABELS, REVIEW_LABELS
    from lcgis.review.login import (
        CLI_CLIENT,
        FAILURE_MEMORY_S,
        LOCK_BASE_S,
        LOCK_MAX_S,
        MAX_FAILURES,
        Lockout,
        LoginEvent,
        LoginResult,
        lock_seconds,
    )
    from lcgis.review.plans import SavedPlan
    from lcgis.review.reviews import (
        DEFAULT_STATUS,
        KEEP,
        REASONS,
        REVIEW_FIELDS,
        STATUSES,
        ChangeResult,
        HistoryEntry,
        Review,
    )
    from lcgis.review.store import ReviewStore, open_store
    from lcgis.review.times import DISPLAY_TZ, format_time
    from lcgis.review.users import ADMIN_PASSWORD_MIN, ROLES, User, admin_password_problem
    from lcgis.review.verify import VerifyResult, verify_store
    from lcgis.vocab import ROLE_LABELS

#: Where each public name lives: imported on first use, so that a command which only asks
#: whether a store exists (``evaluate``) does not load the database layer.
_WHERE: dict[str, str] = {
    "ADMIN_PASSWORD_MIN": "lcgis.review.users",
    "CLI_CLIENT": "lcgis.review.login",
    "ChangeResult": "lcgis.review.reviews",
    "DATASET_FILE": "lcgis.review.datasets",
    "DEFAULT_STATUS": "lcgis.review.reviews",
    "DISPLAY_TZ": "lcgis.review.times",
    "FAILURE_MEMORY_S": "lcgis.review.login",
    "GENESIS_HASH": "lcgis.review.chain",
    "HISTORY_LABELS": "lcgis.review.export",
    "HistoryEntry": "lcgis.review.reviews",
    "KEEP": "lcgis.review.reviews",
    "LEGACY_DATASET": "lcgis.review.datasets",
    "LOCK_BASE_S": "lcgis.review.login",
    "LOCK_MAX_S": "lcgis.review.login",
    "Lockout": "lcgis.review.login",
    "LoginEvent": "lcgis.review.login",
    "LoginResult": "lcgis.review.login",
    "MAX_FAILURES": "lcgis.review.login",
    "REASONS": "lcgis.review.reviews",
    "REVIEW_FIELDS": "lcgis.review.reviews",
    "REVIEW_LABELS": "lcgis.review.export",
    "ROLES": "lcgis.review.users",
    "ROLE_LABELS": "lcgis.vocab",
    "Review": "lcgis.review.reviews",
    "ReviewStore": "lcgis.review.store",
    "SCHEME_KEYED": "lcgis.review.chain",
    "SCHEME_LEGACY": "lcgis.review.chain",
    "SQLITE_NAME": "lcgis.review.chain",
    "STATUSES": "lcgis.review.reviews",
    "SavedPlan": "lcgis.review.plans",
    "User": "lcgis.review.users",
    "VerifyResult": "lcgis.review.verify",
    "admin_password_problem": "lcgis.review.users",
    "annotations": "__future__",
    "dataset_id": "lcgis.review.datasets",
    "entry_hash": "lcgis.review.chain",
    "entry_mac": "lcgis.review.chain",
    "format_time": "lcgis.review.times",
    "government_delay": "lcgis.review.delay",
    "lock_seconds": "lcgis.review.login",
    "normalise_url": "lcgis.review.db",
    "open_store": "lcgis.review.store",
    "resolve_database_url": "lcgis.review.db",
    "verify_store": "lcgis.review.verify",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ADMIN_PASSWORD_MIN",
    "CLI_CLIENT",
    "DATASET_FILE",
    "DEFAULT_STATUS",
    "DISPLAY_TZ",
    "FAILURE_MEMORY_S",
    "GENESIS_HASH",
    "HISTORY_LABELS",
    "KEEP",
    "LEGACY_DATASET",
    "LOCK_BASE_S",
    "LOCK_MAX_S",
    "MAX_FAILURES",
    "REASONS",
    "REVIEW_FIELDS",
    "REVIEW_LABELS",
    "ROLES",
    "ROLE_LABELS",
    "SCHEME_KEYED",
    "SCHEME_LEGACY",
    "SQLITE_NAME",
    "STATUSES",
    "ChangeResult",
    "HistoryEntry",
    "Lockout",
    "LoginEvent",
    "LoginResult",
    "Review",
    "ReviewStore",
    "SavedPlan",
    "User",
    "VerifyResult",
    "admin_password_problem",
    "dataset_id",
    "entry_hash",
    "entry_mac",
    "format_time",
    "government_delay",
    "lock_seconds",
    "normalise_url",
    "open_store",
    "resolve_database_url",
    "verify_store",
]
