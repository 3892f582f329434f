"""Changing a review: one locked transaction that checks, logs and writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa

from lcgis.errors import (
    AuthenticationError,
    ChangeRefused,
    InvalidChangeError,
    NoChangeError,
    PermissionDeniedError,
    StaleVersionError,
)
from lcgis.review.login import CLI_CLIENT, LoginMixin
from lcgis.review.reviews import (
    KEEP,
    REVIEW_FIELDS,
    STATUSES,
    ChangeResult,
    Keep,
    Review,
    ReviewsMixin,
)
from lcgis.review.seal import SealMixin
from lcgis.review.tables import reviews_table
from lcgis.review.times import format_time
from lcgis.review.users import User, UsersMixin
from lcgis.vocab import ROLE_LABELS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sqlalchemy.engine import Connection

_PARCEL_LOCK_SPACE: Final = 735_102  # pg_advisory_xact_lock(space, hashtext(dataset|parcel))


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


#: A refused change: (error class, message shown, message logged).
_Refusal = tuple[type[ChangeRefused], str, str]


def _reviewed(
    parcel_id: str, dataset: str, new: Mapping[str, Any], version: int, by: str, at: dt.datetime
) -> Review:
    """The review after an accepted change setting ``new`` (JSON values)."""
    return Review(
        parcel_id=parcel_id,
        status=new["status"],
        reason=new["reason"],
        assignee=new["assignee"],
        due_date=dt.date.fromisoformat(new["due_date"]) if new["due_date"] else None,
        note=new["note"],
        tags=tuple(new["tags"]),
        version=version,
        updated_by=by,
        updated_at=at,
        dataset_id=dataset,
    )


class ChangesMixin(SealMixin, LoginMixin, UsersMixin, ReviewsMixin):
    """Changing reviews."""

    def set_review(
        self,
        parcel_id: str,
        *,
        dataset: str,
        by: User | str,
        password: str | None = None,
        expect_version: int | None = None,
        status: str | Keep = KEEP,
        reason: str | Keep | None = KEEP,
        assignee: str | Keep | None = KEEP,
        due_date: dt.date | str | Keep | None = KEEP,
        note: str | Keep | None = KEEP,
        tags: str | Iterable[str] | Keep | None = KEEP,
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
        refusal: _Refusal | None = None
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
            # serialises all appends. Whatever does not need the head (the role, the review,
            # the checks, the witness) is done before it is locked, so that under the chain
            # lock there are only the entry's HMAC, one statement writing entry, head and
            # review, and the commit. SQLite: BEGIN IMMEDIATE already holds the database's
            # single write lock.
            if refusal is None:
                refusal = self._authorise(conn, name)
            current = self._lock_parcel(conn, dataset, parcel_id)
            witnessed = self._witnessed(conn)
            current_version = current.version if current else 0
            old = current.values() if current else None
            base = (current or Review.unreviewed(parcel_id)).values()
            new = {**base, **clean}
            if refusal is None:
                refusal = self._refusal(parcel_id, current, problems, expect_version, new, base)
            accepted = refusal is None
            version = current_version + 1 if accepted else current_version
            message = _describe(old, new) if refusal is None else refusal[2]
            head = self._lock_head(conn)
            key = self._signing_key(conn, head)
            self._check_witness(head, witnessed)
            at = self._now()  # under the lock: times follow the chain's order
            review = current
            write = None
            if accepted:
                review = _reviewed(parcel_id, dataset, new, version, name, at)
                write = self._save(review, insert=current is None)
            entry = self._append(
                conn,
                head,
                key,
                at=at,
                dataset=dataset,
                parcel_id=str(parcel_id),
                user=name,
                old=old,
                new=new,
                status=None if new.get("status") is None else str(new["status"]),
                accepted=accepted,
                message=message,
                version=version,
                also=write,
            )
            if self._before_commit is not None:
                self._before_commit()
        self._witness_append(key, entry)
        if refusal is not None:
            raise refusal[0](refusal[1], entry)
        assert review is not None
        return ChangeResult(review=review, entry=entry)

    def _lock_parcel(self, conn: Connection, dataset: str, parcel_id: str) -> Review | None:
        """Lock the parcel (PostgreSQL: an advisory lock, which works before its review row
        exists; then its row) and read its current review."""
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
            .where(reviews_table.c.dataset_id == dataset, reviews_table.c.parcel_id == parcel_id)
            .with_for_update()
        ).first()
        return self._review(row) if row is not None else None

    @classmethod
    def _refusal(
        cls,
        parcel_id: str,
        current: Review | None,
        problems: list[str],
        expect_version: int | None,
        new: Mapping[str, Any],
        base: Mapping[str, Any],
    ) -> _Refusal | None:
        """Why an authorised change is refused (invalid, stale, no change), else ``None``."""
        current_version = current.version if current else 0
        if problems:
            text = "；".join(problems)
            return (InvalidChangeError, f"{text}，修改未保存", text)
        if expect_version is not None and expect_version != current_version:
            text = cls._stale_message(parcel_id, current, expect_version)
            return (StaleVersionError, text, text)
        if new == base:
            text = f"内容未变：宗地 {parcel_id} 的核查记录与当前版本 {current_version} 相同"
            return (NoChangeError, f"{text}，未保存", "内容未变")
        return None

    @staticmethod
    def _save(review: Review, *, insert: bool) -> sa.Insert | sa.Update:
        """The statement that writes ``review`` into the ``reviews`` table (a new row or over
        the current one)."""
        values = {**dataclasses.asdict(review), "tags": list(review.tags)}
        if insert:
            return reviews_table.insert().values(**values)
        return (
            reviews_table.update()
            .where(
                reviews_table.c.dataset_id == review.dataset_id,
                reviews_table.c.parcel_id == review.parcel_id,
            )
            .values(**values)
        )

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

    @classmethod
    def _authorise(cls, conn: Connection, name: str, what: str = "修改核查记录") -> _Refusal | None:
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
