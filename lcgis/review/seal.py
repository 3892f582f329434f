"""Writing the sealed chain: the signing key, the witness check and appending entries."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from lcgis.errors import StoreError
from lcgis.review import chain as review_seal
from lcgis.review.chain import SCHEME_KEYED, entry_mac, hash_fields
from lcgis.review.db import Database
from lcgis.review.reviews import HistoryEntry
from lcgis.review.tables import chain_table, history_table

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.engine import Connection

log = logging.getLogger("lcgis.review.store")


class SealMixin(Database):
    """Appending keyed entries to the chain and witnessing its head."""

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

    def _witnessed(self, conn: Connection) -> tuple[review_seal.WitnessLine, str | None] | None:
        """The newest witnessed head and the hash the store holds at its sequence number
        (``None``: nothing witnessed yet).

        Read before the chain head is locked (so the file read and the query stay out of the
        section that serialises all writers): a head is witnessed only after its transaction
        committed, so its entry is visible to this statement. :meth:`_check_witness` then
        compares, under the lock.
        """
        seen = self.witness.newest()
        if seen is None:
            return None
        digest = conn.execute(
            sa.select(history_table.c.hash).where(history_table.c.seq == seen.seq)
        ).scalar()
        return seen, digest

    def _check_witness(
        self, head: Any, witnessed: tuple[review_seal.WitnessLine, str | None] | None
    ) -> None:
        """Refuse to write on a store that no longer holds the newest witnessed head
        (``witnessed`` from :meth:`_witnessed`; ``head`` the locked chain head)."""
        if witnessed is None:
            return
        seen, digest = witnessed
        advice = "为保护证据已拒绝写入，请运行 python -m lcgis review verify 检查并从备份恢复"
        if int(head.seq) < seen.seq:
            raise StoreError(
                f"核查数据库 {self.display_url} 只有 {head.seq} 条变更记录，但见证文件 "
                f"{self.witness.path} 记录已有 {seen.seq} 条：核查库可能被截断或重建。{advice}"
            )
        if digest != seen.hash:
            raise StoreError(
                f"核查数据库 {self.display_url} 的第 {seen.seq} 条变更记录与见证文件 "
                f"{self.witness.path} 不符：变更记录可能被改写，或核查库被重建。{advice}"
            )

    def _lock_head(self, conn: Connection) -> Any:
        """Lock and read the chain head (``seq``, ``hash``, ``key_id``): from here to the
        commit, every other writer waits."""
        return conn.execute(
            sa.select(chain_table.c.seq, chain_table.c.hash, chain_table.c.key_id)
            .where(chain_table.c.id == 1)
            .with_for_update()
        ).one()

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
        at: dt.datetime,
        dataset: str,
        parcel_id: str,
        user: str,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        status: str | None,
        accepted: bool,
        message: str,
        version: int,
        also: sa.Insert | sa.Update | None = None,
    ) -> HistoryEntry:
        """Append one keyed entry after the chain head (held locked by the caller), move the
        head and run ``also`` (the change's write of its review) in the same transaction.

        On PostgreSQL the three writes are one statement (data-modifying CTEs), so the
        section under the chain lock costs one round trip to the server besides the lock
        and the commit.
        """
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
        digest = entry_mac(key, hash_fields(user=user, dataset_id=dataset, **common))
        insert = history_table.insert().values(
            user_name=user, hash=digest, dataset_id=dataset, scheme=SCHEME_KEYED, **common
        )
        move = chain_table.update().where(chain_table.c.id == 1).values(seq=seq, hash=digest)
        if self.backend == "postgresql":
            added = insert.returning(history_table.c.id).cte("added")
            statement = sa.select(added.c.id).add_cte(move.cte("moved"))
            if also is not None:
                statement = statement.add_cte(also.cte("reviewed"))
            entry_id = int(conn.execute(statement).scalar_one())
        else:
            pk = conn.execute(insert).inserted_primary_key
            assert pk is not None
            entry_id = int(pk[0])
            conn.execute(move)
            if also is not None:
                conn.execute(also)
        return HistoryEntry(
            id=entry_id, user=user, hash=digest, dataset_id=dataset, scheme=SCHEME_KEYED, **common
        )
