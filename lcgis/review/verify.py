"""Verifying the store: the chain, the reviews table replayed, and the witness."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from lcgis.errors import StoreError
from lcgis.review import chain as review_seal
from lcgis.review.chain import (
    GENESIS_HASH,
    SCHEME_KEYED,
    SCHEME_LEGACY,
    entry_hash,
    entry_mac,
    hash_fields,
)
from lcgis.review.datasets import LEGACY_DATASET
from lcgis.review.db import Database, resolve_database_url, store_identity
from lcgis.review.tables import chain_table, history_table, legacy_table, reviews_table
from lcgis.review.times import format_time, iso, utc

if TYPE_CHECKING:
    import os

    from sqlalchemy.engine import Connection


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """Outcome of :meth:`ReviewStore.verify`; ``message`` is Chinese and names the entry."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    message: str = ""


class VerifyMixin(Database):
    """Checking the whole store."""

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
        chain, hist, revs = (legacy_table(t) for t in (chain, hist, revs))
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
        f"用户 {row['user_name']}，时间 {format_time(utc(at)) if at else '-'})"
    )


def _row_digest(row: Mapping[str, Any], scheme: int, key: review_seal.ChainKey | None) -> str:
    """The hash ``row`` should carry (``""`` when its fields cannot be hashed)."""
    try:
        fields = hash_fields(
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
    ("最后修改时间", lambda r: iso(r["updated_at"]), lambda e: iso(e["at"])),
)


class _Bad(Exception):
    """A problem found by a verification step: the first bad entry and the Chinese text."""

    def __init__(self, seq: int | None, row: Mapping[str, Any] | None, text: str) -> None:
        super().__init__(text)
        self.seq, self.row, self.text = seq, row, text


@dataclasses.dataclass
class _Walk:
    """What walking the chain has seen so far."""

    prev: str = GENESIS_HASH
    count: int = 0
    keyed: int = 0
    versions: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    produced: dict[tuple[str, str], Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    hashes: dict[int, str] = dataclasses.field(default_factory=dict)


def _verify(
    snap: _Snapshot,
    key: review_seal.ChainKey | None,
    key_path: Path,
    witness: review_seal.Witness,
) -> VerifyResult:
    """Run the checks in order; the first problem found is the result."""
    try:
        lines, witness_problem = witness.read(key)
        if witness_problem is not None:
            raise _Bad(None, None, f"见证文件有误：{witness_problem}")
        top = max(lines, key=lambda w: w.seq) if lines else None
        if snap.revision is None:
            return _verify_empty(top, witness)
        key_id = snap.head.get("key_id") if snap.head is not None else None
        _check_key(key_id, key)
        walk = _Walk()
        for row in snap.rows:
            _check_row(walk, row, key, key_path)
        _check_head(snap.head, walk, key_id)
        _check_witnessed(top, lines, walk, witness)
        reviewed = _check_table(snap.reviews, walk.produced)
    except _Bad as bad:
        return VerifyResult(
            ok=False,
            entries=len(snap.rows),
            first_bad_seq=bad.seq,
            first_bad_id=None if bad.row is None else int(bad.row["id"]),
            message=bad.text,
        )
    return VerifyResult(ok=True, entries=walk.count, message=_summary(walk, reviewed, top))


def _verify_empty(
    top: review_seal.WitnessLine | None, witness: review_seal.Witness
) -> VerifyResult:
    """A database without tables: fine unless the witness knows entries."""
    if top is not None:
        raise _Bad(
            1,
            None,
            f"核查库被截断或重建：核查数据库是空的(没有数据表)，但见证文件 {witness.path} "
            f"记录它已有 {top.seq} 条变更记录(最近见证于 {_witnessed_at(top.at)})",
        )
    return VerifyResult(ok=True, entries=0, message="核查数据库是空的(尚未建表)，没有变更记录")


def _check_key(key_id: str | None, key: review_seal.ChainKey | None) -> None:
    """The key file must be the one the store was signed with."""
    if key_id and key is not None and key_id != key.key_id:
        raise _Bad(
            None,
            None,
            f"密钥文件 {key.path} 与核查数据库不符(数据库记录的密钥标识为 {key_id}，文件的为 "
            f"{key.key_id})：请换回原来的密钥文件后再核验",
        )


def _check_row(
    walk: _Walk, row: Mapping[str, Any], key: review_seal.ChainKey | None, key_path: Path
) -> None:
    """One history entry: its place in the chain, its scheme, its hash and its version."""
    where = _where(row)
    seq = int(row["seq"])
    _check_link(walk, row, seq, where)
    scheme = int(row.get("scheme", SCHEME_LEGACY))
    dataset = str(row.get("dataset_id", LEGACY_DATASET))
    _check_scheme(walk, row, where, scheme, dataset, key, key_path)
    if _row_digest(row, scheme, key) != row["hash"]:
        raise _Bad(seq, row, f"变更记录被篡改：{where} 的内容与其哈希不符")
    _check_version(walk, row, (dataset, str(row["parcel_id"])))
    walk.hashes[seq] = str(row["hash"])
    walk.prev, walk.count = str(row["hash"]), seq


def _check_link(walk: _Walk, row: Mapping[str, Any], seq: int, where: str) -> None:
    """The entry follows the previous one: next sequence number, previous hash."""
    expected = walk.count + 1
    if seq != expected:
        if seq > expected:
            raise _Bad(expected, row, f"变更记录被删改：第 {expected} 条记录缺失(其后是{where})")
        raise _Bad(seq, row, f"变更记录被删改：{where} 序号重复或顺序错乱")
    if row["prev_hash"] != walk.prev:
        raise _Bad(
            seq,
            row,
            f"变更记录被删改：{where} 的前一哈希与上一条不符(之前的记录被删除、改动或调换了顺序)",
        )


def _check_scheme(
    walk: _Walk,
    row: Mapping[str, Any],
    where: str,
    scheme: int,
    dataset: str,
    key: review_seal.ChainKey | None,
    key_path: Path,
) -> None:
    """Legacy entries only before the first keyed one; keyed entries need the key."""
    seq = int(row["seq"])
    if scheme == SCHEME_LEGACY:
        if walk.keyed:
            raise _Bad(seq, row, f"变更记录被篡改：{where} 不带密钥，却排在带密钥的记录之后")
        if dataset != LEGACY_DATASET:
            raise _Bad(
                seq,
                row,
                f"变更记录被篡改：{where} 是旧版(不带密钥)记录，数据集应为 {LEGACY_DATASET}",
            )
    elif scheme == SCHEME_KEYED:
        walk.keyed += 1
        if key is None:
            raise _Bad(
                seq,
                row,
                f"无法核验：找不到密钥文件 {key_path}，而{where}起的变更记录由该密钥签名。"
                "请从备份恢复密钥文件，或用环境变量 LCGIS_STATE_DIR 指向原来的状态目录",
            )
    else:
        raise _Bad(seq, row, f"变更记录被篡改：{where} 的记录方式 {scheme} 无效")


def _check_version(walk: _Walk, row: Mapping[str, Any], parcel: tuple[str, str]) -> None:
    """An accepted entry moves the parcel's version on by one, a refused one keeps it."""
    before = walk.versions.get(parcel, 0)
    want = before + 1 if row["accepted"] else before
    if int(row["version"]) != want:
        verdict = "生效" if row["accepted"] else "被拒绝"
        raise _Bad(
            int(row["seq"]),
            row,
            f"变更记录被篡改：{_where(row)} 是{verdict}的修改，版本应为 {want}，"
            f"记为 {row['version']}",
        )
    if row["accepted"]:
        walk.versions[parcel] = want
        walk.produced[parcel] = row


def _check_head(head: Mapping[str, Any] | None, walk: _Walk, key_id: str | None) -> None:
    """The chain head names the last entry (and the key, once there are keyed entries)."""
    count = walk.count
    if head is None:
        raise _Bad(None, None, "变更记录被篡改：链头(review_chain)缺失")
    if int(head["seq"]) != count or head["hash"] != walk.prev:
        missing = int(head["seq"]) - count
        text = (
            f"变更记录被删改：最后 {missing} 条记录缺失(链头记到第 {head['seq']} 条，"
            f"实际只有 {count} 条)"
            if missing > 0
            else f"变更记录被篡改：链头(第 {head['seq']} 条)与最后一条记录(第 {count} 条)不符"
        )
        raise _Bad(count + 1, None, text)
    if walk.keyed and not key_id:
        raise _Bad(None, None, "变更记录被篡改：链头(review_chain)的密钥标识被清除")


def _check_witnessed(
    top: review_seal.WitnessLine | None,
    lines: list[review_seal.WitnessLine],
    walk: _Walk,
    witness: review_seal.Witness,
) -> None:
    """Every witnessed head is in the chain."""
    if top is None:
        return
    if top.seq > walk.count:
        raise _Bad(
            walk.count + 1,
            None,
            f"核查库被截断或重建：见证文件 {witness.path} 记录已有第 {top.seq} 条变更记录"
            f"(见证于 {_witnessed_at(top.at)})，核查数据库中只有 {walk.count} 条",
        )
    for line in lines:
        if walk.hashes.get(line.seq) != line.hash:
            raise _Bad(
                line.seq,
                None,
                f"变更记录被整体改写或核查库被重建：第 {line.seq} 条记录的哈希与见证文件 "
                f"{witness.path} 第 {line.line} 行不符",
            )


def _check_table(
    reviews: list[Mapping[str, Any]], produced: Mapping[tuple[str, str], Mapping[str, Any]]
) -> int:
    """Replaying the accepted entries gives exactly the ``reviews`` rows; how many there are."""
    table = {(str(r.get("dataset_id", LEGACY_DATASET)), str(r["parcel_id"])): r for r in reviews}
    for parcel in sorted(set(produced) | set(table)):
        dataset, pid = parcel
        entry, current = produced.get(parcel), table.get(parcel)
        if entry is None:
            raise _Bad(
                None,
                None,
                f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的核查记录没有对应的变更记录",
            )
        if current is None:
            raise _Bad(
                int(entry["seq"]),
                entry,
                f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的核查记录缺失"
                f"(应为第 {entry['seq']} 条变更记录的结果)",
            )
        label = _replay_mismatch(current, entry)
        if label is not None:
            raise _Bad(
                int(entry["seq"]),
                entry,
                f"核查状态表被篡改：数据集 {dataset} 宗地 {pid} 的{label}与第 {entry['seq']} "
                "条变更记录的结果不符",
            )
    return len(table)


def _replay_mismatch(current: Mapping[str, Any], entry: Mapping[str, Any]) -> str | None:
    """The label of the first field where the review differs from what its entry implies."""
    for label, stored, implied in _REPLAYED:
        try:
            same = stored(current) == implied(entry)
        except (TypeError, ValueError, AttributeError):
            same = False
        if not same:
            return label
    return None


def _summary(walk: _Walk, reviewed: int, top: review_seal.WitnessLine | None) -> str:
    """The Chinese message of a store found intact."""
    count, keyed = walk.count, walk.keyed
    text = f"变更记录完整：共 {count} 条，哈希链无误"
    if count:
        text += f"(带密钥 {keyed} 条)" if keyed == count else f"(旧版 {count - keyed} 条)"
    text += f"；核查状态与变更记录一致({reviewed} 宗)"
    text += f"；与见证文件相符(见证到第 {top.seq} 条)" if top is not None else "；尚无见证记录"
    return text


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
            witness = review_seal.Witness(folder, store_identity(parsed))
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
    from lcgis.review.store import ReviewStore

    with ReviewStore(url, state_dir=folder, read_only=True) as store:
        return store.verify()
