"""A throw-away PostgreSQL server for tests and benchmarks: ``initdb`` + ``pg_ctl`` in a temp dir.

Uses the server binaries under ``/usr/lib/postgresql/<version>/bin`` (Debian) or on ``PATH``.
As root, the cluster is run as user ``postgres`` via ``runuser``. It listens on 127.0.0.1 at a
free port with ``trust`` authentication and is removed on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def find_bindir() -> Path | None:
    """The newest PostgreSQL server bin directory that has ``initdb`` and ``pg_ctl``."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        match = re.search(r"/postgresql/(\d+)", initdb)
        found.append((int(match.group(1)) if match else 0, Path(initdb).parent))
    if found:
        return max(found)[1]
    initdb_path = shutil.which("initdb")
    return Path(initdb_path).parent if initdb_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def temporary_postgres(*, fast: bool = True) -> Iterator[str]:
    """Start a cluster and yield the URL of its ``postgres`` database (superuser ``postgres``).

    ``fast`` turns fsync off (fine for tests: only clients are killed, never the server);
    benchmarks pass ``fast=False`` for durable commits.
    """
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("找不到 PostgreSQL 服务器程序(initdb)：请安装 postgresql")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="lcgis-pg-"))
    if as_root:
        if shutil.which("runuser") is None:
            raise RuntimeError("以 root 运行时需要 runuser 来以 postgres 用户启动数据库")
        pw = pwd.getpwnam("postgres")
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = tmp / "data", tmp / "server.log"
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {tmp} -c max_connections=200"
    if fast:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"

    def run(*args: str) -> None:
        proc = subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} 失败：{proc.stderr.strip()} {server_log}")

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "start",
        )
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            with contextlib.suppress(Exception):
                run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "lcgis_test") -> Iterator[str]:
    """A new, empty database on the server at ``server_url``, dropped afterwards.

    If the account may not create databases, the tables of ``server_url``'s own database are
    dropped instead and that URL is yielded.
    """
    import uuid

    import sqlalchemy as sa

    url = sa.make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.DBAPIError:
            _drop_store_tables(admin)
            yield url.render_as_string(hide_password=False)
            _drop_store_tables(admin)
            return
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _drop_store_tables(engine: object) -> None:
    import sqlalchemy as sa

    assert isinstance(engine, sa.Engine)
    with engine.connect() as conn:
        for table in (
            "login_log",
            "login_failures",
            "saved_plans",
            "review_chain",
            "review_history",
            "reviews",
            "users",
            "alembic_version",
        ):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table} CASCADE")
