"""Security of the review store against real databases (SQLite always, PostgreSQL when
available): one store per installation with reviews per dataset, roles re-read, login back-off
per user name and per client (a moved clock, never a sleep), equal work for known and unknown
users, the admin password policy, the keyed chain, the reviews table replayed from the history,
the witness against truncation, re-creation and consistent rewrites, read-only verification,
no-op saves, and upgrading a store written before all this (revision 0001).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from lcgis.errors import (
    AuthenticationError,
    DataError,
    NoChangeError,
    PermissionDeniedError,
    StoreError,
    UserAdminError,
)
from lcgis.review import (
    FAILURE_MEMORY_S,
    GENESIS_HASH,
    LEGACY_DATASET,
    MAX_FAILURES,
    ReviewStore,
    User,
    dataset_id,
    entry_hash,
    entry_mac,
    lock_seconds,
    verify_store,
)
from lcgis.review.chain import KEY_NAME, ChainKey, hash_fields

if TYPE_CHECKING:
    from collections.abc import Iterator

FAST_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
DS, OTHER = "park", "other-park"
ADMIN_PW = "admin-secret-1"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the tests move (aware UTC)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


class CountingHasher(PasswordHasher):
    """argon2 with cheap parameters that counts its verifications and hashes."""

    def __init__(self, **params: int) -> None:
        super().__init__(**(params or {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}))
        self.verifies = 0
        self.hashes = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verifies += 1
        return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashes += 1
        return super().hash(password, salt=salt)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[ReviewStore]:
    """A fresh store (clock under the test's control) with a reviewer, a viewer, an admin."""
    with ReviewStore(db_url, hasher=FAST_HASH, clock=clock) as s:
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


def rows(url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)).all())
    finally:
        engine.dispose()


R = User("reviewer1", "reviewer")


def some_changes(store: ReviewStore) -> None:
    """Five entries on two datasets (one refused as stale)."""
    store.set_review("P1", dataset=DS, by=R, status="核查中", note="n1")
    store.set_review("P2", dataset=DS, by=R, status="已核实", note="n2")
    store.set_review("P1", dataset=OTHER, by=R, status="已处置", note="n3")
    with pytest.raises(Exception, match="未保存"):
        store.set_review("P1", dataset=DS, by=R, status="不予处置", expect_version=0)
    store.set_review("P1", dataset=DS, by=R, status="已核实", expect_version=1, note="n5")


# --- one store, reviews per dataset ---------------------------------------------------------------


def test_reviews_are_kept_per_dataset_under_one_login(store: ReviewStore) -> None:
    some_changes(store)
    here, there = store.get("P1", dataset=DS), store.get("P1", dataset=OTHER)
    assert here is not None and there is not None
    assert (here.status, here.version, here.dataset_id) == ("已核实", 2, DS)
    assert (there.status, there.version, there.dataset_id) == ("已处置", 1, OTHER)
    assert store.get("P2", dataset=OTHER) is None
    assert [r.parcel_id for r in store.reviews(dataset=DS)] == ["P1", "P2"]
    assert len(store.reviews()) == 3
    assert [e.seq for e in store.history("P1", dataset=DS)] == [1, 4, 5]
    assert store.datasets() == [(OTHER, 1, 1), (DS, 2, 4)]
    frame = store.reviews_frame(OTHER)
    assert frame["dataset_id"].tolist() == [OTHER] and frame["status"].tolist() == ["已处置"]
    assert store.verify().ok


def test_dataset_id_comes_from_dataset_toml_else_the_folder(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert dataset_id(plain) == plain.resolve().as_posix()
    assert dataset_id(tmp_path / "." / "plain") == dataset_id(plain)  # one id per folder
    named = tmp_path / "a"
    named.mkdir()
    (named / "dataset.toml").write_text('id = " 鲤城园区 "\n', encoding="utf-8")
    moved = tmp_path / "b"
    moved.mkdir()
    (moved / "dataset.toml").write_bytes((named / "dataset.toml").read_bytes())
    assert dataset_id(named) == dataset_id(moved) == "鲤城园区"
    for text in ('id = ""\n', "id = 3\n", "name = 'x'\n", "id = \n"):
        (moved / "dataset.toml").write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=r"dataset\.toml") as info:
            dataset_id(moved)
        assert 'id = "数据集编号"' in str(info.value)
    assert dataset_id(Path(__file__).resolve().parents[1] / "data") == "demo"


def test_a_change_needs_a_dataset(store: ReviewStore) -> None:
    with pytest.raises(Exception, match="数据集编号不能为空"):
        store.set_review("P1", dataset=" ", by=R, status="核查中")
    assert store.reviews() == []


def test_saved_plans_reread_the_role(store: ReviewStore) -> None:
    with pytest.raises(PermissionDeniedError, match="查看"):  # claims admin, is a viewer
        store.save_plan("方案一", {"moves": []}, by=User("viewer1", "admin"))
    with pytest.raises(AuthenticationError, match="不存在"):
        store.save_plan("方案一", {"moves": []}, by=User("ghost", "admin"))
    store.save_plan("方案一", {"moves": []}, by=R)
    store.set_role("reviewer1", "viewer")
    with pytest.raises(PermissionDeniedError, match="无权删除方案"):
        store.delete_plan("方案一", by=R)
    assert store.get_plan("方案一") is not None
    store.set_role("reviewer1", "reviewer")
    assert store.delete_plan("方案一", by=R)


# --- login: back-off, equal work, logging ---------------------------------------------------------


def test_login_backs_off_per_user_name_after_five_failures(
    store: ReviewStore, clock: Clock
) -> None:
    for n in range(1, MAX_FAILURES):
        got = store.login("reviewer1", "wrong", client=f"10.0.0.{n}")
        assert got.user is None and got.retry_after_s == 0 and got.message == "用户名或密码错误"
    fifth = store.login("reviewer1", "wrong", client="10.0.0.5")
    assert fifth.user is None and fifth.retry_after_s == 30 and "暂停 30 秒" in fifth.message
    locked = store.login("reviewer1", "r-secret", client="10.0.0.6")  # even the right password
    assert locked.user is None and "失败次数过多" in locked.message
    assert locked.retry_after_s == pytest.approx(30)
    clock.advance(29)
    assert store.login("reviewer1", "r-secret", client="10.0.0.6").user is None
    clock.advance(2)
    sixth = store.login("reviewer1", "wrong", client="10.0.0.6")  # doubles
    assert sixth.retry_after_s == 60
    clock.advance(61)
    seventh = store.login("reviewer1", "wrong", client="10.0.0.7")
    assert seventh.retry_after_s == 120 == lock_seconds(7)
    clock.advance(121)
    assert store.login("reviewer1", "r-secret", client="10.0.0.8").user == R
    # a success resets the name's counter
    assert store.login("reviewer1", "wrong", client="10.0.0.9").retry_after_s == 0
    # another user was never affected
    assert store.login("viewer1", "v-secret", client="10.0.0.5").user == User("viewer1", "viewer")


def test_unknown_names_are_throttled_exactly_like_known_ones(
    store: ReviewStore, clock: Clock
) -> None:
    def attempts(name: str) -> list[tuple[str, float]]:
        out = []
        for i in range(MAX_FAILURES + 1):
            got = store.login(name, "wrong", client=f"{name}-{i}")
            out.append((got.message, got.retry_after_s))
        return out

    assert attempts("reviewer1") == attempts("nobody-here")


def test_back_off_per_client_across_names(store: ReviewStore, clock: Clock) -> None:
    for i in range(MAX_FAILURES):
        store.login(f"guess{i}", "pw", client="203.0.113.7")
    refused = store.login("reviewer1", "r-secret", client="203.0.113.7")
    assert refused.user is None and "失败次数过多" in refused.message
    assert store.login("reviewer1", "r-secret", client="198.51.100.2").user == R
    # failures are forgotten a day after the last one
    clock.advance(FAILURE_MEMORY_S + 1)
    assert store.login("guess9", "pw", client="203.0.113.7").retry_after_s == 0
    assert store.login("reviewer1", "r-secret", client="203.0.113.7").user == R


def test_counters_are_in_the_store_so_they_survive_a_new_process(
    db_url: str, store: ReviewStore, clock: Clock
) -> None:
    for _ in range(MAX_FAILURES):
        store.login("reviewer1", "wrong", client="c1")
    with ReviewStore(db_url, hasher=FAST_HASH, clock=clock) as other:
        assert "失败次数过多" in other.login("reviewer1", "r-secret", client="c2").message
        locks = {x.subject: x for x in other.lockouts()}
        assert locks["user:reviewer1"].failures == MAX_FAILURES
        assert locks["user:reviewer1"].locked_until == T0 + dt.timedelta(seconds=30)
        assert other.unlock(user="reviewer1") == 1
        assert other.login("reviewer1", "r-secret", client="c2").user == R


def test_login_attempts_are_logged(
    store: ReviewStore, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lcgis.review.store"):
        for _ in range(MAX_FAILURES):
            store.login("mallory", "x", client="192.0.2.1")
        store.login("mallory", "x", client="192.0.2.1")  # while paused
        store.login("reviewer1", "r-secret", client="192.0.2.9")
    events = store.login_log()
    assert [e.outcome for e in events] == ["failed"] * MAX_FAILURES + ["ok"]
    assert all(e.user == "mallory" and e.client == "192.0.2.1" for e in events[:-1])
    assert "未知用户 mallory" in events[0].message
    assert "暂停登录 30 秒" in events[MAX_FAILURES - 1].message
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("已暂停登录 30 秒" in w for w in warnings)
    assert any("登录被暂停" in w and "mallory" in w for w in warnings)


def test_every_login_attempt_costs_one_argon2_verification(db_url: str, clock: Clock) -> None:
    hasher = CountingHasher()
    with ReviewStore(db_url, hasher=hasher, clock=clock) as s:
        s.add_user("known", "known-secret", "reviewer")
        hasher.hashes = hasher.verifies = 0
        cases = [
            ("known", ""),
            ("known", None),
            ("unknown", ""),
            ("unknown", None),
            ("known", "wrong"),
            ("unknown", "wrong"),
            ("known", "known-secret"),
        ]
        for name, password in cases:
            before = hasher.verifies
            s.login(name, password, client=f"{name}-{password}")
            clock.advance(FAILURE_MEMORY_S + 1)
            assert hasher.verifies - before == 1, (name, password)
        assert hasher.hashes <= 1  # at most the dummy hash (made once per process)


def test_login_time_does_not_tell_known_from_unknown_users(db_url: str, clock: Clock) -> None:
    # Parameters costly enough that argon2 dominates (before: 0.4 ms vs about 1 s).
    hasher = PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    with ReviewStore(db_url, hasher=hasher, clock=clock) as s:
        s.add_user("known", "known-secret", "reviewer")
        s.login("warm-up", "", client="w")

        def median_s(name: str, password: str) -> float:
            times = []
            for i in range(7):
                clock.advance(FAILURE_MEMORY_S + 1)  # never paused
                t0 = time.perf_counter()
                s.login(name, password, client=f"t{i}")
                times.append(time.perf_counter() - t0)
            return statistics.median(times)

        known_empty, unknown_empty = median_s("known", ""), median_s("unknown", "")
        known_wrong, unknown_wrong = median_s("known", "x"), median_s("unknown", "x")
    assert 0.4 < known_empty / unknown_empty < 2.5, (known_empty, unknown_empty)
    assert 0.4 < known_wrong / unknown_wrong < 2.5, (known_wrong, unknown_wrong)


def test_cli_review_set_is_throttled_too(store: ReviewStore, clock: Clock) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            store.set_review("P1", dataset=DS, by="reviewer1", password="bad", status="核查中")
    with pytest.raises(AuthenticationError, match="失败次数过多") as info:
        store.set_review("P1", dataset=DS, by="reviewer1", password="r-secret", status="核查中")
    assert not info.value.entry.accepted and "暂停" in info.value.entry.message
    assert store.get("P1", dataset=DS) is None
    assert {e.client for e in store.login_log()} == {"命令行"}


# --- admin passwords ------------------------------------------------------------------------------


def test_admin_passwords_have_12_characters_and_are_not_the_name(store: ReviewStore) -> None:
    for name, password in (
        ("boss", "a"),
        ("boss", "elevenchars"),
        ("bossbossboss", "BossBossBoss"),
    ):
        with pytest.raises(UserAdminError, match="管理员密码"):
            store.add_user(name, password, "admin")
    assert store.get_user("boss") is None
    assert store.add_user("boss", "twelve-chars", "admin") == User("boss", "admin")
    store.add_user("shorty", "short", "reviewer")  # the policy is for admins
    with pytest.raises(UserAdminError, match="12 个字符"):
        store.set_password("boss", "short")
    with pytest.raises(UserAdminError, match="users passwd shorty"):
        store.set_role("shorty", "admin")  # promoting needs an admin-grade password first
    store.set_password("shorty", "now-long-enough")
    assert store.set_role("shorty", "admin") == User("shorty", "admin")
    assert store.authenticate("shorty", "now-long-enough") == User("shorty", "admin")


def test_an_old_admin_with_a_weak_password_must_reset_it(store: ReviewStore, db_url: str) -> None:
    store.add_user("legacy", "legacy-pw", "reviewer")
    raw(db_url, "UPDATE users SET role = 'admin' WHERE name = 'legacy'")  # as before the policy
    got = store.login("legacy", "legacy-pw", client="c")
    assert got.user is None and "users passwd legacy" in got.message
    assert store.login_log()[-1].outcome == "weak"
    # an old admin whose password happens to be long enough passes, and is marked so
    store.set_password("legacy", "legacy-password-long")
    raw(db_url, "UPDATE users SET admin_policy_ok = false WHERE name = 'legacy'")
    assert store.login("legacy", "legacy-password-long", client="c").user == User("legacy", "admin")
    assert rows(db_url, "SELECT admin_policy_ok FROM users WHERE name = 'legacy'")[0][0]


# --- no-op saves ----------------------------------------------------------------------------------


def test_a_save_that_changes_nothing_is_refused(store: ReviewStore) -> None:
    first = store.set_review("P1", dataset=DS, by=R, status="核查中", note="现场", tags="a,b")
    with pytest.raises(NoChangeError, match="内容未变") as info:
        store.set_review("P1", dataset=DS, by=R, status="核查中", note=" 现场 ", tags=["a", "b"])
    assert not info.value.entry.accepted and info.value.entry.version == 1
    with pytest.raises(NoChangeError):
        store.set_review("P1", dataset=DS, by=R)  # nothing asked at all
    with pytest.raises(NoChangeError):  # a parcel without review saved with the defaults
        store.set_review("P9", dataset=DS, by=R, status="待核查", note="", tags=[])
    assert store.get("P1", dataset=DS) == first.review and store.get("P9", dataset=DS) is None
    assert [e.accepted for e in store.history()] == [True, False, False, False]
    assert store.verify().ok


# --- the reviews table against the history --------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        ("UPDATE reviews SET status = '不予处置' WHERE parcel_id = 'P2'", "核查状态"),
        ("UPDATE reviews SET note = '改过' WHERE parcel_id = 'P2'", "备注"),
        ("UPDATE reviews SET version = 7 WHERE parcel_id = 'P2'", "版本"),
        ("UPDATE reviews SET updated_by = 'admin1' WHERE parcel_id = 'P2'", "最后修改人"),
        ("DELETE FROM reviews WHERE parcel_id = 'P2'", "缺失"),
        (
            "INSERT INTO reviews (dataset_id, parcel_id, status, tags, version, updated_by,"
            " updated_at) VALUES ('park', 'P7', '已处置', '[]', 1, 'reviewer1', '2026-01-01')",
            "没有对应的变更记录",
        ),
    ],
    ids=["status", "note", "version", "who", "deleted", "inserted"],
)
def test_verify_replays_the_history_against_the_reviews_table(
    store: ReviewStore, sql: str, words: str
) -> None:
    some_changes(store)
    assert store.verify().ok
    raw(store.url, sql)
    result = store.verify()
    assert not result.ok and "核查状态表被篡改" in result.message and words in result.message
    parcel = "P7" if "P7" in sql else "P2"
    assert f"数据集 {DS} 宗地 {parcel}" in result.message
    if parcel == "P2":
        assert result.first_bad_seq == 2  # the entry that produced the row


# --- the key and the witness ----------------------------------------------------------------------


def rewrite_chain_without_key(url: str) -> None:
    """What an attacker with full database access (but not the key) can do at best: rewrite
    every entry as an unkeyed legacy entry, hashes recomputed, table and head consistent."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    meta = sa.MetaData()
    hist = sa.Table("review_history", meta, autoload_with=engine)
    with engine.begin() as conn:
        prev = GENESIS_HASH
        for row in conn.execute(sa.select(hist).order_by(hist.c.seq)).all():
            fields = hash_fields(
                seq=row.seq,
                parcel_id=row.parcel_id,
                user=row.user_name,
                at=row.at,
                old=row.old,
                new={**row.new, "note": "改写"} if row.seq == 1 else row.new,
                status=row.status,
                accepted=row.accepted,
                message=row.message,
                version=row.version,
                prev_hash=prev,
            )
            digest = entry_hash(fields)
            conn.execute(
                hist.update()
                .where(hist.c.id == row.id)
                .values(
                    hash=digest,
                    prev_hash=prev,
                    new=fields["new"],
                    scheme=1,
                    dataset_id=LEGACY_DATASET,
                )
            )
            prev = digest
        conn.execute(sa.text("UPDATE reviews SET dataset_id = 'legacy'"))
        conn.execute(
            sa.text("UPDATE reviews SET note = '改写' WHERE parcel_id = 'P1' AND version = 1")
        )
        conn.execute(sa.text("UPDATE review_chain SET hash = :h, key_id = NULL"), {"h": prev})
    engine.dispose()


def test_a_consistent_rewrite_without_the_key_is_caught_by_the_witness(store: ReviewStore) -> None:
    store.set_review("P1", dataset=DS, by=R, status="核查中", note="n1")
    store.set_review("P2", dataset=DS, by=R, status="已核实", note="n2")
    rewrite_chain_without_key(store.url)
    result = store.verify()
    assert not result.ok and "整体改写" in result.message and result.first_bad_seq == 1
    with pytest.raises(StoreError, match="拒绝写入"):
        store.set_review("P3", dataset=DS, by=R, status="核查中")


def test_a_chain_re_signed_with_another_key_is_refused(store: ReviewStore) -> None:
    store.set_review("P1", dataset=DS, by=R, status="核查中", note="n1")
    store.set_review("P2", dataset=DS, by=R, status="已核实", note="n2")
    forged = ChainKey(b"\xab" * 32, store.state_dir / "forged.key")
    engine = sa.create_engine(store.url, poolclass=sa.NullPool)
    hist = sa.Table("review_history", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        prev = GENESIS_HASH
        for row in conn.execute(sa.select(hist).order_by(hist.c.seq)).all():
            fields = hash_fields(
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
                prev_hash=prev,
                dataset_id=row.dataset_id,
            )
            prev = entry_mac(forged, fields)
            conn.execute(
                hist.update()
                .where(hist.c.id == row.id)
                .values(hash=prev, prev_hash=fields["prev_hash"])
            )
        conn.execute(sa.text("UPDATE review_chain SET hash = :h"), {"h": prev})
    result = store.verify()  # the real key's fingerprint is still recorded
    assert not result.ok and result.first_bad_seq == 1 and "哈希不符" in result.message
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE review_chain SET key_id = :k"), {"k": forged.key_id})
    engine.dispose()
    result = store.verify()
    assert not result.ok and "密钥文件" in result.message and "不符" in result.message


def test_truncating_the_chain_and_its_head_is_caught(store: ReviewStore) -> None:
    for i in range(5):
        store.set_review(f"P{i}", dataset=DS, by=R, status="核查中")
    raw(
        store.url,
        "DELETE FROM review_history WHERE seq > 3;"
        "DELETE FROM reviews WHERE parcel_id IN ('P3', 'P4');"
        "UPDATE review_chain SET seq = 3, hash = (SELECT hash FROM review_history WHERE seq = 3)",
    )
    result = store.verify()
    assert not result.ok and "截断或重建" in result.message and "第 5 条" in result.message
    with pytest.raises(StoreError, match="截断或重建"):
        store.set_review("P9", dataset=DS, by=R, status="核查中")
    assert store.get("P9", dataset=DS) is None


def test_a_sqlite_store_truncated_to_nothing_is_not_recreated(
    tmp_path: Path, state_dir: Path
) -> None:
    db = tmp_path / "review.sqlite"
    url = f"sqlite:///{db}"
    with ReviewStore(url, hasher=FAST_HASH) as s:
        s.add_user("reviewer1", "r-secret", "reviewer")
        s.set_review("P1", dataset=DS, by=R, status="核查中")
        s.set_review("P1", dataset=DS, by=R, status="已核实")
    db.write_bytes(b"")
    for extra in tmp_path.glob("review.sqlite-*"):
        extra.unlink()
    result = verify_store(url)
    assert not result.ok and "截断或重建" in result.message and "2 条" in result.message
    with pytest.raises(StoreError, match="未创建新库"):
        ReviewStore(url)
    assert db.stat().st_size == 0  # still the evidence
    db.unlink()
    result = verify_store(url)
    assert not result.ok and "被删除" in result.message


def test_a_postgresql_store_whose_tables_were_dropped_is_not_recreated(
    postgres_server: str | None,
) -> None:
    if postgres_server is None:
        pytest.skip("PostgreSQL unavailable")
    from tests.pgserver import _drop_store_tables, fresh_database

    with fresh_database(postgres_server) as url:
        with ReviewStore(url, hasher=FAST_HASH) as s:
            s.add_user("reviewer1", "r-secret", "reviewer")
            s.set_review("P1", dataset=DS, by=R, status="核查中")
        engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
        _drop_store_tables(engine)
        engine.dispose()
        result = verify_store(url)
        assert not result.ok and "截断或重建" in result.message
        with pytest.raises(StoreError, match="见证文件"):
            ReviewStore(url)


def test_a_lost_or_wrong_key_stops_writes_and_verify_says_so(
    store: ReviewStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.set_review("P1", dataset=DS, by=R, status="核查中")
    key = store.state_dir / KEY_NAME
    assert key.stat().st_mode & 0o777 == 0o600
    secret = key.read_bytes()
    key.unlink()
    with ReviewStore(store.url) as fresh:
        with pytest.raises(StoreError, match="找不到密钥文件"):
            fresh.set_review("P2", dataset=DS, by=R, status="核查中")
        result = fresh.verify()
        assert not result.ok and "找不到密钥文件" in result.message
    assert not key.exists()  # never silently replaced
    key.write_text("cd" * 32 + "\n")
    key.chmod(0o644)
    with ReviewStore(store.url) as fresh, caplog.at_level(logging.WARNING, "lcgis.review.store"):
        with pytest.raises(StoreError, match="不符"):
            fresh.set_review("P2", dataset=DS, by=R, status="核查中")
        assert "不符" in fresh.verify().message
    assert any("权限过宽" in r.getMessage() for r in caplog.records)
    key.chmod(0o600)
    key.write_bytes(secret)
    with ReviewStore(store.url) as fresh:
        fresh.set_review("P2", dataset=DS, by=R, status="核查中")
        assert fresh.verify().ok


def test_an_edited_witness_line_is_reported(store: ReviewStore) -> None:
    store.set_review("P1", dataset=DS, by=R, status="核查中")
    store.set_review("P2", dataset=DS, by=R, status="核查中")
    path = store.witness.path
    lines = path.read_text().splitlines()
    assert len(lines) == 3  # a header and one line per commit
    lines[2] = lines[2].replace('"seq":2', '"seq":1')
    path.write_text("\n".join(lines) + "\n")
    result = store.verify()
    assert not result.ok and "见证文件" in result.message and "第 3 行" in result.message


# --- read-only verification -----------------------------------------------------------------------


def test_a_read_only_sqlite_store_is_verified_without_writing(tmp_path: Path) -> None:
    db = tmp_path / "review.sqlite"
    with ReviewStore(f"sqlite:///{db}", hasher=FAST_HASH) as s:
        s.add_user("reviewer1", "r-secret", "reviewer")
        s.set_review("P1", dataset=DS, by=R, status="核查中")
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = verify_store(f"sqlite:///{db}")
    assert result.ok and result.entries == 1
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    with ReviewStore(f"sqlite:///{db}", read_only=True) as ro:
        with pytest.raises(StoreError, match="只读"):
            ro.set_review("P2", dataset=DS, by=R, status="核查中")
        assert ro.get("P1", dataset=DS) is not None
        with ro._engine.connect() as conn, pytest.raises(sa.exc.OperationalError):
            conn.exec_driver_sql("DELETE FROM reviews")  # the connection itself refuses
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_postgresql_store_is_verified_by_an_account_that_may_only_read(
    postgres_server: str | None,
) -> None:
    if postgres_server is None:
        pytest.skip("PostgreSQL unavailable")
    from tests.pgserver import fresh_database

    with fresh_database(postgres_server) as url:
        with ReviewStore(url, hasher=FAST_HASH) as s:
            s.add_user("reviewer1", "r-secret", "reviewer")
            s.set_review("P1", dataset=DS, by=R, status="核查中")
        reader = f"reader_{hashlib.sha1(url.encode()).hexdigest()[:8]}"
        raw(
            url,
            f"CREATE ROLE {reader} LOGIN;GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}",
        )
        ro_url = sa.make_url(url).set(username=reader).render_as_string(hide_password=False)
        try:
            result = verify_store(ro_url)
            assert result.ok and result.entries == 1, result
            raw(url, "UPDATE reviews SET note = 'x'")
            assert "核查状态表被篡改" in verify_store(ro_url).message
        finally:
            raw(url, f"DROP OWNED BY {reader}; DROP ROLE {reader}")


# --- a store from before (revision 0001) ----------------------------------------------------------


def make_0001_store(url: str) -> None:
    """A store as revision 0001 wrote it: users, two reviews, a SHA-256 chain of three."""
    from alembic import command

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        command.upgrade(ReviewStore._alembic_config(conn), "0001")
    meta = sa.MetaData()
    users = sa.Table("users", meta, autoload_with=engine)
    reviews = sa.Table("reviews", meta, autoload_with=engine)
    hist = sa.Table("review_history", meta, autoload_with=engine)
    at = dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.UTC)
    changes = [  # (parcel, old, new, accepted, version)
        ("P1", None, "核查中", True, 1),
        ("P1", "核查中", "已核实", True, 2),
        ("P2", None, "已处置", True, 1),
    ]
    prev = GENESIS_HASH
    with engine.begin() as conn:
        for name, role in (("old-reviewer", "reviewer"), ("old-admin", "admin")):
            conn.execute(
                users.insert().values(
                    name=name,
                    role=role,
                    password_hash=FAST_HASH.hash("old-pw"),
                    created_at=at,
                    updated_at=at,
                )
            )
        for seq, (parcel, old, new, accepted, version) in enumerate(changes, start=1):
            blank = {"reason": None, "assignee": None, "due_date": None, "note": None, "tags": []}
            old_values = None if old is None else {"status": old, **blank}
            new_values = {"status": new, **blank}
            when = at + dt.timedelta(minutes=seq)
            fields = hash_fields(
                seq=seq,
                parcel_id=parcel,
                user="old-reviewer",
                at=when,
                old=old_values,
                new=new_values,
                status=new,
                accepted=accepted,
                message="旧版记录",
                version=version,
                prev_hash=prev,
            )
            digest = entry_hash(fields)
            conn.execute(
                hist.insert().values(
                    seq=seq,
                    parcel_id=parcel,
                    user_name="old-reviewer",
                    at=when,
                    old=old_values,
                    new=new_values,
                    status=new,
                    accepted=accepted,
                    message="旧版记录",
                    version=version,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
            conn.execute(reviews.delete().where(reviews.c.parcel_id == parcel))
            conn.execute(
                reviews.insert().values(
                    parcel_id=parcel,
                    status=new,
                    tags=[],
                    version=version,
                    updated_by="old-reviewer",
                    updated_at=when,
                )
            )
        conn.execute(sa.text("UPDATE review_chain SET seq = 3, hash = :h"), {"h": prev})
    engine.dispose()


def test_a_0001_store_verifies_read_only_and_keeps_working_after_the_upgrade(db_url: str) -> None:
    make_0001_store(db_url)
    before = verify_store(db_url)  # read-only: not upgraded
    assert before.ok and before.entries == 3 and "旧版 3 条" in before.message, before
    assert rows(db_url, "SELECT version_num FROM alembic_version")[0][0] == "0001"
    with ReviewStore(db_url, hasher=FAST_HASH) as s:
        head, _ = ReviewStore.known_revisions()
        assert s.schema_revision() == head
        legacy = s.get("P1", dataset=LEGACY_DATASET)
        assert legacy is not None and legacy.status == "已核实" and legacy.version == 2
        assert [e.scheme for e in s.history()] == [1, 1, 1]
        assert s.verify().ok
        old = User("old-reviewer", "reviewer")
        assert s.login("old-reviewer", "old-pw", client="c").user == old
        assert "users passwd old-admin" in s.login("old-admin", "old-pw", client="c").message
        done = s.set_review("P1", dataset=LEGACY_DATASET, by=old, status="已处置")
        assert done.review.version == 3 and done.entry.scheme == 2
        s.set_review("P1", dataset=DS, by=old, status="核查中")  # a new dataset, its own P1
        result = s.verify()
        assert result.ok and result.entries == 5, result
        # the legacy part is still protected: its link to the keyed entries
        raw(db_url, "UPDATE review_history SET message = '改过' WHERE seq = 2")
        assert s.verify().first_bad_seq == 2


def test_a_legacy_chain_rewritten_with_a_skipped_version_is_caught(db_url: str) -> None:
    # Unkeyed entries can be rehashed by anyone; the replay still sees versions out of step.
    make_0001_store(db_url)
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    hist = sa.Table("review_history", sa.MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        prev = GENESIS_HASH
        for row in conn.execute(sa.select(hist).order_by(hist.c.seq)).all():
            version = 3 if row.seq == 2 else row.version
            fields = hash_fields(
                seq=row.seq,
                parcel_id=row.parcel_id,
                user=row.user_name,
                at=row.at,
                old=row.old,
                new=row.new,
                status=row.status,
                accepted=row.accepted,
                message=row.message,
                version=version,
                prev_hash=prev,
            )
            digest = entry_hash(fields)
            conn.execute(
                hist.update()
                .where(hist.c.id == row.id)
                .values(version=version, prev_hash=prev, hash=digest)
            )
            prev = digest
        conn.execute(sa.text("UPDATE reviews SET version = 3 WHERE parcel_id = 'P1'"))
        conn.execute(sa.text("UPDATE review_chain SET hash = :h"), {"h": prev})
    engine.dispose()
    result = verify_store(db_url)
    assert not result.ok and result.first_bad_seq == 2 and "版本应为 2" in result.message


# --- command line ---------------------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from lcgis.cli import main

    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_pauses_logins_shows_and_lifts_the_pause(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with ReviewStore(db_url, hasher=FAST_HASH) as s:
        s.add_user("alice", "alice-secret", "reviewer")
    db = ("--db", db_url)
    set_p1 = ("review", "set", "P1", "--status", "核查中", "--user", "alice", "--dataset", DS, *db)
    monkeypatch.setenv("LCGIS_PASSWORD", "wrong")
    for _ in range(MAX_FAILURES):
        assert cli(capsys, *set_p1)[0] == 1
    monkeypatch.setenv("LCGIS_PASSWORD", "alice-secret")
    code, _, err = cli(capsys, *set_p1)
    assert code == 1 and "失败次数过多" in err
    code, out, _ = cli(capsys, "users", "list", *db)
    assert code == 0 and "已暂停登录：用户名 alice" in out and "客户端 命令行" in out
    code, out, _ = cli(capsys, "users", "log", *db)
    lines = out.strip().splitlines()
    assert (
        code == 0
        and len(lines) == MAX_FAILURES
        and all("\tfailed\talice\t命令行" in x for x in lines)
    )
    assert cli(capsys, "users", "unlock", *db)[0] == 2  # whom?
    code, out, _ = cli(capsys, "users", "unlock", "alice", "--client", "命令行", *db)
    assert code == 0 and "清除 2 个" in out
    assert cli(capsys, *set_p1)[0] == 0
    assert "已暂停" not in cli(capsys, "users", "list", *db)[1]
    assert cli(capsys, "review", "verify", *db)[0] == 0
    raw(db_url, "UPDATE reviews SET status = '已处置'")
    code, _, err = cli(capsys, "review", "verify", *db)
    assert code == 1 and "核查状态表被篡改" in err and "宗地 P1" in err
