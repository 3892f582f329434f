"""The store's database: URLs, engines, SQLite hooks, transactions, the Alembic schema."""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy import event

from lcgis.errors import LcgisError, SchemaTooNewError, StoreError
from lcgis.review import chain as review_seal
from lcgis.review.chain import GENESIS_HASH, SQLITE_NAME
from lcgis.review.tables import chain_table, metadata
from lcgis.review.times import UTC, utc

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from sqlalchemy.engine import Connection, Engine

#: File name of the default SQLite store inside the state folder.
BUSY_TIMEOUT_S: Final = 30.0
_MIGRATION_LOCK_KEY: Final = 735_102_001  # pg_advisory_xact_lock key for schema upgrades


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


def store_identity(url: sa.URL) -> str:
    """What names a store for its witness file: the SQLite file's absolute path, or the
    PostgreSQL server and database (never the password)."""
    if url.get_backend_name() == "sqlite":
        return "sqlite:" + Path(str(url.database)).resolve().as_posix()
    port = url.port or 5432
    return f"postgresql://{url.username or ''}@{url.host or ''}:{port}/{url.database or ''}"


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


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    """A SQLAlchemy engine for the store at ``url`` (a Chinese :class:`StoreError` if not)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"数据库地址无法识别：{url}(应为 SQLite 文件路径或 URL)") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, read_only=read_only)
    if backend == "postgresql":
        return _postgresql_engine(parsed, read_only=read_only)
    raise StoreError(f"不支持的数据库类型 {backend}：请使用 SQLite 文件或 PostgreSQL")


def _sqlite_engine(parsed: sa.URL, *, read_only: bool) -> Engine:
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


def _postgresql_engine(parsed: sa.URL, *, read_only: bool) -> Engine:
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options = (
        f"-c lock_timeout={int(BUSY_TIMEOUT_S * 1000)} "
        f"-c idle_in_transaction_session_timeout={int(BUSY_TIMEOUT_S * 2000)}"
    )
    if read_only:
        options += " -c default_transaction_read_only=on"
    return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"options": options})


class Database:
    """The store's connection: engine, transactions, schema checks and upgrades (the base of
    :class:`~lcgis.review.store.ReviewStore`)."""

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
        self._clock = clock or (lambda: dt.datetime.now(UTC))
        self.read_only = read_only
        self.state_dir = Path(state_dir) if state_dir is not None else review_seal.state_dir()
        self._key: review_seal.ChainKey | None = None
        #: Test hook: called inside a change's transaction just before commit.
        self._before_commit: Callable[[], None] | None = None
        self._engine = make_engine(self.url, read_only=read_only)
        self.backend = self._engine.dialect.name
        self.display_url = self._engine.url.render_as_string(hide_password=True)
        self.witness = review_seal.Witness(self.state_dir, store_identity(self._engine.url))
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.display_url!r})"

    def _now(self) -> dt.datetime:
        return utc(self._clock())

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
