"""Saved relocation plans: named JSON payloads, written by reviewers and admins."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from lcgis.errors import AuthenticationError, InvalidChangeError, PermissionDeniedError
from lcgis.review.chain import canonical_json
from lcgis.review.tables import plans_table
from lcgis.review.times import utc
from lcgis.review.users import User, UsersMixin
from lcgis.vocab import ROLE_LABELS

if TYPE_CHECKING:
    import datetime as dt

    from sqlalchemy.engine import Connection


@dataclasses.dataclass(frozen=True)
class SavedPlan:
    """A named relocation plan (the payload is any JSON value)."""

    name: str
    created_by: str
    created_at: dt.datetime
    payload: Any


class PlansMixin(UsersMixin):
    """Saving, reading and deleting plans."""

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
        canonical_json(payload)  # JSON-able or TypeError/ValueError
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
        return SavedPlan(row.name, row.created_by, utc(row.created_at), row.payload)

    def plans(self) -> list[SavedPlan]:
        """All saved plans, newest first."""
        with self._errors("读取方案"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(plans_table).order_by(plans_table.c.created_at.desc())
            ).all()
        return [SavedPlan(r.name, r.created_by, utc(r.created_at), r.payload) for r in rows]

    def delete_plan(self, name: str, *, by: User) -> bool:
        """Delete a plan; ``False`` if there was none. Reviewers and admins only (re-read)."""
        with self._errors("删除方案"), self._write() as conn:
            self._authorise_plan(conn, by, "删除方案")
            return conn.execute(plans_table.delete().where(plans_table.c.name == name)).rowcount > 0
