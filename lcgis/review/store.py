"""The review store: per-parcel review status, a keyed hash-chained audit log, users and roles.

One store per installation, opened by URL (:func:`open_store` picks the default):

* SQLite file ``review.sqlite`` in the installation's state folder by default (env
  ``LCGIS_STATE_DIR``, else ``~/.local/state/lcgis``; see :mod:`lcgis.review.chain`), created
  on first use (WAL journal, busy timeout, ``BEGIN IMMEDIATE`` for every write);
* PostgreSQL when a URL is given (env ``LCGIS_DATABASE_URL``, e.g.
  ``postgresql+psycopg://user@host/db``; ``postgresql://`` is read as psycopg 3).

Users and roles belong to the installation; reviews and their history are keyed by a
**dataset id** (:func:`dataset_id`: the ``id`` in the dataset folder's ``dataset.toml``, else
the folder's absolute path), so one login works for every dataset and each dataset keeps its
own decisions.

The schema is managed by Alembic (``lcgis/migrations``): the store upgrades an older database
on open and refuses one whose revision is newer than this code (:class:`SchemaTooNewError`).

Every change to a review is one transaction that (1) takes the locks (SQLite: the database's
write lock, by ``BEGIN IMMEDIATE``; PostgreSQL: a transaction advisory lock on the parcel, then
the single row of ``review_chain`` by ``SELECT … FOR UPDATE`` — always in that order, so no
deadlock), (2) reads the parcel's review, (3) checks user, role, values and the version the
caller read, (4) appends a history entry (accepted or refused) whose HMAC, keyed by the
installation's chain key (kept outside the database), covers its fields and the previous
entry's hash, (5) writes the review if accepted, and (6) moves the chain head. After the
commit the head is appended to the store's witness file. So no update is lost, the history is
linear, and :meth:`ReviewStore.verify` detects an edited, deleted or reordered entry, a
``reviews`` table that differs from what replaying the history gives, a consistent rewrite of
the chain (no key), and a truncated or re-created store (the witness knows more).

Refused changes raise a subclass of :class:`~lcgis.errors.ChangeRefused` carrying the logged
entry; a save that changes nothing is refused as 内容未变.

Roles: ``viewer`` reads (confidential enterprise figures masked by :mod:`lcgis.access`),
``reviewer`` changes reviews, ``admin`` also manages users and imports data. The role is
re-read from the store by every change. Passwords are hashed with argon2 (argon2-cffi); there
are no default users or passwords; an admin's password has at least 12 characters and is not
the user name. Logins back off exponentially per user name and per client after 5 failures
(:func:`lock_seconds`), every attempt takes one argon2 verification whether or not the user
exists, and attempts are logged (``login_log`` and the ``lcgis.review.store`` logger).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import hashlib
import json
import logging
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from lcgis.errors import (
    AuthenticationError,
    ChangeRefused,
    DataError,
    InvalidChangeError,
    LcgisError,
    NoChangeError,
    PermissionDeniedError,
    SchemaTooNewError,
    StaleVersionError,
    StoreError,
    UserAdminError,
)
from lcgis.review import chain as review_seal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ADMIN_PASSWORD_MIN",
    "DEFAULT_STATUS",
    "KEEP",
    "LEGACY_DATASET",
    "MAX_FAILURES",
    "REASONS",
    "ROLES",
    "STATUSES",
    "ChangeResult",
    "HistoryEntry",
    "LoginResult",
    "Review",
    "ReviewStore",
    "SavedPlan",
    "User",
    "VerifyResult",
    "admin_password_problem",
    "dataset_id",
    "lock_seconds",
    "open_store",
    "resolve_database_url",
    "verify_store",
]

log = logging.getLogger("lcgis.review.store")

#: Review statuses, in workflow order.
STATUSES: Final = (
    "待核查",
    "核查中",
    "已核实",
    "列入无偿收回程序",
    "列入收储改造计划",
    "列入腾笼换鸟计划",
    "列入零地增资计划",
    "已处置",
    "不予处置",
)
#: The status of a parcel that has no review yet (version 0).
DEFAULT_STATUS: Final = "待核查"
#: Usual reasons (free text is allowed), e.g. 政府原因 makes idle land exempt from the fee.
REASONS: Final = ("政府原因", "企业原因", "不可抗力", "司法查封", "其他")
#: Roles, least to most privileged.
ROLES: Final = ("viewer", "reviewer", "admin")
ROLE_LABELS: Final = {"viewer": "查看", "reviewer": "核查", "admin": "管理"}
#: The fields of a review that a change may set.
REVIEW_FIELDS: Final = ("status", "reason", "assignee", "due_date", "note", "tags")
#: ``prev_hash`` of the first history entry.
GENESIS_HASH: Final = "0" * 64
#: File name of the default SQLite store inside the state folder.
SQLITE_NAME: Final = "review.sqlite"
#: File in a dataset folder that may name the dataset (``id = "…"``).
DATASET_FILE: Final = "dataset.toml"
#: Dataset of the reviews written before stores were per installation (revision 0001).
LEGACY_DATASET: Final = "legacy"
#: History entry hashing: 1 = SHA-256 without dataset (revision 0001), 2 = keyed HMAC.
SCHEME_LEGACY: Final = 1
SCHEME_KEYED: Final = 2
#: Admin passwords: at least this many characters, and not the user name.
ADMIN_PASSWORD_MIN: Final = 12
#: Login back-off: after this many failures in a row a user name or client waits
#: ``LOCK_BASE_S · 2^(failures − MAX_FAILURES)`` seconds (at most ``LOCK_MAX_S``);
#: failures older than ``FAILURE_MEMORY_S`` are forgotten.
MAX_FAILURES: Final = 5
LOCK_BASE_S: Final = 30
LOCK_MAX_S: Final = 3600
FAILURE_MEMORY_S: Final = 24 * 3600
#: Client name used for logins from the command line.
CLI_CLIENT: Final = "命令行"

BUSY_TIMEOUT_S: Final = 30.0
_MIGRATION_LOCK_KEY: Final = 735_102_001  # pg_advisory_xact_lock key for schema upgrades
_PARCEL_LOCK_SPACE: Final = 735_102  # pg_advisory_xact_lock(space, hashtext(dataset|parcel))
_LOGIN_LOCK_SPACE: Final = 735_103  # pg_advisory_xact_lock(space, hashtext(subject))
_UTC = dt.UTC
#: Times are stored in UTC and shown in China Standard Time (no daylight saving).
DISPLAY_TZ: Final = dt.timezone(dt.timedelta(hours=8), "北京时间")

# --- schema (kept identical to lcgis/review/migrations/versions; a test compares them) -----------

_TS = sa.DateTime(timezone=True)
metadata = sa.MetaData()
users_table = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("admin_policy_ok", sa.Boolean(), nullable=False),
)
reviews_table = sa.Table(
    "reviews",
    metadata,
    sa.Column("dataset_id", sa.String(), primary_key=True),
    sa.Column("parcel_id", sa.String(), primary_key=True),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=True),
    sa.Column("assignee", sa.String(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)
history_table = sa.Table(
    "review_history",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("seq", sa.Integer(), nullable=False, unique=True),
    sa.Column("parcel_id", sa.String(), nullable=False, index=True),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("old", sa.JSON(), nullable=True),
    sa.Column("new", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(), nullable=True),
    sa.Column("accepted", sa.Boolean(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("dataset_id", sa.String(), nullable=False),
    sa.Column("scheme", sa.Integer(), nullable=False),
    sa.Index("ix_review_history_dataset_parcel", "dataset_id", "parcel_id"),
)
chain_table = sa.Table(
    "review_chain",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=True),
)
plans_table = sa.Table(
    "saved_plans",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
)
login_failures_table = sa.Table(
    "login_failures",
    metadata,
    sa.Column("subject", sa.String(), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", _TS, nullable=False),
    sa.Column("locked_until", _TS, nullable=True),
)
login_log_table = sa.Table(
    "login_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", _TS, nullable=False),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("client", sa.String(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
)
#: Columns added by revision 0002 (absent from a store still at 0001).
_ADDED_IN_0002: Final = {
    "users": ("admin_policy_ok",),
    "reviews": ("dataset_id",),
    "review_history": ("dataset_id", "scheme"),
    "review_chain": ("key_id",),
}


def _legacy_table(table: sa.Table) -> sa.Table:
    """``table`` as revision 0001 had it (for verifying a read-only store not yet upgraded)."""
    dropped = _ADDED_IN_0002.get(table.name, ())
    columns = [
        sa.Column(c.name, c.type, primary_key=c.primary_key)
        for c in table.columns
        if c.name not in dropped
    ]
    return sa.Table(table.name, sa.MetaData(), *columns)


# --- values -------------------------------------------------------------------------------


class _Keep(enum.Enum):
    KEEP = "keep"


#: Default of every field argument of :meth:`ReviewStore.set_review`: keep the current value.
KEEP: Final = _Keep.KEEP


@dataclasses.dataclass(frozen=True)
class User:
    """A user of the store (``role`` is one of :data:`ROLES`)."""

    name: str
    role: str

    @property
    def can_review(self) -> bool:
        """Reviewers and admins may change reviews."""
        return self.role in ("reviewer", "admin")

    @property
    def is_admin(self) -> bool:
        """Admins manage users and import data."""
        return self.role == "admin"

    @property
    def can_see_confidential(self) -> bool:
        """Only reviewers and admins see tax and other confidential enterprise figures."""
        return self.role in ("reviewer", "admin")


@dataclasses.dataclass(frozen=True)
class Review:
    """The current review of one parcel of one dataset; ``version`` counts its accepted
    changes."""

    parcel_id: str
    status: str = DEFAULT_STATUS
    reason: str | None = None
    assignee: str | None = None
    due_date: dt.date | None = None
    note: str | None = None
    tags: tuple[str, ...] = ()
    version: int = 0
    updated_by: str | None = None
    updated_at: dt.datetime | None = None
    dataset_id: str = ""

    @classmethod
    def unreviewed(cls, parcel_id: str, dataset: str = "") -> Review:
        """The state of a parcel without any review: 待核查, version 0."""
        return cls(parcel_id=parcel_id, dataset_id=dataset)

    def values(self) -> dict[str, Any]:
        """The reviewable fields as JSON values (dates ISO, tags a list).

        >>> Review("P1", due_date=dt.date(2026, 6, 30), tags=("闲置",)).values()["due_date"]
        '2026-06-30'
        """
        return {
            "status": self.status,
            "reason": self.reason,
            "assignee": self.assignee,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "note": self.note,
            "tags": list(self.tags),
        }


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One entry of the append-only, hash-chained history.

    ``status`` is the status the change set (or tried to set); ``version`` is the review's
    version after the entry (unchanged for a refused one); ``old`` / ``new`` are the values
    before and after (for a refused change: the values it asked for). ``scheme`` 2 entries
    carry an HMAC keyed by the installation's chain key; scheme 1 entries were written before
    (revision 0001, plain SHA-256, dataset :data:`LEGACY_DATASET`).
    """

    id: int
    seq: int
    parcel_id: str
    user: str
    at: dt.datetime
    old: dict[str, Any] | None
    new: dict[str, Any]
    status: str | None
    accepted: bool
    message: str
    version: int
    prev_hash: str
    hash: str
    dataset_id: str = ""
    scheme: int = SCHEME_KEYED


@dataclasses.dataclass(frozen=True)
class ChangeResult:
    """An accepted change: the review after it and its history entry."""

    review: Review
    entry: HistoryEntry


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`ReviewStore.verify`; ``message`` is Chinese and names the entry."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    message: str = ""


@dataclasses.dataclass(frozen=True)
class SavedPlan:
    """A named relocation plan (the payload is any JSON value)."""

    name: str
    created_by: str
    created_at: dt.datetime
    payload: Any


@dataclasses.dataclass(frozen=True)
class LoginResult:
    """Outcome of :meth:`ReviewStore.login`.

    ``user`` on success; else ``message`` (Chinese, for the person logging in: it never tells
    an unknown user from a wrong password), ``reason`` (for the log) and ``retry_after_s``
    (seconds until the next attempt is allowed; 0 when not locked).
    """

    user: User | None
    message: str = ""
    reason: str = ""
    retry_after_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class Lockout:
    """Failure counter of one user name (``user:…``) or client (``client:…``)."""

    subject: str
    failures: int
    last_failure_at: dt.datetime
    locked_until: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class LoginEvent:
    """One logged login attempt (``outcome``: ok, failed, weak)."""

    id: int
    at: dt.datetime
    user: str
    client: str
    outcome: str
    message: str


# --- URLs and datasets --------------------------------------------------------------------


def normalise_url(db: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL from ``db``: a URL, or a path to a SQLite file.

    ``postgresql://`` and ``postgres://`` are read as psycopg 3 (``postgresql+psycopg://``).

    >>> normalise_url("postgresql://lcgis@db/park")
    'postgresql+psycopg://lcgis@db/park'
    >>> normalise_url("review.sqlite")
    'sqlite:///review.sqlite'
    """
    text = os.fspath(db)
    if "://" not in text:
        return sa.URL.create("sqlite", database=text).render_as_string(hide_password=False)
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def resolve_database_url(
    db: str | None = None,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The installation's store: ``db``, else env ``LCGIS_DATABASE_URL``, else
    ``review.sqlite`` in the state folder (``state_dir``, else env ``LCGIS_STATE_DIR``, else
    ``~/.local/state/lcgis``). The dataset does not choose the store.

    >>> resolve_database_url(state_dir="state", environ={})
    'sqlite:///state/review.sqlite'
    >>> resolve_database_url(environ={"LCGIS_STATE_DIR": "st"})
    'sqlite:///st/review.sqlite'
    >>> resolve_database_url(environ={"LCGIS_DATABASE_URL": "postgresql://h/lc"})
    'postgresql+psycopg://h/lc'
    """
    env = os.environ if environ is None else environ
    if db:
        return normalise_url(db)
    if env.get("LCGIS_DATABASE_URL"):
        return normalise_url(env["LCGIS_DATABASE_URL"])
    folder = Path(state_dir) if state_dir is not None else review_seal.state_dir(env)
    return normalise_url(folder / SQLITE_NAME)


def open_store(
    db: str | None = None,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    hasher: PasswordHasher | None = None,
) -> ReviewStore:
    """Open (creating or upgrading if needed) the store chosen by :func:`resolve_database_url`;
    the default SQLite store's state folder is created (``0700``) on first use."""
    url = resolve_database_url(db, state_dir=state_dir)
    folder = Path(state_dir) if state_dir is not None else review_seal.state_dir()
    if not db and not os.environ.get("LCGIS_DATABASE_URL"):
        review_seal.ensure_state_dir(folder)
    return ReviewStore(url, hasher=hasher, state_dir=folder)


_DATASET_ID_MAX = 200


def dataset_id(folder: str | os.PathLike[str]) -> str:
    """The id under which a dataset folder's reviews are kept.

    The ``id`` of the folder's ``dataset.toml`` (``id = "鲤城高新区"``) when there is one,
    so that a dataset keeps its reviews when it is moved, copied or uploaded again; else the
    folder's absolute path.

    >>> dataset_id("no/such/folder") == str(Path("no/such/folder").resolve().as_posix())
    True
    """
    path = Path(folder)
    meta = path / DATASET_FILE
    if meta.is_file():
        fix = f'应写成一行 id = "数据集编号"(1–{_DATASET_ID_MAX} 个字符)'
        try:
            data = tomllib.loads(meta.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise DataError(f"{meta} 无法读取({exc})：{fix}") from exc
        value = data.get("id")
        text = value.strip() if isinstance(value, str) else ""
        if not text or len(text) > _DATASET_ID_MAX or any(ord(ch) < 32 for ch in text):
            raise DataError(f"{meta} 中的 id 无效({value!r})：{fix}")
        return text
    try:
        return path.resolve().as_posix()
    except OSError:
        return path.absolute().as_posix()


def _store_identity(url: sa.URL) -> str:
    """What names a store for its witness file: the SQLite file's absolute path, or the
    PostgreSQL server and database (never the password)."""
    if url.get_backend_name() == "sqlite":
        return "sqlite:" + Path(str(url.database)).resolve().as_posix()
    port = url.port or 5432
    return f"postgresql://{url.username or ''}@{url.host or ''}:{port}/{url.database or ''}"


def government_delay(
    reason: str, data_dir: str | os.PathLike[str], db: str | None = None
) -> frozenset[str]:
    """Parcels of the dataset in ``data_dir`` whose current review gives ``reason``
    (政府原因: 53号令 第八条, no idle fee and no 无偿收回).

    Reads the installation's store (:func:`resolve_database_url`) read-only; a SQLite store
    that does not exist yet is read as empty (merely evaluating never creates a database).
    """
    url = resolve_database_url(db)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return frozenset()
    with ReviewStore(url, read_only=True) as store:
        found = store.reviews(dataset=dataset_id(data_dir))
    return frozenset(r.parcel_id for r in found if r.reason == reason)


# --- helpers ------------------------------------------------------------------------------


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (SQLite gives naive UTC back)."""
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def _iso(value: dt.datetime) -> str:
    return _utc(value).isoformat(timespec="microseconds")


def format_time(value: dt.datetime | None) -> str:
    """A stored time as Beijing time, e.g. ``2026-11-28 09:15:03``."""
    return "" if value is None else _utc(value).astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _canonical(obj: object) -> str:
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an entry's fields (including ``prev_hash``): how
    scheme 1 entries (written before revision 0002) are hashed.

    The fields are ``seq, parcel_id, user, at`` (ISO UTC, microseconds), ``old, new, status,
    accepted, message, version, prev_hash``; keys sorted, UTF-8, no spaces.
    """
    return hashlib.sha256(_canonical(dict(fields)).encode("utf-8")).hexdigest()


def entry_mac(key: review_seal.ChainKey, fields: Mapping[str, Any]) -> str:
    """HMAC-SHA256, keyed by the chain key, of the canonical JSON of a scheme 2 entry's fields
    (those of :func:`entry_hash` and ``dataset_id``)."""
    return key.mac(b"lcgis review entry|" + _canonical(dict(fields)).encode("utf-8"))


def _hash_fields(
    *,
    seq: int,
    parcel_id: str,
    user: str,
    at: dt.datetime,
    old: Any,
    new: Any,
    status: str | None,
    accepted: bool,
    message: str,
    version: int,
    prev_hash: str,
    dataset_id: str | None = None,
) -> dict[str, Any]:
    fields = {
        "seq": int(seq),
        "parcel_id": parcel_id,
        "user": user,
        "at": _iso(at),
        "old": old,
        "new": new,
        "status": status,
        "accepted": bool(accepted),
        "message": message,
        "version": int(version),
        "prev_hash": prev_hash,
    }
    if dataset_id is not None:
        fields["dataset_id"] = dataset_id
    return fields


def admin_password_problem(name: str, password: str) -> str | None:
    """Why ``password`` may not be an admin's (Chinese), or ``None`` when it may.

    >>> admin_password_problem("admin", "short")
    '密码只有 5 个字符，管理员密码至少要 12 个字符'
    >>> admin_password_problem("administrator", "Administrator")
    '管理员密码不能与用户名相同'
    >>> admin_password_problem("admin", "correct horse battery") is None
    True
    """
    if len(password) < ADMIN_PASSWORD_MIN:
        return f"密码只有 {len(password)} 个字符，管理员密码至少要 {ADMIN_PASSWORD_MIN} 个字符"
    if password.strip().casefold() == name.strip().casefold():
        return "管理员密码不能与用户名相同"
    return None


def lock_seconds(failures: int) -> int:
    """How long a user name or client must wait after ``failures`` failed logins in a row.

    Nothing before :data:`MAX_FAILURES`; then 30 s, doubling with every further failure, at
    most an hour.

    >>> [lock_seconds(n) for n in (1, 4, 5, 6, 7, 11, 12, 40)]
    [0, 0, 30, 60, 120, 1920, 3600, 3600]
    """
    if failures < MAX_FAILURES:
        return 0
    return int(min(LOCK_MAX_S, LOCK_BASE_S * 2 ** min(failures - MAX_FAILURES, 32)))


def _duration(seconds: float) -> str:
    """A wait in Chinese, rounded up: ``30 秒``, ``2 分钟``, ``1 小时``.

    >>> [_duration(s) for s in (0.2, 30, 61, 3600)]
    ['1 秒', '30 秒', '2 分钟', '1 小时']
    """
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"{whole} 秒"
    if whole < 3600:
        return f"{math.ceil(whole / 60)} 分钟"
    return f"{math.ceil(whole / 3600)} 小时"


def _split_tags(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Tags from ``"a,b"`` (also ``，`` ``、`` ``;``) or a list; trimmed, unique, in order."""
    if value is None:
        return ()
    items = re.split(r"[,，、;；]", value) if isinstance(value, str) else list(value)
    out: list[str] = []
    for item in items:
        tag = str(item).strip()
        if tag and tag not in out:
            out.append(tag)
    return tuple(out)


def _text_or_none(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _jsonable(value: object) -> Any:
    """A JSON-safe rendering of a requested (possibly invalid) value, for the log."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _describe(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> str:
    """A short Chinese summary of what an accepted change did."""
    labels = {
        "status": "状态",
        "reason": "原因",
        "assignee": "责任人",
        "due_date": "办理期限",
        "note": "备注",
        "tags": "标签",
    }
    if old is None:
        return f"新建核查记录，状态 {new.get('status')}"
    parts = []
    for key in REVIEW_FIELDS:
        if old.get(key) != new.get(key):
            if key == "status":
                parts.append(f"状态 {old.get(key)} → {new.get(key)}")
            else:
                parts.append(f"修改{labels[key]}")
    return "；".join(parts)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: we issue BEGIN ourselves; WAL, busy timeout, full sync."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_connect_read_only(dbapi_connection: Any, _record: Any) -> None:
    """Per read-only connection: no journal change (that would write), queries only."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _sqlite_read_only_creator(path: Path) -> Callable[[], Any]:
    """Connections that open ``path`` read-only (``mode=ro``); when even that fails (a WAL
    database in a folder we may not write), as an immutable file."""
    import sqlite3
    import urllib.parse

    uri = "file:" + urllib.parse.quote(path.resolve().as_posix()) + "?mode=ro"

    def connect() -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError:
            return sqlite3.connect(uri + "&immutable=1", uri=True, check_same_thread=False)

    return connect


def _sqlite_on_begin(conn: Connection) -> None:
    """``BEGIN IMMEDIATE`` for writes (the write lock up front), ``BEGIN`` for reads."""
    mode = conn.get_execution_options().get("lcgis_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_DUMMY_PASSWORD = "lcgis-timing-equaliser"


@functools.lru_cache(maxsize=8)
def _dummy_hash(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int, kind: Any
) -> str:
    """The argon2 hash, with these parameters, of a password nobody uses."""
    return PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len, type=kind).hash(
        _DUMMY_PASSWORD
    )


def _client_label(client: str | None) -> str:
    text = (client or "").strip()
    return text[:100] if text else "未知"


# --- the store ----------------------------------------------------------------------------


class ReviewStore:
    """The review store at ``url`` (SQLite or PostgreSQL), created or upgraded on open.

    Thread-safe (each call uses its own pooled connection); one instance per process — after
    ``fork`` make a new one. ``hasher`` lets tests choose cheaper argon2 parameters;
    ``state_dir`` is where the chain key and the witness live (default
    :func:`lcgis.review.chain.state_dir`); ``clock`` gives the current time (aware UTC; tests
    move it instead of sleeping). ``read_only`` opens without writing anything (no upgrade, no
    journal change): reading and :meth:`verify` work, changes are refused.
    """

    def __init__(
        self,
        url: str,
        *,
        hasher: PasswordHasher | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        self.url = normalise_url(url)
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        self._clock = clock or (lambda: dt.datetime.now(_UTC))
        self.read_only = read_only
        self.state_dir = Path(state_dir) if state_dir is not None else review_seal.state_dir()
        self._key: review_seal.ChainKey | None = None
        #: Test hook: called inside a change's transaction just before commit.
        self._before_commit: Callable[[], None] | None = None
        self._engine = self._make_engine(self.url, read_only=read_only)
        self.backend = self._engine.dialect.name
        self.display_url = self._engine.url.render_as_string(hide_password=True)
        self.witness = review_seal.Witness(self.state_dir, _store_identity(self._engine.url))
        try:
            if read_only:
                head, known = self.known_revisions()
                self._check_revision(self.schema_revision(), head, known)
            else:
                if self.backend == "sqlite":  # before the first connection changes the file
                    path = Path(str(self._engine.url.database))
                    if not path.exists() or path.stat().st_size == 0:
                        self._refuse_empty_witnessed()
                self._migrate()
        except BaseException:
            self._engine.dispose()
            raise

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReviewStore({self.display_url!r})"

    def _now(self) -> dt.datetime:
        return _utc(self._clock())

    @staticmethod
    def _make_engine(url: str, *, read_only: bool = False) -> Engine:
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"数据库地址无法识别：{url}(应为 SQLite 文件路径或 URL)") from exc
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            database = parsed.database
            if not database or database == ":memory:" or database.startswith("file:"):
                raise StoreError("核查数据库需要一个 SQLite 文件路径(不支持内存数据库)")
            folder = Path(database).parent
            if read_only:
                if not Path(database).is_file():
                    raise StoreError(f"核查数据库 {database} 不存在")
                engine = sa.create_engine(parsed, creator=_sqlite_read_only_creator(Path(database)))
                event.listen(engine, "connect", _sqlite_on_connect_read_only)
                event.listen(engine, "begin", _sqlite_on_begin)
                return engine
            if not folder.is_dir():
                raise StoreError(
                    f"目录 {folder} 不存在，无法在其中创建核查数据库 {Path(database).name}："
                    "请检查状态目录(环境变量 LCGIS_STATE_DIR)，或用 --db 指定数据库"
                )
            engine = sa.create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        if backend == "postgresql":
            if parsed.drivername == "postgresql":
                parsed = parsed.set(drivername="postgresql+psycopg")
            options = (
                f"-c lock_timeout={int(BUSY_TIMEOUT_S * 1000)} "
                f"-c idle_in_transaction_session_timeout={int(BUSY_TIMEOUT_S * 2000)}"
            )
            if read_only:
                options += " -c default_transaction_read_only=on"
            return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"options": options})
        raise StoreError(f"不支持的数据库类型 {backend}：请使用 SQLite 文件或 PostgreSQL")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        """Turn database failures into a Chinese :class:`StoreError` (no traceback)."""
        try:
            yield
        except LcgisError:
            raise
        except sa.exc.OperationalError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
            raise StoreError(
                f"{what}失败：核查数据库 {self.display_url} 无法访问或正忙({detail})，请稍后重试"
            ) from exc
        except sa.exc.SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(f"{what}失败：核查数据库 {self.display_url} 出错({detail})") from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (other writers wait)."""
        if self.read_only:
            raise StoreError(f"核查数据库 {self.display_url} 以只读方式打开，不能修改")
        with self._engine.connect() as conn:
            if self.backend == "sqlite":
                conn.execution_options(lcgis_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read transaction with one consistent snapshot."""
        with self._engine.connect() as conn:
            if self.backend == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- schema -----------------------------------------------------------------------------

    @staticmethod
    def _alembic_config(connection: Connection | None = None) -> Any:
        from alembic.config import Config

        cfg = Config()
        folder = str(Path(__file__).with_name("migrations")).replace("%", "%%")
        cfg.set_main_option("script_location", folder)
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    @classmethod
    def known_revisions(cls) -> tuple[str, set[str]]:
        """The head revision of this code and all revisions it knows."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(cls._alembic_config())
        head = script.get_current_head()
        assert head is not None
        return head, {s.revision for s in script.walk_revisions()}

    def schema_revision(self) -> str | None:
        """The database's Alembic revision (``None`` before the first upgrade)."""
        from alembic.runtime.migration import MigrationContext

        with self._errors("读取数据库版本"), self._engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def _check_revision(self, current: str | None, head: str, known: set[str]) -> None:
        if current is not None and current not in known:
            raise SchemaTooNewError(
                f"核查数据库 {self.display_url} 的结构版本为 {current}，比本程序支持的版本 {head} "
                "新(由更新版本的 lcgis 写入)。请升级 lcgis 后再打开；为保护数据，本程序未做任何修改"
            )

    def _refuse_empty_witnessed(self) -> None:
        """A store without tables whose witness knows entries was truncated or re-created."""
        seen = self.witness.newest()
        if seen is not None:
            raise StoreError(
                f"核查数据库 {self.display_url} 是空的，但见证文件 {self.witness.path} 记录它已有 "
                f"{seen.seq} 条变更记录：核查库可能被截断，或被删除后重建。为保护证据，未创建新库。"
                "请运行 python -m lcgis review verify 并从备份恢复；"
                "若确需从头开始，请先移走见证文件"
            )

    def _migrate(self) -> None:
        """Upgrade to the head revision under a lock; refuse a newer database."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        head, known = self.known_revisions()
        current = self.schema_revision()
        self._check_revision(current, head, known)
        if current == head:
            return
        if current is None:
            self._refuse_empty_witnessed()
        with self._errors("创建或升级核查数据库"), self._write() as conn:
            if self.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
            context = MigrationContext.configure(conn)
            current = context.get_current_revision()
            self._check_revision(current, head, known)
            if current is None and not sa.inspect(conn).get_table_names():
                # A new store: the head schema at once (what the migrations build, as a test
                # checks), stamped with the head revision; quicker than replaying them.
                from alembic.script import ScriptDirectory

                metadata.create_all(conn)
                conn.execute(chain_table.insert().values(id=1, seq=0, hash=GENESIS_HASH))
                context.stamp(ScriptDirectory.from_config(self._alembic_config()), "head")
            elif current != head:
                command.upgrade(self._alembic_config(conn), "head")

    # -- users ------------------------------------------------------------------------------

    @staticmethod
    def _check_name(name: str) -> str:
        clean = name.strip() if isinstance(name, str) else ""
        if not clean or len(clean) > 64 or any(ch.isspace() or ord(ch) < 32 for ch in clean):
            raise UserAdminError(f"用户名无效：{name!r}(1–64 个字符，不含空格)")
        return clean

    @staticmethod
    def _check_role(role: str) -> str:
        if role not in ROLES:
            raise UserAdminError(f"未知角色 {role!r}：应为 {' / '.join(ROLES)} 之一")
        return role

    @staticmethod
    def _admin_refusal(name: str, problem: str) -> UserAdminError:
        return UserAdminError(
            f"用户 {name} 的{problem}(管理员密码至少 {ADMIN_PASSWORD_MIN} 个字符，且不能与用户名"
            "相同)：请换一个更长的密码"
        )

    def add_user(self, name: str, password: str, role: str) -> User:
        """Add a user (argon2-hashed password). Refuses a taken name, an empty password and,
        for an admin, a password that fails :func:`admin_password_problem`."""
        name = self._check_name(name)
        role = self._check_role(role)
        if not password:
            raise UserAdminError("密码不能为空")
        problem = admin_password_problem(name, password)
        if role == "admin" and problem:
            raise self._admin_refusal(name, problem)
        hashed = self._hasher.hash(password)
        now = self._now()
        with self._errors("添加用户"), self._write() as conn:
            exists = conn.execute(
                sa.select(users_table.c.name).where(users_table.c.name == name)
            ).first()
            if exists is not None:
                raise UserAdminError(f"用户 {name} 已存在")
            conn.execute(
                users_table.insert().values(
                    name=name,
                    role=role,
                    password_hash=hashed,
                    created_at=now,
                    updated_at=now,
                    admin_policy_ok=problem is None,
                )
            )
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password (an admin's must meet the admin policy)."""
        if not password:
            raise UserAdminError("密码不能为空")
        problem = admin_password_problem(name, password)
        hashed = self._hasher.hash(password)
        with self._errors("修改用户"), self._write() as conn:
            row = conn.execute(
                sa.select(users_table.c.role).where(users_table.c.name == name).with_for_update()
            ).first()
            if row is None:
                raise UserAdminError(f"用户 {name} 不存在")
            if row.role == "admin" and problem:
                raise self._admin_refusal(name, problem)
            conn.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(
                    password_hash=hashed, admin_policy_ok=problem is None, updated_at=self._now()
                )
            )

    def set_role(self, name: str, role: str) -> User:
        """Change a user's role. Making someone an admin needs a password that meets the
        admin policy (set with :meth:`set_password` first)."""
        role = self._check_role(role)
        with self._errors("修改用户"), self._write() as conn:
            row = conn.execute(
                sa.select(users_table.c.admin_policy_ok)
                .where(users_table.c.name == name)
                .with_for_update()
            ).first()
            if row is None:
                raise UserAdminError(f"用户 {name} 不存在")
            if role == "admin" and not row.admin_policy_ok:
                raise UserAdminError(
                    f"用户 {name} 的密码不符合管理员要求(至少 {ADMIN_PASSWORD_MIN} 个字符，且不能与"
                    f"用户名相同)或未经核实：请先用 python -m lcgis users passwd {name} 重设密码，"
                    "再改为管理员"
                )
            conn.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(role=role, updated_at=self._now())
            )
        return User(name, role)

    def remove_user(self, name: str) -> None:
        """Delete a user (their history entries stay)."""
        with self._errors("删除用户"), self._write() as conn:
            res = conn.execute(users_table.delete().where(users_table.c.name == name))
            if res.rowcount == 0:
                raise UserAdminError(f"用户 {name} 不存在")

    def get_user(self, name: str) -> User | None:
        """The user called ``name``, or ``None``."""
        with self._errors("读取用户"), self._engine.connect() as conn:
            row = conn.execute(
                sa.select(users_table.c.name, users_table.c.role).where(users_table.c.name == name)
            ).first()
        return None if row is None else User(row.name, row.role)

    def users(self) -> list[User]:
        """All users, by name."""
        with self._errors("读取用户"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(users_table.c.name, users_table.c.role).order_by(users_table.c.name)
            ).all()
        return [User(r.name, r.role) for r in rows]

    # -- login ------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str | None, *, client: str = "") -> User | None:
        """The user if ``password`` is theirs, else ``None``; see :meth:`login`."""
        return self.login(name, password, client=client).user

    def login(self, name: str, password: str | None, *, client: str = "") -> LoginResult:
        """Check a login, throttled per user name and per ``client`` (e.g. an IP address).

        While the name or the client is locked (:func:`lock_seconds` after
        :data:`MAX_FAILURES` failures in a row, counted for unknown names too) the attempt is
        refused without looking at the password. Otherwise exactly one argon2 verification
        runs, whether the user exists or not and whether a password was given. A failure
        counts for both the name and the client; a success resets the name's counter (the
        client's is forgotten :data:`FAILURE_MEMORY_S` after its last failure). An admin
        whose password does not meet the admin policy is refused with how to fix it. Every
        attempt is logged (``login_log`` and the ``lcgis.review.store`` logger).
        """
        name = name.strip() if isinstance(name, str) else ""
        client = _client_label(client)
        subjects = (f"user:{name[:100]}", f"client:{client}")
        now = self._now()
        wait = self._lock_remaining(subjects, now)
        if wait > 0:
            log.warning("登录被暂停：用户 %s，客户端 %s，还需等待 %.0f 秒", name, client, wait)
            return LoginResult(
                None,
                f"登录失败次数过多，已暂停登录：请 {_duration(wait)}后再试",
                "登录已暂停(失败次数过多)",
                wait,
            )
        user, why, policy_ok = self._verify_password(name, password)
        if user is None:
            lock = self._record_failure(subjects, name, client, why, now)
            text = "用户名或密码错误"
            if lock:
                text += f"；失败次数过多，登录已暂停 {_duration(lock)}"
            return LoginResult(None, text, why, float(lock))
        if user.is_admin and not policy_ok:
            problem = admin_password_problem(name, password or "")
            if problem is not None:
                self._log_login(name, client, "weak", f"管理员 {name} 的密码不符合要求：{problem}")
                return LoginResult(
                    None,
                    f"管理员密码不符合要求({problem})：请在服务器上运行 python -m lcgis users "
                    f"passwd {name}，设置至少 {ADMIN_PASSWORD_MIN} 个字符且不同于用户名的密码后"
                    "再登录",
                    "管理员密码不符合要求",
                )
            with self._errors("登录"), self._write() as conn:
                conn.execute(
                    users_table.update()
                    .where(users_table.c.name == name)
                    .values(admin_policy_ok=True)
                )
        self._record_success(subjects[0], name, client)
        return LoginResult(user)

    def _verify_password(self, name: str, password: str | None) -> tuple[User | None, str, bool]:
        """(user, "", admin policy met) or (None, Chinese reason for the log, False).

        Always exactly one argon2 verification (against a dummy hash for an unknown name or
        a missing password), so the time taken does not tell who exists.
        """
        dummy = self._dummy()
        with self._errors("登录"), self._engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.name == name)).first()
        target = row.password_hash if row is not None and password else dummy
        try:
            matched = bool(self._hasher.verify(target, password or ""))
        except (VerificationError, InvalidHashError):
            matched = False
        if row is None:
            return None, f"未知用户 {name}", False
        if not password:
            return None, f"用户 {name} 未提供密码", False
        if not matched:
            return None, f"用户 {name} 密码错误", False
        if self._hasher.check_needs_rehash(row.password_hash):
            with self._errors("登录"), self._write() as conn:
                conn.execute(
                    users_table.update()
                    .where(users_table.c.name == name)
                    .values(password_hash=self._hasher.hash(password))
                )
        return User(row.name, row.role), "", bool(row.admin_policy_ok)

    def _dummy(self) -> str:
        """A hash with the store's argon2 parameters of a password nobody uses (made once per
        set of parameters in a process: the first attempt costs the same for any name)."""
        if self._dummy_hash is None:
            h = self._hasher
            self._dummy_hash = _dummy_hash(
                h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type
            )
        return self._dummy_hash

    def _lock_remaining(self, subjects: Iterable[str], now: dt.datetime) -> float:
        """Seconds until none of ``subjects`` is locked (0: not locked)."""
        with self._errors("登录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_failures_table.c.locked_until).where(
                    login_failures_table.c.subject.in_(list(subjects))
                )
            ).all()
        waits = [(_utc(r.locked_until) - now).total_seconds() for r in rows if r.locked_until]
        return max([0.0, *waits])

    def _record_failure(
        self, subjects: Iterable[str], name: str, client: str, why: str, now: dt.datetime
    ) -> int:
        """Count a failure for each subject; the seconds of a lock it started (0: none)."""
        locks: list[int] = []
        counts: list[int] = []
        with self._errors("登录"), self._write() as conn:
            for subject in subjects:
                if self.backend == "postgresql":
                    conn.execute(
                        sa.select(
                            sa.func.pg_advisory_xact_lock(
                                _LOGIN_LOCK_SPACE, sa.func.hashtext(subject)
                            )
                        )
                    )
                row = conn.execute(
                    sa.select(login_failures_table)
                    .where(login_failures_table.c.subject == subject)
                    .with_for_update()
                ).first()
                fresh = row is None or (
                    (now - _utc(row.last_failure_at)).total_seconds() > FAILURE_MEMORY_S
                )
                failures = 1 if fresh or row is None else int(row.failures) + 1
                lock = lock_seconds(failures)
                values = {
                    "failures": failures,
                    "last_failure_at": now,
                    "locked_until": now + dt.timedelta(seconds=lock) if lock else None,
                }
                if row is None:
                    conn.execute(login_failures_table.insert().values(subject=subject, **values))
                else:
                    conn.execute(
                        login_failures_table.update()
                        .where(login_failures_table.c.subject == subject)
                        .values(**values)
                    )
                counts.append(failures)
                locks.append(lock)
            text = f"{why}(连续失败：用户名 {counts[0]} 次，客户端 {counts[-1]} 次)"
            if max(locks):
                text += f"，暂停登录 {max(locks)} 秒"
            self._insert_login_log(conn, name, client, "failed", text, now)
        if max(locks):
            log.warning("登录失败，已暂停登录 %s 秒：%s，客户端 %s", max(locks), text, client)
        else:
            log.info("登录失败：%s，客户端 %s", text, client)
        return max(locks)

    def _record_success(self, subject: str, name: str, client: str) -> None:
        with self._errors("登录"), self._write() as conn:
            conn.execute(
                login_failures_table.delete().where(login_failures_table.c.subject == subject)
            )
            self._insert_login_log(conn, name, client, "ok", f"用户 {name} 登录", self._now())
        log.info("登录成功：用户 %s，客户端 %s", name, client)

    def _log_login(self, name: str, client: str, outcome: str, message: str) -> None:
        with self._errors("登录"), self._write() as conn:
            self._insert_login_log(conn, name, client, outcome, message, self._now())
        log.warning("登录被拒绝：%s，客户端 %s", message, client)

    @staticmethod
    def _insert_login_log(
        conn: Connection, name: str, client: str, outcome: str, message: str, at: dt.datetime
    ) -> None:
        conn.execute(
            login_log_table.insert().values(
                at=at, user_name=name[:100], client=client, outcome=outcome, message=message
            )
        )

    def lockouts(self) -> list[Lockout]:
        """Current failure counters (``user:名字`` and ``client:地址``), newest first."""
        with self._errors("读取登录记录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_failures_table).order_by(
                    login_failures_table.c.last_failure_at.desc()
                )
            ).all()
        return [
            Lockout(
                r.subject,
                int(r.failures),
                _utc(r.last_failure_at),
                _utc(r.locked_until) if r.locked_until else None,
            )
            for r in rows
        ]

    def unlock(self, *, user: str | None = None, client: str | None = None) -> int:
        """Forget the failures of a user name and/or a client; how many counters were reset."""
        subjects = ([f"user:{user}"] if user else []) + ([f"client:{client}"] if client else [])
        if not subjects:
            raise UserAdminError("请指定要解除锁定的用户名或客户端")
        with self._errors("解除锁定"), self._write() as conn:
            res = conn.execute(
                login_failures_table.delete().where(login_failures_table.c.subject.in_(subjects))
            )
        return int(res.rowcount or 0)

    def login_log(self, limit: int = 50) -> list[LoginEvent]:
        """The newest ``limit`` logged login attempts, oldest first."""
        with self._errors("读取登录记录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_log_table).order_by(login_log_table.c.id.desc()).limit(limit)
            ).all()
        return [
            LoginEvent(int(r.id), _utc(r.at), r.user_name, r.client, r.outcome, r.message)
            for r in reversed(rows)
        ]

    # -- reading ----------------------------------------------------------------------------

    @staticmethod
    def _review(row: Any) -> Review:
        return Review(
            parcel_id=row.parcel_id,
            status=row.status,
            reason=row.reason,
            assignee=row.assignee,
            due_date=row.due_date,
            note=row.note,
            tags=tuple(row.tags or ()),
            version=int(row.version),
            updated_by=row.updated_by,
            updated_at=_utc(row.updated_at),
            dataset_id=row.dataset_id,
        )

    @staticmethod
    def _entry(row: Any) -> HistoryEntry:
        return HistoryEntry(
            id=int(row.id),
            seq=int(row.seq),
            parcel_id=row.parcel_id,
            user=row.user_name,
            at=_utc(row.at),
            old=row.old,
            new=row.new,
            status=row.status,
            accepted=bool(row.accepted),
            message=row.message,
            version=int(row.version),
            prev_hash=row.prev_hash,
            hash=row.hash,
            dataset_id=row.dataset_id,
            scheme=int(row.scheme),
        )

    def get(self, parcel_id: str, *, dataset: str) -> Review | None:
        """The parcel's current review in ``dataset``, or ``None`` if it has none (version 0)."""
        with self._errors("读取核查记录"), self._engine.connect() as conn:
            row = conn.execute(
                sa.select(reviews_table).where(
                    reviews_table.c.dataset_id == dataset, reviews_table.c.parcel_id == parcel_id
                )
            ).first()
        return None if row is None else self._review(row)

    def reviews(self, *, dataset: str | None = None) -> list[Review]:
        """Current reviews of ``dataset`` (``None``: of every dataset), by dataset and parcel."""
        query = sa.select(reviews_table).order_by(
            reviews_table.c.dataset_id, reviews_table.c.parcel_id
        )
        if dataset is not None:
            query = query.where(reviews_table.c.dataset_id == dataset)
        with self._errors("读取核查记录"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._review(r) for r in rows]

    def datasets(self) -> list[tuple[str, int, int]]:
        """(dataset id, reviews, history entries) of every dataset the store knows."""
        with self._errors("读取核查记录"), self._engine.connect() as conn:
            reviews: dict[str, int] = dict(
                conn.execute(
                    sa.select(reviews_table.c.dataset_id, sa.func.count()).group_by(
                        reviews_table.c.dataset_id
                    )
                ).all()
            )
            entries: dict[str, int] = dict(
                conn.execute(
                    sa.select(history_table.c.dataset_id, sa.func.count()).group_by(
                        history_table.c.dataset_id
                    )
                ).all()
            )
        return [(d, int(reviews.get(d, 0)), int(entries.get(d, 0))) for d in sorted(entries)]

    def history(
        self,
        parcel_id: str | None = None,
        *,
        dataset: str | None = None,
        limit: int | None = None,
    ) -> list[HistoryEntry]:
        """History entries in chain order: all, or of one dataset and/or parcel; ``limit``
        keeps the last."""
        query = sa.select(history_table)
        if dataset is not None:
            query = query.where(history_table.c.dataset_id == dataset)
        if parcel_id is not None:
            query = query.where(history_table.c.parcel_id == parcel_id)
        if limit is not None:
            query = query.order_by(history_table.c.seq.desc()).limit(limit)
        else:
            query = query.order_by(history_table.c.seq)
        with self._errors("读取变更记录"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        entries = [self._entry(r) for r in rows]
        return sorted(entries, key=lambda e: e.seq)

    def reviews_frame(self, dataset: str | None = None) -> pd.DataFrame:
        """Current reviews as a table (English column names; see :data:`REVIEW_LABELS`)."""
        import pandas as pd

        rows = [
            {
                **dataclasses.asdict(r),
                "tags": ",".join(r.tags),
                "updated_at": format_time(r.updated_at),
            }
            for r in self.reviews(dataset=dataset)
        ]
        return pd.DataFrame(rows, columns=list(REVIEW_LABELS))

    def history_frame(
        self, parcel_id: str | None = None, *, dataset: str | None = None
    ) -> pd.DataFrame:
        """History as a table, one row per entry (columns :data:`HISTORY_LABELS`)."""
        import pandas as pd

        rows = []
        for e in self.history(parcel_id, dataset=dataset):
            new = e.new or {}
            rows.append(
                {
                    "seq": e.seq,
                    "time": _utc(e.at).astimezone(DISPLAY_TZ).isoformat(timespec="seconds"),
                    "parcel_id": e.parcel_id,
                    "user": e.user,
                    "version": e.version,
                    "status": e.status,
                    "reason": new.get("reason"),
                    "assignee": new.get("assignee"),
                    "due_date": new.get("due_date"),
                    "tags": ",".join(str(t) for t in new.get("tags") or ()),
                    "note": new.get("note"),
                    "accepted": e.accepted,
                    "message": e.message,
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                    "dataset_id": e.dataset_id,
                }
            )
        return pd.DataFrame(rows, columns=list(HISTORY_LABELS))

    # -- changing ---------------------------------------------------------------------------

    def set_review(
        self,
        parcel_id: str,
        *,
        dataset: str,
        by: User | str,
        password: str | None = None,
        expect_version: int | None = None,
        status: str | _Keep = KEEP,
        reason: str | _Keep | None = KEEP,
        assignee: str | _Keep | None = KEEP,
        due_date: dt.date | str | _Keep | None = KEEP,
        note: str | _Keep | None = KEEP,
        tags: str | Iterable[str] | _Keep | None = KEEP,
    ) -> ChangeResult:
        """Change a parcel's review in ``dataset``; fields left at :data:`KEEP` keep their
        value.

        ``by`` is a logged-in :class:`User` (its role is re-read from the store) or a user
        name, then checked with ``password`` like a :meth:`login` from the command line
        (throttled, logged). ``expect_version`` is the version the caller read (0: "no review
        yet"); if the review changed since, the change is refused with
        :class:`~lcgis.errors.StaleVersionError`. Without it the change applies to the
        version current at commit and is never stale. A change that leaves every value as
        it is is refused with :class:`~lcgis.errors.NoChangeError` (内容未变).

        Review and history entry are written in one transaction; the chain head is then
        appended to the witness. A refused change (unknown user, wrong password, viewer,
        invalid value, stale version, no change) changes nothing, is logged with
        ``accepted = false`` and raises a :class:`~lcgis.errors.ChangeRefused` subclass whose
        ``entry`` is the logged entry.
        """
        name = by.name if isinstance(by, User) else str(by)
        requested = {
            k: v
            for k, v in (
                ("status", status),
                ("reason", reason),
                ("assignee", assignee),
                ("due_date", due_date),
                ("note", note),
                ("tags", tags),
            )
            if v is not KEEP
        }
        refusal: tuple[type[ChangeRefused], str, str] | None = None  # (class, shown, logged)
        if not isinstance(by, User):  # argon2 is deliberately slow: check before the lock
            outcome = self.login(name, password, client=CLI_CLIENT)
            if outcome.user is None:
                refusal = (AuthenticationError, f"{outcome.message}，修改未保存", outcome.reason)
        clean, problems = self._clean(parcel_id, requested)
        if not isinstance(dataset, str) or not dataset.strip():
            problems.insert(0, "数据集编号不能为空")
            dataset = str(dataset or "")
        with self._errors("保存核查记录"), self._write() as conn:
            # PostgreSQL locks, always in this order: the parcel (a transaction-level advisory
            # lock, which works before its review row exists), then the chain head, which
            # serialises all appends; doing the reads before the chain lock keeps it short.
            # SQLite: BEGIN IMMEDIATE already holds the database's single write lock.
            if refusal is None:
                refusal = self._authorise(conn, name)
            if self.backend == "postgresql":
                conn.execute(
                    sa.select(
                        sa.func.pg_advisory_xact_lock(
                            _PARCEL_LOCK_SPACE, sa.func.hashtext(f"{dataset}\x1f{parcel_id}")
                        )
                    )
                )
            row = conn.execute(
                sa.select(reviews_table)
                .where(
                    reviews_table.c.dataset_id == dataset, reviews_table.c.parcel_id == parcel_id
                )
                .with_for_update()
            ).first()
            head = conn.execute(
                sa.select(chain_table.c.seq, chain_table.c.hash, chain_table.c.key_id)
                .where(chain_table.c.id == 1)
                .with_for_update()
            ).one()
            key = self._signing_key(conn, head)
            self._check_witness(conn, head)
            current = self._review(row) if row is not None else None
            current_version = current.version if current else 0
            old = current.values() if current else None
            base = (current or Review.unreviewed(parcel_id)).values()
            new = {**base, **clean}
            if refusal is None and problems:
                text = "；".join(problems)
                refusal = (InvalidChangeError, f"{text}，修改未保存", text)
            if refusal is None and expect_version is not None and expect_version != current_version:
                text = self._stale_message(parcel_id, current, expect_version)
                refusal = (StaleVersionError, text, text)
            if refusal is None and new == base:
                text = f"内容未变：宗地 {parcel_id} 的核查记录与当前版本 {current_version} 相同"
                refusal = (NoChangeError, f"{text}，未保存", "内容未变")
            accepted = refusal is None
            version = current_version + 1 if accepted else current_version
            message = _describe(old, new) if refusal is None else refusal[2]
            entry = self._append(
                conn,
                head,
                key,
                dataset=dataset,
                parcel_id=str(parcel_id),
                user=name,
                old=old,
                new=new,
                status=None if new.get("status") is None else str(new["status"]),
                accepted=accepted,
                message=message,
                version=version,
            )
            review = current
            if accepted:
                review = Review(
                    parcel_id=parcel_id,
                    status=new["status"],
                    reason=new["reason"],
                    assignee=new["assignee"],
                    due_date=dt.date.fromisoformat(new["due_date"]) if new["due_date"] else None,
                    note=new["note"],
                    tags=tuple(new["tags"]),
                    version=version,
                    updated_by=name,
                    updated_at=entry.at,
                    dataset_id=dataset,
                )
                values = {**dataclasses.asdict(review), "tags": list(review.tags)}
                if current is None:
                    conn.execute(reviews_table.insert().values(**values))
                else:
                    conn.execute(
                        reviews_table.update()
                        .where(
                            reviews_table.c.dataset_id == dataset,
                            reviews_table.c.parcel_id == parcel_id,
                        )
                        .values(**values)
                    )
            if self._before_commit is not None:
                self._before_commit()
        self._witness_append(key, entry)
        if refusal is not None:
            raise refusal[0](refusal[1], entry)
        assert review is not None
        return ChangeResult(review=review, entry=entry)

    @staticmethod
    def _clean(parcel_id: str, requested: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Requested values normalised to JSON values, and the problems found (Chinese)."""
        clean: dict[str, Any] = {}
        problems: list[str] = []
        if not isinstance(parcel_id, str) or not parcel_id.strip():
            problems.append("宗地编号不能为空")
        for key, value in requested.items():
            if key == "status":
                if value not in STATUSES:
                    problems.append(f"未知的核查状态 {value!r}：应为 {'、'.join(STATUSES)} 之一")
                clean[key] = _jsonable(value)
            elif key == "due_date":
                if value is None or value == "":
                    clean[key] = None
                elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    clean[key] = value.isoformat()
                else:
                    try:
                        clean[key] = dt.date.fromisoformat(str(value)).isoformat()
                    except ValueError:
                        problems.append(f"办理期限应写成 YYYY-MM-DD：{value}")
                        clean[key] = _jsonable(value)
            elif key == "tags":
                clean[key] = list(_split_tags(value))
            else:
                clean[key] = _text_or_none(value)
        return clean, problems

    @staticmethod
    def _role_now(conn: Connection, name: str) -> str | None:
        """The user's role as stored now (``None``: no such user)."""
        row = conn.execute(sa.select(users_table.c.role).where(users_table.c.name == name)).first()
        return None if row is None else str(row.role)

    @classmethod
    def _authorise(
        cls, conn: Connection, name: str, what: str = "修改核查记录"
    ) -> tuple[type[ChangeRefused], str, str] | None:
        """Refusal for a user who is missing now or may not change reviews, else ``None``."""
        role = cls._role_now(conn, name)
        if role is None:
            return (AuthenticationError, "用户名或密码错误，修改未保存", f"未知用户 {name}")
        if role not in ("reviewer", "admin"):
            label = ROLE_LABELS.get(role, role)
            text = f"用户 {name} 的角色是 {label}({role})，只能查看，无权{what}"
            return (PermissionDeniedError, text + "，修改未保存", text)
        return None

    @staticmethod
    def _stale_message(parcel_id: str, current: Review | None, expect: int) -> str:
        if current is None:
            return (
                f"宗地 {parcel_id} 还没有核查记录(当前版本 0)，而你读取的是版本 {expect}："
                "请刷新后重新填写，修改未保存"
            )
        if expect > current.version:
            return (
                f"宗地 {parcel_id} 的核查记录当前是版本 {current.version}，没有版本 {expect}："
                "请刷新后重新填写，修改未保存"
            )
        return (
            f"宗地 {parcel_id} 的核查记录已被 {current.updated_by} 于 "
            f"{format_time(current.updated_at)} 修改(当前版本 {current.version}，你读取的是版本 "
            f"{expect})：为避免覆盖他人的修改，本次修改未保存，请刷新后重新填写"
        )

    def _signing_key(self, conn: Connection, head: Any) -> review_seal.ChainKey:
        """The chain key (created on the store's first keyed entry), checked against the
        fingerprint in ``review_chain``; the head row is locked by the caller."""
        key = self._key or review_seal.load_key(self.state_dir)
        if key is None:
            keyed = conn.execute(
                sa.select(history_table.c.id).where(history_table.c.scheme == SCHEME_KEYED).limit(1)
            ).first()
            if head.key_id is not None or keyed is not None:
                raise StoreError(
                    f"找不到密钥文件 {self.state_dir / review_seal.KEY_NAME}：核查数据库 "
                    f"{self.display_url} 的变更记录由它签名，缺少它不能继续写入。请从备份恢复该文件"
                    "(不要新建)，或用环境变量 LCGIS_STATE_DIR 指向原来的状态目录"
                )
            key = review_seal.create_key(self.state_dir)
        if head.key_id is None:
            conn.execute(
                chain_table.update().where(chain_table.c.id == 1).values(key_id=key.key_id)
            )
        elif head.key_id != key.key_id:
            raise StoreError(
                f"密钥文件 {key.path} 与核查数据库 {self.display_url} 不符(数据库记录的密钥标识为 "
                f"{head.key_id}，文件的为 {key.key_id})：请换回原来的密钥文件，修改未保存"
            )
        self._key = key
        return key

    def _check_witness(self, conn: Connection, head: Any) -> None:
        """Refuse to write on a store that no longer holds the newest witnessed head."""
        seen = self.witness.newest()
        if seen is None:
            return
        advice = "为保护证据已拒绝写入，请运行 python -m lcgis review verify 检查并从备份恢复"
        if int(head.seq) < seen.seq:
            raise StoreError(
                f"核查数据库 {self.display_url} 只有 {head.seq} 条变更记录，但见证文件 "
                f"{self.witness.path} 记录已有 {seen.seq} 条：核查库可能被截断或重建。{advice}"
            )
        digest = conn.execute(
            sa.select(history_table.c.hash).where(history_table.c.seq == seen.seq)
        ).scalar()
        if digest != seen.hash:
            raise StoreError(
                f"核查数据库 {self.display_url} 的第 {seen.seq} 条变更记录与见证文件 "
                f"{self.witness.path} 不符：变更记录可能被改写，或核查库被重建。{advice}"
            )

    def _witness_append(self, key: review_seal.ChainKey, entry: HistoryEntry) -> None:
        """After a commit: append the new head to the witness (a failure is logged)."""
        try:
            self.witness.append(key, entry.seq, entry.hash)
        except (OSError, StoreError) as exc:
            log.error("无法写入见证文件 %s：%s", self.witness.path, exc)

    def _append(
        self,
        conn: Connection,
        head: Any,
        key: review_seal.ChainKey,
        *,
        dataset: str,
        parcel_id: str,
        user: str,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        status: str | None,
        accepted: bool,
        message: str,
        version: int,
    ) -> HistoryEntry:
        """Append one keyed entry after the chain head (held locked by the caller)."""
        at = self._now()
        seq = int(head.seq) + 1
        common: dict[str, Any] = {
            "seq": seq,
            "parcel_id": parcel_id,
            "at": at,
            "old": old,
            "new": new,
            "status": status,
            "accepted": accepted,
            "message": message,
            "version": version,
            "prev_hash": head.hash,
        }
        digest = entry_mac(key, _hash_fields(user=user, dataset_id=dataset, **common))
        res = conn.execute(
            history_table.insert().values(
                user_name=user, hash=digest, dataset_id=dataset, scheme=SCHEME_KEYED, **common
            )
        )
        conn.execute(chain_table.update().where(chain_table.c.id == 1).values(seq=seq, hash=digest))
        pk = res.inserted_primary_key
        assert pk is not None
        return HistoryEntry(
            id=int(pk[0]), user=user, hash=digest, dataset_id=dataset, scheme=SCHEME_KEYED, **common
        )

    # -- verification -----------------------------------------------------------------------

    def verify(self) -> VerifyResult:
        """Check the whole store; name the first problem (Chinese).

        The chain: every entry's hash (scheme 2: HMAC with the chain key, which must be the
        one the store was signed with; scheme 1: SHA-256, only before the first keyed entry),
        sequence and link to the previous entry, and the head. The table: replaying the
        accepted entries gives exactly the rows of ``reviews`` (values, version, who and
        when), and versions follow one another. The witness: every witnessed head is in the
        chain, so a truncated, re-created or consistently rewritten store is detected. Works
        on a read-only store, also one not yet upgraded (revision 0001).
        """
        with self._errors("核验变更记录"), self._read() as conn:
            snap = _snapshot(conn)
        try:
            key = review_seal.load_key(self.state_dir)
        except StoreError as exc:
            return VerifyResult(ok=False, entries=len(snap.rows), message=str(exc))
        return _verify(snap, key, self.state_dir / review_seal.KEY_NAME, self.witness)

    # -- saved plans ------------------------------------------------------------------------

    def _authorise_plan(self, conn: Connection, by: User, what: str) -> None:
        """Raise unless ``by`` is, as stored now, a reviewer or admin."""
        role = self._role_now(conn, by.name)
        if role is None:
            raise AuthenticationError(f"用户 {by.name} 不存在(可能已被删除)，无权{what}")
        if role not in ("reviewer", "admin"):
            label = ROLE_LABELS.get(role, role)
            raise PermissionDeniedError(
                f"用户 {by.name} 的角色是 {label}({role})，只能查看，无权{what}"
            )

    def save_plan(self, name: str, payload: Any, *, by: User, overwrite: bool = False) -> SavedPlan:
        """Store a named relocation plan (any JSON value); reviewers and admins only (the role
        is re-read from the store)."""
        if not name or not name.strip():
            raise InvalidChangeError("方案名称不能为空")
        _canonical(payload)  # JSON-able or TypeError/ValueError
        now = self._now()
        with self._errors("保存方案"), self._write() as conn:
            self._authorise_plan(conn, by, "保存方案")
            exists = conn.execute(
                sa.select(plans_table.c.name).where(plans_table.c.name == name).with_for_update()
            ).first()
            if exists is not None and not overwrite:
                raise InvalidChangeError(f"方案 {name} 已存在：换一个名称或选择覆盖")
            values = {"created_by": by.name, "created_at": now, "payload": payload}
            if exists is None:
                conn.execute(plans_table.insert().values(name=name, **values))
            else:
                conn.execute(
                    plans_table.update().where(plans_table.c.name == name).values(**values)
                )
        return SavedPlan(name, by.name, now, payload)

    def get_plan(self, name: str) -> SavedPlan | None:
        """The plan called ``name``, or ``None``."""
        with self._errors("读取方案"), self._engine.connect() as conn:
            row = conn.execute(sa.select(plans_table).where(plans_table.c.name == name)).first()
        if row is None:
            return None
        return SavedPlan(row.name, row.created_by, _utc(row.created_at), row.payload)

    def plans(self) -> list[SavedPlan]:
        """All saved plans, newest first."""
        with self._errors("读取方案"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(plans_table).order_by(plans_table.c.created_at.desc())
            ).all()
        return [SavedPlan(r.name, r.created_by, _utc(r.created_at), r.payload) for r in rows]

    def delete_plan(self, name: str, *, by: User) -> bool:
        """Delete a plan; ``False`` if there was none. Reviewers and admins only (re-read)."""
        with self._errors("删除方案"), self._write() as conn:
            self._authorise_plan(conn, by, "删除方案")
            return conn.execute(plans_table.delete().where(plans_table.c.name == name)).rowcount > 0

    # -- export -----------------------------------------------------------------------------

    def export_xlsx(self, out: str | os.PathLike[str], *, dataset: str | None = None) -> Path:
        """Write sheets 核查状态 and 变更记录 (Chinese headers) of ``dataset`` (``None``: every
        dataset) to ``out``, atomically."""
        import pandas as pd
        from openpyxl.utils import get_column_letter

        from lcgis.data.io import atomic_output
        from lcgis.views.sanitize import excel_frame, neutralize_sheet

        out = Path(out)
        current = self.reviews_frame(dataset).rename(columns=REVIEW_LABELS)
        log_frame = self.history_frame(dataset=dataset)
        log_frame["accepted"] = log_frame["accepted"].map({True: "是", False: "否"})
        log_frame = log_frame.rename(columns=HISTORY_LABELS)
        with atomic_output(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for sheet, df in (
                ("核查状态", excel_frame(current)),
                ("变更记录", excel_frame(log_frame)),
            ):
                df.to_excel(xw, sheet_name=sheet, index=False)
                ws = xw.sheets[sheet]
                neutralize_sheet(ws)  # a note like "=…" stays text
                ws.freeze_panes = "B2"
                ws.print_title_rows = "1:1"
                ws.page_setup.orientation = "landscape"
                for i, header in enumerate(df.columns, start=1):
                    longest = max([len(str(header))] + [len(str(v)) for v in df[header].head(500)])
                    ws.column_dimensions[get_column_letter(i)].width = min(2 * longest + 2, 60)
                if len(df.columns):
                    ws.auto_filter.ref = ws.dimensions
        return out


#: Chinese headers of :meth:`ReviewStore.reviews_frame` columns.
REVIEW_LABELS: Final = {
    "parcel_id": "宗地编号",
    "status": "核查状态",
    "reason": "原因",
    "assignee": "责任人",
    "due_date": "办理期限",
    "note": "备注",
    "tags": "标签",
    "version": "版本",
    "updated_by": "最后修改人",
    "updated_at": "最后修改时间",
    "dataset_id": "数据集",
}
#: Chinese headers of :meth:`ReviewStore.history_frame` columns.
HISTORY_LABELS: Final = {
    "seq": "序号",
    "time": "时间",
    "parcel_id": "宗地编号",
    "user": "用户",
    "version": "版本",
    "status": "状态",
    "reason": "原因",
    "assignee": "责任人",
    "due_date": "办理期限",
    "tags": "标签",
    "note": "备注",
    "accepted": "是否生效",
    "message": "说明",
    "prev_hash": "前一条哈希",
    "hash": "哈希",
    "dataset_id": "数据集",
}


# --- verification -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Snapshot:
    """What :meth:`ReviewStore.verify` reads in one transaction (rows as mappings)."""

    revision: str | None
    head: Mapping[str, Any] | None
    rows: list[Mapping[str, Any]]
    reviews: list[Mapping[str, Any]]


def _snapshot(conn: Connection) -> _Snapshot:
    """Chain head, history and reviews as stored (revision 0001 or the current one)."""
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None:
        return _Snapshot(None, None, [], [])
    chain, hist, revs = chain_table, history_table, reviews_table
    if revision == "0001":
        chain, hist, revs = (_legacy_table(t) for t in (chain, hist, revs))
    head = conn.execute(sa.select(chain).where(chain.c.id == 1)).first()
    rows = conn.execute(sa.select(hist).order_by(hist.c.seq, hist.c.id)).all()
    reviews = conn.execute(sa.select(revs)).all()
    return _Snapshot(
        revision,
        None if head is None else dict(head._mapping),
        [dict(r._mapping) for r in rows],
        [dict(r._mapping) for r in reviews],
    )


def _witnessed_at(text: str) -> str:
    try:
        return format_time(dt.datetime.fromisoformat(text))
    except ValueError:
        return text


def _where(row: Mapping[str, Any]) -> str:
    at = row.get("at")
    dataset = row.get("dataset_id", LEGACY_DATASET)
    return (
        f"第 {row['seq']} 条记录(id={row['id']}，数据集 {dataset}，宗地 {row['parcel_id']}，"
        f"用户 {row['user_name']}，时间 {format_time(_utc(at)) if at else '-'})"
    )


def _row_digest(row: Mapping[str, Any], scheme: int, key: review_seal.ChainKey | None) -> str:
    """The hash ``row`` should carry (``""`` when its fields cannot be hashed)."""
    try:
        fields = _hash_fields(
            seq=row["seq"],
            parcel_id=row["parcel_id"],
            user=row["user_name"],
            at=row["at"],
            old=row["old"],
            new=row["new"],
            status=row["status"],
            accepted=row["accepted"],
            message=row["message"],
            version=row["version"],
            prev_hash=row["prev_hash"],
            dataset_id=row.get("dataset_id") if scheme == SCHEME_KEYED else None,
        )
        if scheme == SCHEME_KEYED:
            assert key is not None
            return entry_mac(key, fields)
        return entry_hash(fields)
    except (TypeError, ValueError, AttributeError):
        return ""


#: (label, value in ``reviews``, value the producing entry implies) of a replayed review.
_Getter = Callable[[Mapping[str, Any]], Any]
_REPLAYED: Final[tuple[tuple[str, _Getter, _Getter], ...]] = (
    ("核查状态", lambda r: r["status"], lambda e: (e["new"] or {}).get("status")),
    ("原因", lambda r: r["reason"], lambda e: (e["new"] or {}).get("reason")),
    ("责任人", lambda r: r["assignee"], lambda e: (e["new"] or {}).get("assignee")),
    (
        "办理期限",
        lambda r: r["due_date"].isoformat() if r["due_date"] else None,
        lambda e: (e["new"] or {}).get("due_date"),
    ),
    ("备注", lambda r: r["note"], lambda e: (e["new"] or {}).get("note")),
    ("标签", lambda r: list(r["tags"] or []), lambda e: list((e["new"] or {}).get("tags") or [])),
    ("版本", lambda r: int(r["version"]), lambda e: int(e["version"])),
    ("最后修改人", lambda r: r["updated_by"], lambda e: e["user_name"]),
    ("最后修改时间", lambda r: _iso(r["updated_at"]), lambda e: _iso(e["at"])),
)


def _verify(
    snap: _Snapshot,
    key: review_seal.ChainKey | None,
    key_path: Path,
    witness: review_seal.Witness,
) -> VerifyResult:
    rows, head = snap.rows, snap.head

    def bad(seq: int | None, row: Mapping[str, Any] | None, text: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            entries=len(rows),
            first_bad_seq=seq,
            first_bad_id=None if row is None else int(row["id"]),
            message=text,
        )

    lines, witness_problem = witness.read(key)
    if witness_problem is not None:
        return bad(None, None, f"见证文件有误：{witness_problem}")
    top = max(lines, key=lambda w: w.seq) if lines else None
    if snap.revision is None:
        if top is not None:
            return bad(
                1,
                None,
                f"核查库被截断或重建：核查数据库是空的(没有数据表)，但见证文件 {witness.path} "
                f"记录它已有 {top.seq} 条变更记录(最近见证于 {_witnessed_at(top.at)})",
            )
        return VerifyResult(ok=True, entries=0, message="核查数据库是空的(尚未建表)，没有变更记录")
    key_id = head.get("key_id") if head is not None else None
    if key_id and key is not None and key_id != key.key_id:
        return bad(
            None,
            None,
            f"密钥文件 {key.path} 与核查数据库不符(数据库记录的密钥标识为 {key_id}，文件的为 "
            f"{key.key_id})：请换回原来的密钥文件后再核验",
        )

    prev, expected, keyed = GENESIS_HASH, 1, 0
    versions: dict[tuple[str, str], int] = {}
    produced: dict[tuple[str, str], Mapping[str, Any]] = {}
    hashes: dict[int, str] = {}
    for row in rows:
        where = _where(row)
        seq = int(row["seq"])
        if seq != expected:
            if seq > expected:
                return bad(
                    expected, row, f"变更记录被删改：第 {expected} 条记录缺失(其后是{where})"
                )
            return bad(seq, row, f"变更记录被删改：{where} 序号重复或顺序错乱")
        if row["prev_hash"] != prev:
            return bad(
                seq,
                row,
                f"变更记录被删改：{where} 的前一哈希与上一条不符"
                "(之前的记录被删除、改动或调换了顺序)",
            )
        scheme = int(row.get("scheme", SCHEME_LEGACY))
        dataset = str(row.get("dataset_id", LEGACY_DATASET))
        if scheme == SCHEME_LEGACY:
            if keyed:
                return bad(seq, row, f"变更记录被篡改：{where} 不带密钥，却排在带密钥的记录之后")
            if dataset != LEGACY_DATASET:
                return bad(
                    seq,
                    row,
                    f"变更记录被篡改：{where} 是旧版(不带密钥)记录，数据集应为 {LEGACY_DATASET}",
                )
        elif scheme == SCHEME_KEYED:
            keyed += 1
            if key is None:
                return bad(
                    seq,
                    row,
                    f"无法核验：找不到密钥文件 {key_path}，而{where}起的变更记录由该密钥签名。"
                    "请从备份恢复密钥文件，或用环境变量 LCGIS_STATE_DIR 指向原来的状态目录",
                )
        else:
            return bad(seq, row, f"变更记录被篡改：{where} 的记录方式 {scheme} 无效")
        if _row_digest(row, scheme, key) != row["hash"]:
            return bad(seq, row, f"变更记录被篡改：{where} 的内容与其哈希不符")
        parcel = (dataset, str(row["parcel_id"]))
        before = versions.get(parcel, 0)
        want = before + 1 if row["accepted"] else before
        if int(row["version"]) != want:
            verdict = "生效" if row["accepted"] else "被拒绝"
            return bad(
                seq,
                row,
                f"变更记录被篡改：{where} 是{verdict}的修改，版本应为 {want}，"
                f"记为 {row['version']}",
            )
        if row["accepted"]:
            versions[parcel] = want
            produced[parcel] = row
        hashes[seq] = str(row["hash"])
        prev, expected = str(row["hash"]), expected + 1
    count = expected - 1
    if head is None:
        return bad(None, None, "变更记录被篡改：链头(review_chain)缺失")
    if int(head["seq"]) != count or head["hash"] != prev:
        missing = int(head["seq"]) - count
        text = (
            f"变更记录被删改：最后 {missing} 条记录缺失(链头记到第 {head['seq']} 条，"
            f"实际只有 {count} 条)"
            if missing > 0
            else f"变更记录被篡改：链头(第 {head['seq']} 条)与最后一条记录(第 {count} 条)不符"
        )
        return bad(count + 1, None, text)
    if keyed and not key_id:
        return bad(None, None, "变更记录被篡改：链头(review_chain)的密钥标识被清除")

    if top is not None:
        if top.seq > count:
            return bad(
                count + 1,
                None,
                f"核查库被截断或重建：见证文件 {witness.path} 记录已有第 {top.seq} 条变更记录"
                f"(见证于 {_witnessed_at(top.at)})，核查数据库中只有 {count} 条",
            )
        for line in lines:
            if hashes.get(line.seq) != line.hash:
                return bad(
                    line.seq,
                    None,
                    f"变更记录被整体改写或核查库被重建：第 {line.seq} 条记录的哈希与见证文件 "
                    f"{witness.path} 第 {line.line} 行不符",
                )

    table = {
        (str(r.get("dataset_id", LEGACY_DATASET)), str(r["parcel_id"])): r for r in snap.reviews
    }
    for parcel in sorted(set(produced) | set(table)):
        dataset, pid = parcel
        entry, current = produced.get(parcel), table.get(parcel)
        if entry is None:
            return bad(
                None,
                None,
                f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的核查记录没有对应的变更记录",
            )
        if current is None:
            return bad(
                int(entry["seq"]),
                entry,
                f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的核查记录缺失"
                f"(应为第 {entry['seq']} 条变更记录的结果)",
            )
        for label, stored, implied in _REPLAYED:
            try:
                same = stored(current) == implied(entry)
            except (TypeError, ValueError, AttributeError):
                same = False
            if not same:
                return bad(
                    int(entry["seq"]),
                    entry,
                    f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的{label}与第 {entry['seq']} "
                    "条变更记录的结果不符",
                )

    text = f"变更记录完整：共 {count} 条，哈希链无误"
    if count:
        text += f"(带密钥 {keyed} 条)" if keyed == count else f"(旧版 {count - keyed} 条)"
    text += f"；核查状态与变更记录一致({len(table)} 宗)"
    text += f"；与见证文件相符(见证到第 {top.seq} 条)" if top is not None else "；尚无见证记录"
    return VerifyResult(ok=True, entries=count, message=text)


def verify_store(
    db: str | None = None, *, state_dir: str | os.PathLike[str] | None = None
) -> VerifyResult:
    """Verify the store chosen like :func:`open_store` without writing anything: opened
    read-only, never created or upgraded. A SQLite file that is missing although its witness
    knows entries was deleted."""
    url = resolve_database_url(db, state_dir=state_dir)
    folder = Path(state_dir) if state_dir is not None else review_seal.state_dir()
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        path = Path(parsed.database)
        if not path.is_file():
            witness = review_seal.Witness(folder, _store_identity(parsed))
            seen = witness.newest()
            if seen is not None:
                return VerifyResult(
                    ok=False,
                    entries=0,
                    first_bad_seq=1,
                    message=f"核查库被删除：核查数据库文件 {path} 不存在，但见证文件 "
                    f"{witness.path} 记录它已有 {seen.seq} 条变更记录",
                )
            return VerifyResult(
                ok=True, entries=0, message=f"核查数据库 {path} 尚未创建，没有变更记录"
            )
    with ReviewStore(url, state_dir=folder, read_only=True) as store:
        return store.verify()
