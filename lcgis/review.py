"""The review store: per-parcel review status, a hash-chained audit log, users and roles.

One store per database, opened by URL (:func:`open_store` picks the default):

* SQLite file ``<data_dir>/review.sqlite`` by default, created on first use (WAL journal,
  busy timeout, ``BEGIN IMMEDIATE`` for every write), so the demo needs no set-up;
* PostgreSQL when a URL is given (``postgresql+psycopg://user@host/db``; ``postgresql://`` is
  read as psycopg 3).

The schema is managed by Alembic (``lcgis/migrations``): the store upgrades an older database
on open and refuses one whose revision is newer than this code (:class:`SchemaTooNewError`).

Every change to a review is one transaction that (1) takes the locks (SQLite: the database's
write lock, by ``BEGIN IMMEDIATE``; PostgreSQL: a transaction advisory lock on the parcel, then
the single row of ``review_chain`` by ``SELECT … FOR UPDATE`` — always in that order, so no
deadlock), (2) reads the parcel's review, (3) checks user, role, values and the version the
caller read, (4) appends a history entry (accepted or refused) whose hash covers its fields and
the previous entry's hash, (5) writes the review if accepted, and (6) moves the chain head.
So no update is lost, the history is linear, and :meth:`ReviewStore.verify` detects an
edited, deleted or reordered entry. Refused changes raise a subclass of
:class:`~lcgis.errors.ChangeRefused` carrying the logged entry.

Roles: ``viewer`` reads (confidential enterprise figures masked by :mod:`lcgis.access`),
``reviewer`` changes reviews, ``admin`` also manages users and imports data. Passwords are
hashed with argon2 (argon2-cffi); there are no default users or passwords.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from .errors import (
    AuthenticationError,
    ChangeRefused,
    InvalidChangeError,
    LcgisError,
    PermissionDeniedError,
    SchemaTooNewError,
    StaleVersionError,
    StoreError,
    UserAdminError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_STATUS",
    "KEEP",
    "REASONS",
    "ROLES",
    "STATUSES",
    "ChangeResult",
    "HistoryEntry",
    "Review",
    "ReviewStore",
    "SavedPlan",
    "User",
    "VerifyResult",
    "open_store",
    "resolve_database_url",
]

#: Review statuses, in workflow order.
STATUSES: Final = (
    "待核查",
    "核查中",
    "已核实",
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
#: File name of the default SQLite store inside a dataset folder.
SQLITE_NAME: Final = "review.sqlite"

BUSY_TIMEOUT_S: Final = 30.0
_MIGRATION_LOCK_KEY: Final = 735_102_001  # pg_advisory_xact_lock key for schema upgrades
_PARCEL_LOCK_SPACE: Final = 735_102  # pg_advisory_xact_lock(space, hashtext(parcel_id))
_UTC = dt.UTC
#: Times are stored in UTC and shown in China Standard Time (no daylight saving).
DISPLAY_TZ: Final = dt.timezone(dt.timedelta(hours=8), "北京时间")

# --- schema (kept identical to lcgis/migrations/versions; a test compares them) -----------

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
)
reviews_table = sa.Table(
    "reviews",
    metadata,
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
)
chain_table = sa.Table(
    "review_chain",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
plans_table = sa.Table(
    "saved_plans",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
)


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
    """The current review of one parcel; ``version`` counts its accepted changes."""

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

    @classmethod
    def unreviewed(cls, parcel_id: str) -> Review:
        """The state of a parcel without any review: 待核查, version 0."""
        return cls(parcel_id=parcel_id)

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
    before and after (for a refused change: the values it asked for).
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


# --- URLs ---------------------------------------------------------------------------------


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
    data_dir: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The store's URL: ``db``, else env ``LCGIS_DATABASE_URL``, else ``review.sqlite`` in
    ``data_dir``, else in env ``LCGIS_DATA_DIR``, else in ``data/``.

    >>> resolve_database_url(data_dir="demo", environ={})
    'sqlite:///demo/review.sqlite'
    >>> resolve_database_url(environ={"LCGIS_DATABASE_URL": "postgresql://h/lc"})
    'postgresql+psycopg://h/lc'
    """
    env = os.environ if environ is None else environ
    if db:
        return normalise_url(db)
    if env.get("LCGIS_DATABASE_URL"):
        return normalise_url(env["LCGIS_DATABASE_URL"])
    folder = Path(data_dir or env.get("LCGIS_DATA_DIR") or "data")
    return normalise_url(folder / SQLITE_NAME)


def open_store(
    db: str | None = None, data_dir: str | os.PathLike[str] | None = None
) -> ReviewStore:
    """Open (creating or upgrading if needed) the store chosen by :func:`resolve_database_url`."""
    return ReviewStore(resolve_database_url(db, data_dir))


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
    """SHA-256 of the canonical JSON of an entry's fields (including ``prev_hash``).

    The fields are ``seq, parcel_id, user, at`` (ISO UTC, microseconds), ``old, new, status,
    accepted, message, version, prev_hash``; keys sorted, UTF-8, no spaces.
    """
    return hashlib.sha256(_canonical(dict(fields)).encode("utf-8")).hexdigest()


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
) -> dict[str, Any]:
    return {
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
    return "；".join(parts) if parts else "保存(内容未变)"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: we issue BEGIN ourselves; WAL, busy timeout, full sync."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    """``BEGIN IMMEDIATE`` for writes (the write lock up front), ``BEGIN`` for reads."""
    mode = conn.get_execution_options().get("lcgis_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


_DUMMY_PASSWORD = "lcgis-timing-equaliser"


# --- the store ----------------------------------------------------------------------------


class ReviewStore:
    """The review store at ``url`` (SQLite or PostgreSQL), created or upgraded on open.

    Thread-safe (each call uses its own pooled connection); one instance per process — after
    ``fork`` make a new one. ``hasher`` lets tests choose cheaper argon2 parameters.
    """

    def __init__(self, url: str, *, hasher: PasswordHasher | None = None) -> None:
        self.url = normalise_url(url)
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        #: Test hook: called inside a change's transaction just before commit.
        self._before_commit: Callable[[], None] | None = None
        self._engine = self._make_engine(self.url)
        self.backend = self._engine.dialect.name
        self.display_url = self._engine.url.render_as_string(hide_password=True)
        try:
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

    @staticmethod
    def _make_engine(url: str) -> Engine:
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
            if not folder.is_dir():
                raise StoreError(
                    f"目录 {folder} 不存在，无法在其中创建核查数据库 {SQLITE_NAME}："
                    "请检查 --data 或 LCGIS_DATA_DIR，或用 --db 指定数据库"
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

    def _migrate(self) -> None:
        """Upgrade to the head revision under a lock; refuse a newer database."""
        from alembic import command
        from alembic.runtime.migration import MigrationContext

        head, known = self.known_revisions()
        current = self.schema_revision()
        self._check_revision(current, head, known)
        if current == head:
            return
        with self._errors("创建或升级核查数据库"), self._write() as conn:
            if self.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
            current = MigrationContext.configure(conn).get_current_revision()
            self._check_revision(current, head, known)
            if current != head:
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

    def add_user(self, name: str, password: str, role: str) -> User:
        """Add a user (argon2-hashed password). Refuses a taken name or an empty password."""
        name = self._check_name(name)
        role = self._check_role(role)
        if not password:
            raise UserAdminError("密码不能为空")
        hashed = self._hasher.hash(password)
        now = dt.datetime.now(_UTC)
        with self._errors("添加用户"), self._write() as conn:
            exists = conn.execute(
                sa.select(users_table.c.name).where(users_table.c.name == name)
            ).first()
            if exists is not None:
                raise UserAdminError(f"用户 {name} 已存在")
            conn.execute(
                users_table.insert().values(
                    name=name, role=role, password_hash=hashed, created_at=now, updated_at=now
                )
            )
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password."""
        if not password:
            raise UserAdminError("密码不能为空")
        self._update_user(name, password_hash=self._hasher.hash(password))

    def set_role(self, name: str, role: str) -> User:
        """Change a user's role."""
        self._update_user(name, role=self._check_role(role))
        return User(name, role)

    def remove_user(self, name: str) -> None:
        """Delete a user (their history entries stay)."""
        with self._errors("删除用户"), self._write() as conn:
            res = conn.execute(users_table.delete().where(users_table.c.name == name))
            if res.rowcount == 0:
                raise UserAdminError(f"用户 {name} 不存在")

    def _update_user(self, name: str, **values: Any) -> None:
        with self._errors("修改用户"), self._write() as conn:
            res = conn.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(updated_at=dt.datetime.now(_UTC), **values)
            )
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

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs, else ``None`` (unknown name or wrong password)."""
        user, _why = self._check_password(name, password)
        return user

    def _check_password(self, name: str, password: str | None) -> tuple[User | None, str]:
        """(user, "") or (None, Chinese reason for the log)."""
        with self._errors("登录"), self._engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.name == name)).first()
        if row is None:
            self._waste_time(password or "")
            return None, f"未知用户 {name}"
        if not password:
            return None, f"用户 {name} 未提供密码"
        try:
            self._hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None, f"用户 {name} 密码错误"
        if self._hasher.check_needs_rehash(row.password_hash):
            self._update_user(name, password_hash=self._hasher.hash(password))
        return User(row.name, row.role), ""

    def _waste_time(self, password: str) -> None:
        """Verify against a dummy hash so unknown names take as long as known ones."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(_DUMMY_PASSWORD)
        with suppress(VerificationError, InvalidHashError):
            self._hasher.verify(self._dummy_hash, password)

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
        )

    def get(self, parcel_id: str) -> Review | None:
        """The parcel's current review, or ``None`` if it has none (version 0)."""
        with self._errors("读取核查记录"), self._engine.connect() as conn:
            row = conn.execute(
                sa.select(reviews_table).where(reviews_table.c.parcel_id == parcel_id)
            ).first()
        return None if row is None else self._review(row)

    def reviews(self) -> list[Review]:
        """All current reviews, by parcel id."""
        with self._errors("读取核查记录"), self._engine.connect() as conn:
            rows = conn.execute(sa.select(reviews_table).order_by(reviews_table.c.parcel_id)).all()
        return [self._review(r) for r in rows]

    def history(
        self, parcel_id: str | None = None, *, limit: int | None = None
    ) -> list[HistoryEntry]:
        """History entries in chain order (all, or one parcel's; ``limit`` keeps the last)."""
        query = sa.select(history_table)
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

    def reviews_frame(self) -> pd.DataFrame:
        """Current reviews as a table (English column names; see :data:`REVIEW_LABELS`)."""
        import pandas as pd

        rows = [
            {
                **dataclasses.asdict(r),
                "tags": ",".join(r.tags),
                "updated_at": format_time(r.updated_at),
            }
            for r in self.reviews()
        ]
        return pd.DataFrame(rows, columns=list(REVIEW_LABELS))

    def history_frame(self, parcel_id: str | None = None) -> pd.DataFrame:
        """History as a table, one row per entry (columns :data:`HISTORY_LABELS`)."""
        import pandas as pd

        rows = []
        for e in self.history(parcel_id):
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
                }
            )
        return pd.DataFrame(rows, columns=list(HISTORY_LABELS))

    # -- changing ---------------------------------------------------------------------------

    def set_review(
        self,
        parcel_id: str,
        *,
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
        """Change a parcel's review; fields left at :data:`KEEP` keep their value.

        ``by`` is a logged-in :class:`User` (its role is re-read from the store) or a user
        name, then checked with ``password``. ``expect_version`` is the version the caller
        read (0: "no review yet"); if the review changed since, the change is refused with
        :class:`~lcgis.errors.StaleVersionError`. Without it the change applies to the
        version current at commit and is never stale.

        Review and history entry are written in one transaction. A refused change (unknown
        user, wrong password, viewer, invalid value, stale version) changes nothing, is
        logged with ``accepted = false`` and raises a :class:`~lcgis.errors.ChangeRefused`
        subclass whose ``entry`` is the logged entry.
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
            user, why = self._check_password(name, password)
            if user is None:
                refusal = (AuthenticationError, "用户名或密码错误，修改未保存", why)
        clean, problems = self._clean(parcel_id, requested)
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
                            _PARCEL_LOCK_SPACE, sa.func.hashtext(str(parcel_id))
                        )
                    )
                )
            row = conn.execute(
                sa.select(reviews_table)
                .where(reviews_table.c.parcel_id == parcel_id)
                .with_for_update()
            ).first()
            head = conn.execute(
                sa.select(chain_table.c.seq, chain_table.c.hash)
                .where(chain_table.c.id == 1)
                .with_for_update()
            ).one()
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
            accepted = refusal is None
            version = current_version + 1 if accepted else current_version
            message = _describe(old, new) if refusal is None else refusal[2]
            entry = self._append(
                conn,
                head,
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
                )
                values = {**dataclasses.asdict(review), "tags": list(review.tags)}
                if current is None:
                    conn.execute(reviews_table.insert().values(**values))
                else:
                    conn.execute(
                        reviews_table.update()
                        .where(reviews_table.c.parcel_id == parcel_id)
                        .values(**values)
                    )
            if self._before_commit is not None:
                self._before_commit()
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
    def _authorise(conn: Connection, name: str) -> tuple[type[ChangeRefused], str, str] | None:
        """Refusal for a user who is missing now or may not change reviews, else ``None``."""
        row = conn.execute(sa.select(users_table.c.role).where(users_table.c.name == name)).first()
        if row is None:
            return (AuthenticationError, "用户名或密码错误，修改未保存", f"未知用户 {name}")
        if row.role not in ("reviewer", "admin"):
            label = ROLE_LABELS.get(row.role, row.role)
            text = f"用户 {name} 的角色是 {label}({row.role})，只能查看，无权修改核查记录"
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

    def _append(
        self,
        conn: Connection,
        head: Any,
        *,
        parcel_id: str,
        user: str,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        status: str | None,
        accepted: bool,
        message: str,
        version: int,
    ) -> HistoryEntry:
        """Append one entry after the chain head (held locked by the caller)."""
        at = dt.datetime.now(_UTC)
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
        digest = entry_hash(_hash_fields(user=user, **common))
        res = conn.execute(history_table.insert().values(user_name=user, hash=digest, **common))
        conn.execute(chain_table.update().where(chain_table.c.id == 1).values(seq=seq, hash=digest))
        key = res.inserted_primary_key
        assert key is not None
        return HistoryEntry(id=int(key[0]), user=user, hash=digest, **common)

    # -- verification -----------------------------------------------------------------------

    def verify(self) -> VerifyResult:
        """Check the whole hash chain; name the first edited, missing or reordered entry."""
        with self._errors("核验变更记录"), self._read() as conn:
            head = conn.execute(
                sa.select(chain_table.c.seq, chain_table.c.hash).where(chain_table.c.id == 1)
            ).first()
            rows = conn.execute(
                sa.select(history_table).order_by(history_table.c.seq, history_table.c.id)
            ).all()
        prev, expected, count = GENESIS_HASH, 1, 0

        def bad(seq: int | None, row: Any | None, text: str) -> VerifyResult:
            return VerifyResult(
                ok=False,
                entries=len(rows),
                first_bad_seq=seq,
                first_bad_id=None if row is None else int(row.id),
                message=text,
            )

        for row in rows:
            where = f"第 {row.seq} 条记录(id={row.id}，宗地 {row.parcel_id}，用户 {row.user_name}"
            where += f"，时间 {format_time(_utc(row.at)) if row.at else '-'})"
            if row.seq != expected:
                if row.seq > expected:
                    return bad(
                        expected,
                        row,
                        f"变更记录被删改：第 {expected} 条记录缺失(其后是{where})",
                    )
                return bad(row.seq, row, f"变更记录被删改：{where} 序号重复或顺序错乱")
            if row.prev_hash != prev:
                return bad(
                    row.seq,
                    row,
                    f"变更记录被删改：{where} 的前一哈希与上一条不符"
                    "(之前的记录被删除、改动或调换了顺序)",
                )
            try:
                fields = _hash_fields(
                    seq=row.seq,
                    parcel_id=row.parcel_id,
                    user=row.user_name,
                    at=row.at,
                    old=row.old,
                    new=row.new,
                    status=row.status,
                    accepted=row.accepted,
                    message=row.message,
                    version=row.version,
                    prev_hash=row.prev_hash,
                )
                digest = entry_hash(fields)
            except (TypeError, ValueError, AttributeError):
                digest = ""
            if digest != row.hash:
                return bad(row.seq, row, f"变更记录被篡改：{where} 的内容与其哈希不符")
            prev, expected, count = row.hash, expected + 1, count + 1
        if head is None:
            return bad(None, None, "变更记录被篡改：链头(review_chain)缺失")
        if head.seq != count or head.hash != prev:
            missing = int(head.seq) - count
            text = (
                f"变更记录被删改：最后 {missing} 条记录缺失(链头记到第 {head.seq} 条，"
                f"实际只有 {count} 条)"
                if missing > 0
                else f"变更记录被篡改：链头(第 {head.seq} 条)与最后一条记录(第 {count} 条)不符"
            )
            return bad(count + 1, None, text)
        return VerifyResult(
            ok=True, entries=count, message=f"变更记录完整：共 {count} 条，哈希链无误"
        )

    # -- saved plans ------------------------------------------------------------------------

    def save_plan(self, name: str, payload: Any, *, by: User, overwrite: bool = False) -> SavedPlan:
        """Store a named relocation plan (any JSON value); reviewers and admins only."""
        if not by.can_review:
            raise PermissionDeniedError(f"用户 {by.name} 只能查看，无权保存方案")
        if not name or not name.strip():
            raise InvalidChangeError("方案名称不能为空")
        _canonical(payload)  # JSON-able or TypeError/ValueError
        now = dt.datetime.now(_UTC)
        with self._errors("保存方案"), self._write() as conn:
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
        """Delete a plan; ``False`` if there was none."""
        if not by.can_review:
            raise PermissionDeniedError(f"用户 {by.name} 只能查看，无权删除方案")
        with self._errors("删除方案"), self._write() as conn:
            return conn.execute(plans_table.delete().where(plans_table.c.name == name)).rowcount > 0

    # -- export -----------------------------------------------------------------------------

    def export_xlsx(self, out: str | os.PathLike[str]) -> Path:
        """Write sheets 核查状态 and 变更记录 (Chinese headers) to ``out``, atomically."""
        import pandas as pd
        from openpyxl.utils import get_column_letter

        from .io import atomic_output

        out = Path(out)
        current = self.reviews_frame().rename(columns=REVIEW_LABELS)
        log = self.history_frame()
        log["accepted"] = log["accepted"].map({True: "是", False: "否"})
        log = log.rename(columns=HISTORY_LABELS)
        with atomic_output(out) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xw:
            for sheet, df in (("核查状态", current), ("变更记录", log)):
                df.to_excel(xw, sheet_name=sheet, index=False)
                ws = xw.sheets[sheet]
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
}
