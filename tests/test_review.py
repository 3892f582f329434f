"""The review store against real databases: SQLite always, PostgreSQL when available.

Covers versions and lost updates, refusals and their log entries, the hash chain against
edits / deletions / reordering, schema revisions, users and roles, 8 concurrent writer
processes, a writer killed inside its transaction, and the command line.
"""

from __future__ import annotations

import io
import itertools
import json
import multiprocessing as mp
import os
import signal
import sqlite3
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from lcgis.cli import main
from lcgis.errors import (
    AuthenticationError,
    InvalidChangeError,
    PermissionDeniedError,
    SchemaTooNewError,
    StaleVersionError,
    StoreError,
    UserAdminError,
)
from lcgis.review import (
    STATUSES,
    HistoryEntry,
    Review,
    ReviewStore,
    User,
    entry_hash,
    open_store,
    resolve_database_url,
)
from lcgis.review.chain import hash_fields
from lcgis.review.tables import history_table, metadata
from tests import review_workers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FAST_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
DS = review_workers.DS  # the dataset of most tests
ADMIN_PW = "admin-secret-1"
SPAWN = mp.get_context("spawn")


@pytest.fixture
def store(db_url: str) -> Iterator[ReviewStore]:
    """A fresh store with a reviewer (pw r-secret), a viewer and an admin."""
    with ReviewStore(db_url, hasher=FAST_HASH) as s:
        s.add_user("reviewer1", "r-secret", "reviewer")
        s.add_user("viewer1", "v-secret", "viewer")
        s.add_user("admin1", ADMIN_PW, "admin")
        yield s


def raw(url: str, sql: str, **params: object) -> None:
    """Run raw SQL (``;``-separated) outside the store: an attacker with database access."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            for statement in sql.split(";"):
                conn.execute(sa.text(statement), params)
    finally:
        engine.dispose()


def five_changes(store: ReviewStore) -> list[HistoryEntry]:
    """Five chained entries on two parcels (one of them refused)."""
    r = User("reviewer1", "reviewer")
    entries = [
        store.set_review("P1", dataset=DS, by=r, status="核查中", note="n1").entry,
        store.set_review("P2", dataset=DS, by=r, status="已核实", note="n2").entry,
        store.set_review(
            "P1", dataset=DS, by=r, status="已核实", expect_version=1, note="n3"
        ).entry,
    ]
    with pytest.raises(StaleVersionError) as info:
        store.set_review("P1", dataset=DS, by=r, status="已处置", expect_version=1, note="n4")
    assert isinstance(info.value.entry, HistoryEntry)
    entries.append(info.value.entry)
    entries.append(store.set_review("P2", dataset=DS, by=r, status="已处置", note="n5").entry)
    return entries


# --- schema -------------------------------------------------------------------------------


def schema_shape(url: str) -> dict[str, tuple[dict[str, bool], list[str], set[Any]]]:
    """Per table: {column: nullable}, primary key columns, {(index columns, unique)}."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        ins = sa.inspect(engine)
        return {
            name: (
                {c["name"]: bool(c["nullable"]) for c in ins.get_columns(name)},
                sorted(ins.get_pk_constraint(name)["constrained_columns"]),
                {(tuple(i["column_names"]), bool(i["unique"])) for i in ins.get_indexes(name)}
                | {(tuple(u["column_names"]), True) for u in ins.get_unique_constraints(name)},
            )
            for name in ins.get_table_names()
        }
    finally:
        engine.dispose()


def test_migrations_and_a_new_store_build_the_schema_of_the_code(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from alembic import command

    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    with engine.begin() as conn:  # every revision in turn, as an old store is upgraded
        command.upgrade(ReviewStore._alembic_config(conn), "head")
    engine.dispose()
    migrated = schema_shape(db_url)
    head, known = ReviewStore.known_revisions()
    if db_url.startswith("sqlite"):
        new_url = f"sqlite:///{tmp_path / 'new.sqlite'}"
        with ReviewStore(new_url) as new:  # a new store is created at once at the head
            assert new.schema_revision() == head
        new_shape = schema_shape(new_url)
    else:
        from tests.pgserver import fresh_database

        with fresh_database(request.getfixturevalue("postgres_server")) as new_url:
            with ReviewStore(new_url) as new:
                assert new.schema_revision() == head
            new_shape = schema_shape(new_url)
    assert migrated == new_shape
    assert set(migrated) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    for table in metadata.sorted_tables:
        assert set(migrated[table.name][0]) == set(table.c.keys())
        assert migrated[table.name][1] == sorted(c.name for c in table.primary_key)
    with ReviewStore(db_url) as store:
        assert store.schema_revision() == head and head in known
        assert store.verify().ok and store.verify().entries == 0


def test_database_newer_than_code_is_refused(db_url: str, capsys) -> None:
    ReviewStore(db_url).close()
    raw(db_url, "UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaTooNewError, match="新"):
        ReviewStore(db_url)
    assert main(["review", "show", "P1", "--db", db_url]) == 1
    assert "升级 lcgis" in capsys.readouterr().err
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    with engine.connect() as conn:  # untouched
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
            "9999_future"
        )
    engine.dispose()


def test_concurrent_first_open_creates_schema_once(db_url: str) -> None:
    with SPAWN.Pool(4) as pool:
        revisions = pool.map_async(review_workers.open_only, [db_url] * 4).get(timeout=120)
    head, _ = ReviewStore.known_revisions()
    assert revisions == [head] * 4


def test_sqlite_is_wal_and_created_in_the_state_folder(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    with open_store(state_dir=folder) as s, s._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
        assert s.url == f"sqlite:///{folder / 'review.sqlite'}"
    assert (folder / "review.sqlite").exists()
    assert folder.stat().st_mode & 0o777 == 0o700  # created private
    with pytest.raises(StoreError, match="不存在"):  # a named store's folder is never created
        ReviewStore(resolve_database_url(str(tmp_path / "missing" / "x.sqlite")))


def test_resolve_database_url_precedence(tmp_path: Path) -> None:
    env = {"LCGIS_DATABASE_URL": "postgresql://u@h/db", "LCGIS_STATE_DIR": str(tmp_path)}
    assert resolve_database_url("x.sqlite", environ=env) == "sqlite:///x.sqlite"
    assert resolve_database_url(None, state_dir="d", environ=env) == "postgresql+psycopg://u@h/db"
    env.pop("LCGIS_DATABASE_URL")
    assert resolve_database_url(None, state_dir="d", environ=env) == "sqlite:///d/review.sqlite"
    assert resolve_database_url(environ=env) == f"sqlite:///{tmp_path}/review.sqlite"
    home = {"HOME": str(tmp_path)}
    assert resolve_database_url(environ=home) == (
        f"sqlite:///{tmp_path}/.local/state/lcgis/review.sqlite"
    )
    # the dataset never chooses the store
    assert resolve_database_url(environ={**env, "LCGIS_DATA_DIR": "elsewhere"}) == (
        resolve_database_url(environ=env)
    )


# --- reviews, versions and lost updates -----------------------------------------------------


def test_set_get_versions_and_kept_fields(store: ReviewStore) -> None:
    r = User("reviewer1", "reviewer")
    assert store.get("P1", dataset=DS) is None
    first = store.set_review(
        "P1",
        dataset=DS,
        by=r,
        status="核查中",
        reason="政府原因",
        assignee="王五",
        due_date="2026-06-30",
        note="现场核查",
        tags="闲置，低效,闲置",
        expect_version=0,
    )
    assert first.review.version == 1 and first.entry.version == 1 and first.entry.accepted
    assert first.entry.old is None and first.entry.status == "核查中"
    second = store.set_review(
        "P1", dataset=DS, by="reviewer1", password="r-secret", status="已核实"
    )
    got = store.get("P1", dataset=DS)
    assert got == second.review
    assert got is not None and got.version == 2 and got.status == "已核实"
    assert got.reason == "政府原因" and got.assignee == "王五" and got.note == "现场核查"
    assert got.tags == ("闲置", "低效") and str(got.due_date) == "2026-06-30"
    assert got.updated_by == "reviewer1" and got.updated_at is not None
    third = store.set_review(
        "P1", dataset=DS, by=r, status="已核实", note="", due_date=None, tags=[]
    )
    assert (third.review.note, third.review.due_date, third.review.tags) == (None, None, ())
    assert [e.version for e in store.history("P1", dataset=DS)] == [1, 2, 3]
    assert store.history("P1", dataset=DS)[1].old == first.review.values()


def test_stale_version_refused_names_who_and_when_and_overwrites_nothing(
    store: ReviewStore,
) -> None:
    store.add_user("reviewer2", "x-secret", "reviewer")
    a, b = User("reviewer1", "reviewer"), User("reviewer2", "reviewer")
    store.set_review("P1", dataset=DS, by=a, status="核查中", note="A 的备注")
    seen = store.get("P1", dataset=DS)
    assert seen is not None
    store.set_review(
        "P1", dataset=DS, by=b, status="已核实", note="B 的备注", expect_version=seen.version
    )
    with pytest.raises(StaleVersionError) as info:
        store.set_review(
            "P1", dataset=DS, by=a, status="已处置", note="覆盖?", expect_version=seen.version
        )
    message = str(info.value)
    assert "reviewer2" in message and "版本 2" in message and "未保存" in message
    after = store.get("P1", dataset=DS)
    assert after is not None and after.version == 2 and after.note == "B 的备注"
    entry = info.value.entry
    assert isinstance(entry, HistoryEntry)
    assert not entry.accepted and entry.version == 2 and entry.new["note"] == "覆盖?"
    assert store.history()[-1] == entry
    assert store.verify().ok


def test_version_of_a_missing_review_must_be_zero(store: ReviewStore) -> None:
    with pytest.raises(StaleVersionError):
        store.set_review(
            "P9", dataset=DS, by=User("reviewer1", "reviewer"), status="核查中", expect_version=3
        )
    assert store.get("P9", dataset=DS) is None


def test_viewer_cannot_change(store: ReviewStore) -> None:
    with pytest.raises(PermissionDeniedError, match="无权"):
        store.set_review("P1", dataset=DS, by="viewer1", password="v-secret", status="核查中")
    with pytest.raises(PermissionDeniedError):  # a User object's role is re-read
        store.set_review("P1", dataset=DS, by=User("viewer1", "admin"), status="核查中")
    assert store.get("P1", dataset=DS) is None
    log = store.history()
    assert [(e.user, e.accepted, e.version) for e in log] == [("viewer1", False, 0)] * 2


def test_wrong_password_and_unknown_user_refused_and_logged(store: ReviewStore) -> None:
    with pytest.raises(AuthenticationError):
        store.set_review("P1", dataset=DS, by="reviewer1", password="wrong", status="核查中")
    with pytest.raises(AuthenticationError):
        store.set_review("P1", dataset=DS, by="mallory", password="whatever", status="核查中")
    with pytest.raises(AuthenticationError):
        store.set_review("P1", dataset=DS, by="reviewer1", password=None, status="核查中")
    assert store.get("P1", dataset=DS) is None
    log = store.history()
    assert [(e.user, e.accepted) for e in log] == [
        ("reviewer1", False),
        ("mallory", False),
        ("reviewer1", False),
    ]
    assert "密码错误" in log[0].message and "mallory" in log[1].message
    assert store.verify().ok


def test_invalid_values_refused_and_logged(store: ReviewStore) -> None:
    r = User("reviewer1", "reviewer")
    with pytest.raises(InvalidChangeError, match="核查状态"):
        store.set_review("P1", dataset=DS, by=r, status="随便")
    with pytest.raises(InvalidChangeError, match="YYYY-MM-DD"):
        store.set_review("P1", dataset=DS, by=r, status="核查中", due_date="2026-02-30")
    assert store.get("P1", dataset=DS) is None
    assert [(e.status, e.accepted) for e in store.history()] == [("随便", False), ("核查中", False)]


# --- users and roles --------------------------------------------------------------------------


def test_users_passwords_hashed_with_argon2(store: ReviewStore) -> None:
    assert store.authenticate("reviewer1", "r-secret") == User("reviewer1", "reviewer")
    assert store.authenticate("reviewer1", "R-secret") is None
    assert store.authenticate("nobody", "r-secret") is None
    engine = sa.create_engine(store.url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        hashes = [r[0] for r in conn.exec_driver_sql("SELECT password_hash FROM users")]
    engine.dispose()
    assert all(h.startswith("$argon2id$") for h in hashes)
    assert not any("secret" in h for h in hashes)
    with pytest.raises(UserAdminError, match="已存在"):
        store.add_user("reviewer1", "x", "viewer")
    with pytest.raises(UserAdminError, match="密码"):
        store.add_user("empty", "", "viewer")
    with pytest.raises(UserAdminError, match="角色"):
        store.add_user("boss", "pw", "root")
    store.set_role("viewer1", "reviewer")
    store.set_password("viewer1", "new-pw")
    assert store.authenticate("viewer1", "new-pw") == User("viewer1", "reviewer")
    assert [u.name for u in store.users()] == ["admin1", "reviewer1", "viewer1"]


def test_saved_plans(store: ReviewStore) -> None:
    r, v = User("reviewer1", "reviewer"), User("viewer1", "viewer")
    store.save_plan("方案一", {"moves": [["E1", "P3"]], "note": "试算"}, by=r)
    with pytest.raises(InvalidChangeError):
        store.save_plan("方案一", {}, by=r)
    store.save_plan("方案一", {"moves": []}, by=r, overwrite=True)
    with pytest.raises(PermissionDeniedError):
        store.save_plan("方案二", {}, by=v)
    plan = store.get_plan("方案一")
    assert plan is not None and plan.payload == {"moves": []} and plan.created_by == "reviewer1"
    assert [p.name for p in store.plans()] == ["方案一"]
    assert store.delete_plan("方案一", by=r) and store.get_plan("方案一") is None


# --- the hash chain --------------------------------------------------------------------------


def test_intact_chain_verifies(store: ReviewStore) -> None:
    entries = five_changes(store)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    result = store.verify()
    assert result.ok and result.entries == 5 and "完整" in result.message


@pytest.mark.parametrize(
    ("sql", "bad_seq", "words"),
    [
        ("UPDATE review_history SET message = '已接受' WHERE seq = 3", 3, "内容"),
        ("UPDATE review_history SET status = '不予处置' WHERE seq = 2", 2, "内容"),
        ("UPDATE review_history SET user_name = 'admin1' WHERE seq = 4", 4, "内容"),
        ("UPDATE review_history SET accepted = true WHERE seq = 4", 4, "内容"),
        ("UPDATE review_history SET version = 9 WHERE seq = 1", 1, "内容"),
        ("DELETE FROM review_history WHERE seq = 3", 3, "缺失"),
        ("DELETE FROM review_history WHERE seq = 1", 1, "缺失"),
        ("DELETE FROM review_history WHERE seq = 5", 5, "最后 1 条记录缺失"),
        (
            "UPDATE review_history SET seq = -2 WHERE seq = 2;"
            "UPDATE review_history SET seq = 2 WHERE seq = 3;"
            "UPDATE review_history SET seq = 3 WHERE seq = -2",
            2,
            "第 2 条",
        ),
    ],
    ids=[
        "message",
        "status",
        "user",
        "accepted",
        "version",
        "del-mid",
        "del-first",
        "del-last",
        "swap",
    ],
)
def test_verify_names_the_first_tampered_entry(
    store: ReviewStore, sql: str, bad_seq: int, words: str
) -> None:
    five_changes(store)
    raw(store.url, sql)
    result = store.verify()
    assert not result.ok and result.first_bad_seq == bad_seq, result
    assert words in result.message and f"第 {bad_seq} 条" in result.message


def test_verify_detects_edited_values_and_rehashed_rows(store: ReviewStore) -> None:
    five_changes(store)
    engine = sa.create_engine(store.url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.execute(
            history_table.update()
            .where(history_table.c.seq == 2)
            .values(new={"status": "已核实", "note": "改过的备注"})
        )
    engine.dispose()
    result = store.verify()
    assert not result.ok and result.first_bad_seq == 2
    # Without the chain key, recomputing the edited row's hash (plain SHA-256, with or without
    # the dataset) does not give its HMAC: the row itself is still caught.
    entry = store.history()[1]
    fields = hash_fields(
        seq=entry.seq,
        parcel_id=entry.parcel_id,
        user=entry.user,
        at=entry.at,
        old=entry.old,
        new=entry.new,
        status=entry.status,
        accepted=entry.accepted,
        message=entry.message,
        version=entry.version,
        prev_hash=entry.prev_hash,
    )
    for digest in (entry_hash(fields), entry_hash({**fields, "dataset_id": DS})):
        raw(store.url, "UPDATE review_history SET hash = :h WHERE seq = 2", h=digest)
        result = store.verify()
        assert not result.ok and result.first_bad_seq == 2 and "哈希不符" in result.message


# --- concurrency and crashes -------------------------------------------------------------------


def test_eight_concurrent_writers(store: ReviewStore) -> None:
    workers, per_worker = 8, 200
    parcels = ["P1", "P2", "P3", "P4", "P5"] + [f"N{i:02d}" for i in range(40)]
    for w in range(workers):
        store.add_user(f"w{w}", "pw-secret", "reviewer")
    args = [(store.url, w, per_worker, parcels, 1000 + w) for w in range(workers)]
    with SPAWN.Pool(workers) as pool:
        results = pool.starmap_async(review_workers.writer, args).get(timeout=300)
    accepted = [a for r in results for a in r["accepted"]]
    refused = [x for r in results for x in r["refused"]]
    assert len(accepted) + len(refused) == workers * per_worker
    assert accepted and refused  # both paths were exercised
    # a versioned change that was accepted went from exactly the version it read
    assert all(version == expect + 1 for _, _, version, _, expect in accepted if expect is not None)
    history = store.history()
    assert len(history) == workers * per_worker
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    notes = Counter((e.new["note"], e.accepted) for e in history)
    assert max(notes.values()) == 1  # every change logged once
    assert {n for (n, ok) in notes if ok} == {a[1] for a in accepted}
    assert {n for (n, ok) in notes if not ok} == {x[1] for x in refused}
    by_seq = {e.seq: e for e in history}
    assert all(by_seq[seq].new["note"] == note for _, note, _, seq, _ in accepted)
    assert all(by_seq[seq].new["note"] == note for _, note, seq, _ in refused)
    versions: dict[str, list[int]] = defaultdict(list)
    for e in history:
        if e.accepted:
            versions[e.parcel_id].append(e.version)
    for parcel, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), parcel  # consecutive, in chain order
        current = store.get(parcel, dataset=DS)
        assert current is not None and current.version == len(seen)
        last = [e for e in history if e.parcel_id == parcel and e.accepted][-1]
        assert current.note == last.new["note"] and current.status == last.status
    assert store.verify().ok


def test_eight_threads_one_store(store: ReviewStore) -> None:
    """8 threads × 40 changes through one store (its pooled connections) on 3 parcels: every
    change sealed once, in an unbroken sequence, versions consecutive, the chain verifies."""
    import threading

    threads, per_thread, parcels = 8, 40, ["P1", "P2", "P3"]
    r = User("reviewer1", "reviewer")
    seqs: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        try:
            for i in range(per_thread):
                entry = store.set_review(
                    parcels[(t + i) % 3], dataset=DS, by=r, note=f"t{t}-{i}"
                ).entry
                with lock:
                    seqs.append(entry.seq)
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join(300)
    assert not errors
    total = threads * per_thread
    assert sorted(seqs) == list(range(1, total + 1))
    history = store.history()
    assert [e.seq for e in history] == list(range(1, total + 1))
    assert all(e.accepted for e in history)
    assert sorted(e.new["note"] for e in history) == sorted(
        f"t{t}-{i}" for t in range(threads) for i in range(per_thread)
    )
    for parcel in parcels:
        mine = [e for e in history if e.parcel_id == parcel]
        assert [e.version for e in mine] == list(range(1, len(mine) + 1))
        current = store.get(parcel, dataset=DS)
        assert current is not None and current.version == len(mine)
        assert current.note == mine[-1].new["note"] and current.updated_at == mine[-1].at
    assert [e.at for e in history] == sorted(e.at for e in history)  # times in chain order
    assert store.verify().ok


def _write_lock_is_held(url: str) -> bool:
    """Whether another connection holds the store's write lock right now."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        lite = sqlite3.connect(str(parsed.database), timeout=0.2, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            return "locked" in str(exc)
        finally:
            lite.close()
        return False
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT seq FROM review_chain WHERE id = 1 FOR UPDATE NOWAIT")
    except sa.exc.OperationalError as exc:
        return "lock" in str(exc).lower()
    finally:
        engine.dispose()
    return False


def test_writer_killed_inside_its_transaction(store: ReviewStore) -> None:
    store.add_user("w0", "pw-secret", "reviewer")
    store.set_review("P1", dataset=DS, by=User("w0", "reviewer"), status="核查中", note="committed")
    ready = SPAWN.Event()
    child = SPAWN.Process(
        target=review_workers.hang_in_transaction, args=(store.url, ready, "P1"), daemon=True
    )
    child.start()
    try:
        assert ready.wait(60), "the child never reached its uncommitted state"
        assert _write_lock_is_held(store.url)
    finally:
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(30)
    assert child.exitcode == -signal.SIGKILL
    with ReviewStore(store.url) as reopened:
        assert reopened.verify().ok
        review = reopened.get("P1", dataset=DS)
        assert review is not None and review.version == 1 and review.note == "committed"
        assert [e.new["note"] for e in reopened.history()] == ["committed"]
        after = reopened.set_review("P1", dataset=DS, by=User("w0", "reviewer"), status="已处置")
        assert after.review.version == 2 and after.entry.seq == 2
        assert reopened.verify().ok


# --- command line ---------------------------------------------------------------------------


def cli(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_review_workflow(db_url: str, tmp_path: Path, capsys, monkeypatch) -> None:
    db = ["--db", db_url]
    code, out, _ = cli(
        capsys,
        "users",
        "add",
        "alice",
        "--role",
        "reviewer",
        *db,
        stdin="alice-pw\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0 and "alice" in out
    assert (
        cli(
            capsys,
            "users",
            "add",
            "vera",
            "--role",
            "viewer",
            *db,
            stdin="vera-pw\n",
            monkeypatch=monkeypatch,
        )[0]
        == 0
    )
    assert (
        cli(
            capsys,
            "users",
            "add",
            "alice",
            "--role",
            "admin",
            *db,
            stdin="x\n",
            monkeypatch=monkeypatch,
        )[0]
        == 1
    )  # taken
    assert (
        cli(
            capsys,
            "users",
            "add",
            "bob",
            "--role",
            "god",
            *db,
            stdin="x\n",
            monkeypatch=monkeypatch,
        )[0]
        == 2
    )  # unknown role

    monkeypatch.setenv("LCGIS_PASSWORD", "alice-pw")
    set_p1 = ["review", "set", "P1", "--user", "alice", *db]
    code, out, _ = cli(
        capsys,
        *set_p1,
        "--status",
        "核查中",
        "--note",
        "现场核查",
        "--reason",
        "政府原因",
        "--assignee",
        "王五",
        "--due",
        "2026-06-30",
        "--tags",
        "闲置,低效",
    )
    assert code == 0 and "version: 1" in out
    code, out, _ = cli(capsys, *set_p1, "--status", "已核实", "--expect-version", "1")
    assert code == 0 and "version: 2" in out
    code, _, err = cli(capsys, *set_p1, "--status", "已处置", "--expect-version", "1")
    assert code == 1 and "alice" in err and "未保存" in err  # stale
    code, _, err = cli(capsys, *set_p1, "--status", "胡乱")
    assert code == 1 and "核查状态" in err  # unknown status
    code, _, err = cli(capsys, *set_p1, "--status", "已处置", "--due", "明天")
    assert code == 1
    monkeypatch.setenv("LCGIS_PASSWORD", "wrong")
    assert cli(capsys, *set_p1, "--status", "已处置")[0] == 1
    monkeypatch.setenv("LCGIS_PASSWORD", "vera-pw")
    assert cli(capsys, "review", "set", "P1", "--user", "vera", "--status", "已处置", *db)[0] == 1
    assert cli(capsys, "review", "set", "P1", "--user", "ghost", "--status", "已处置", *db)[0] == 1
    monkeypatch.delenv("LCGIS_PASSWORD")
    assert cli(capsys, *set_p1, "--status", "已处置")[0] == 1  # no password
    assert cli(capsys, "review", "set", "P1", "--user", "alice", *db)[0] == 2  # no --status

    code, out, _ = cli(capsys, "review", "show", "P1", *db)
    assert code == 0 and "version: 2" in out and "已核实" in out and "政府原因" in out
    code, out, _ = cli(capsys, "review", "show", "P9", *db)
    assert code == 0 and "version: 0" in out and "尚无核查记录" in out

    code, out, _ = cli(capsys, "review", "log", *db)
    assert code == 0 and len(out.strip().splitlines()) == 9
    code, out, _ = cli(capsys, "review", "log", "P1", "--csv", *db)
    assert code == 0
    log = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert {"parcel_id", "user", "version", "status", "note", "accepted", "hash"} <= set(log)
    assert log["accepted"].tolist() == ["true", "true"] + ["false"] * 7
    assert log["version"].tolist() == ["1", "2"] + ["2"] * 7
    assert log["user"].tolist()[-3:] == ["vera", "ghost", "alice"]
    assert log["status"].tolist()[3] == "胡乱"

    assert cli(capsys, "review", "verify", *db)[0] == 0
    out_xlsx = tmp_path / "核查.xlsx"
    code, out, _ = cli(capsys, "review", "export", "--out", str(out_xlsx), *db)
    assert code == 0 and out_xlsx.exists()
    wb = openpyxl.load_workbook(out_xlsx)
    assert wb.sheetnames == ["核查状态", "变更记录"]
    assert [c.value for c in wb["核查状态"][1]][:3] == ["宗地编号", "核查状态", "原因"]
    headers = [c.value for c in wb["变更记录"][1]]
    assert {"序号", "用户", "版本", "是否生效", "哈希"} <= set(headers)
    assert wb["变更记录"].max_row == 10
    assert cli(capsys, "review", "export", "--out", str(tmp_path / "x.csv"), *db)[0] == 2

    raw(db_url, "UPDATE review_history SET message = 'x' WHERE seq = 4")
    code, _, err = cli(capsys, "review", "verify", *db)
    assert code == 1 and "第 4 条" in err


def test_cli_default_store_is_the_installations_and_reviews_are_per_dataset(
    tmp_path: Path, state_dir: Path, capsys, monkeypatch
) -> None:
    monkeypatch.delenv("LCGIS_DATABASE_URL", raising=False)
    park, other, named = tmp_path / "park", tmp_path / "other", tmp_path / "named"
    for folder in (park, other, named):
        folder.mkdir()
    (named / "dataset.toml").write_text('id = "鲤城园区"\n', encoding="utf-8")
    monkeypatch.setenv("LCGIS_DATA_DIR", str(park))
    add = ("users", "add", "amy", "--role", "admin")
    code, _, err = cli(capsys, *add, stdin="amy-pw\n", monkeypatch=monkeypatch)
    assert code == 1 and "12 个字符" in err  # admin password policy
    code, _, err = cli(capsys, *add, stdin="AMY\n", monkeypatch=monkeypatch)
    assert code == 1
    code, _, _ = cli(capsys, *add, stdin="amy-long-password\n", monkeypatch=monkeypatch)
    assert code == 0 and (state_dir / "review.sqlite").exists()
    assert not (park / "review.sqlite").exists()  # the dataset folder holds no store
    monkeypatch.setenv("LCGIS_PASSWORD", "amy-long-password")
    set_p1 = ("review", "set", "P1", "--status", "列入腾笼换鸟计划", "--user", "amy")
    assert cli(capsys, *set_p1)[0] == 0
    code, _, err = cli(capsys, *set_p1)  # the same values again
    assert code == 1 and "内容未变" in err
    # another dataset: its own reviews, the same login
    assert cli(capsys, "review", "show", "P1", "--data", str(other))[1].count("version: 0") == 1
    assert cli(capsys, *set_p1, "--data", str(other), "--note", "另一份数据")[0] == 0
    code, out, _ = cli(capsys, "review", "show", "P1", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["version"] == 1 and shown["note"] is None
    assert shown["dataset_id"] == park.resolve().as_posix()
    # a dataset.toml names the dataset, wherever the folder is
    assert cli(capsys, *set_p1, "--data", str(named))[0] == 0
    code, out, _ = cli(capsys, "review", "show", "P1", "--dataset", "鲤城园区", "--json")
    assert code == 0 and json.loads(out)["version"] == 1
    code, out, _ = cli(capsys, "review", "datasets")
    assert code == 0 and len(out.strip().splitlines()) == 3 and "鲤城园区" in out
    code, out, _ = cli(capsys, "review", "log", "P1", "--csv", "--data", str(other))
    assert pd.read_csv(io.StringIO(out))["note"].tolist() == ["另一份数据"]
    code, out, _ = cli(capsys, "review", "verify")
    assert code == 0 and "完整" in out and "共 4 条" in out
    assert Review.unreviewed("P1").status == STATUSES[0]
