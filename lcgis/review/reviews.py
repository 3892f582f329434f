"""Reviews and their history: the values, reading them, and tables of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from lcgis.review.chain import SCHEME_KEYED
from lcgis.review.db import Database
from lcgis.review.export import HISTORY_LABELS, REVIEW_LABELS, write_workbook
from lcgis.review.tables import history_table, reviews_table
from lcgis.review.times import DISPLAY_TZ, format_time, utc
from lcgis.vocab import DEFAULT_STATUS as VOCAB_DEFAULT_STATUS
from lcgis.vocab import REVIEW_REASONS
from lcgis.vocab import STATUSES as VOCAB_STATUSES

if TYPE_CHECKING:
    import os
    from pathlib import Path

    import pandas as pd


#: Workflow statuses, the status of an unreviewed parcel and the usual reasons (lcgis.vocab).
STATUSES: Final = VOCAB_STATUSES
DEFAULT_STATUS: Final = VOCAB_DEFAULT_STATUS
REASONS: Final = REVIEW_REASONS
#: The fields of a review that a change may set.
REVIEW_FIELDS: Final = ("status", "reason", "assignee", "due_date", "note", "tags")


class Keep(enum.Enum):
    KEEP = "keep"


#: Default of every field argument of :meth:`ReviewStore.set_review`: keep the current value.
KEEP: Final = Keep.KEEP


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


class ReviewsMixin(Database):
    """Reading reviews and history, as objects and as tables."""

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
            updated_at=utc(row.updated_at),
            dataset_id=row.dataset_id,
        )

    @staticmethod
    def _entry(row: Any) -> HistoryEntry:
        return HistoryEntry(
            id=int(row.id),
            seq=int(row.seq),
            parcel_id=row.parcel_id,
            user=row.user_name,
            at=utc(row.at),
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
                    "time": utc(e.at).astimezone(DISPLAY_TZ).isoformat(timespec="seconds"),
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

    def export_xlsx(self, out: str | os.PathLike[str], *, dataset: str | None = None) -> Path:
        """Write sheets 核查状态 and 变更记录 (Chinese headers) of ``dataset`` (``None``: every
        dataset) to ``out``, atomically."""
        return write_workbook(out, self.reviews_frame(dataset), self.history_frame(dataset=dataset))
