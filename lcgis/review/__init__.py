"""The committee's review store: users, reviews, the sealed chain, saved plans, exports.

The public names live here (``from lcgis import review`` or ``from lcgis.review import X``);
each comes from the module of its concern (see :mod:`lcgis.review.store`).
"""

from __future__ import annotations

from lcgis.review.chain import GENESIS_HASH, SCHEME_KEYED, SCHEME_LEGACY, entry_hash, entry_mac
from lcgis.review.datasets import DATASET_FILE, LEGACY_DATASET, dataset_id
from lcgis.review.db import SQLITE_NAME, normalise_url, resolve_database_url
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
from lcgis.review.store import ReviewStore, government_delay, open_store
from lcgis.review.times import DISPLAY_TZ, format_time
from lcgis.review.users import ADMIN_PASSWORD_MIN, ROLES, User, admin_password_problem
from lcgis.review.verify import VerifyResult, verify_store
from lcgis.vocab import ROLE_LABELS

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
