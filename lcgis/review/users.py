"""Users and roles: who may read, review and administer; admin passwords."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Final

import sqlalchemy as sa

from lcgis.errors import UserAdminError
from lcgis.review.db import Database
from lcgis.review.tables import users_table
from lcgis.vocab import ROLES as ALL_ROLES

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

#: Roles a stored user can have, least to most privileged (a guest is nobody logged in).
ROLES: Final = tuple(r for r in ALL_ROLES if r != "guest")
#: Admin passwords: at least this many characters, and not the user name.
ADMIN_PASSWORD_MIN: Final = 12


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


def admin_password_problem(name: str, password: str) -> str | None:
    """Why ``password`` may not be an admin's (Chinese), or ``None`` when it may.

    >>> admin_password_problem("admin", "short")
    '密码只有 5 个字符，管理员密码至少要 12 个字符'
    >>> admin_password_problem("administrator", "Administrator")
    '管理员密码不能与用户名相同'
    >>> admin_password_problem("admin", "correct horse battery") is None
    True
    """
    if len(password) < ADMIN_PASSWORD_MIN:
        return f"密码只有 {len(password)} 个字符，管理员密码至少要 {ADMIN_PASSWORD_MIN} 个字符"
    if password.strip().casefold() == name.strip().casefold():
        return "管理员密码不能与用户名相同"
    return None


class UsersMixin(Database):
    """Managing users (names, roles, argon2 password hashes)."""

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

    @staticmethod
    def _admin_refusal(name: str, problem: str) -> UserAdminError:
        return UserAdminError(
            f"用户 {name} 的{problem}(管理员密码至少 {ADMIN_PASSWORD_MIN} 个字符，且不能与用户名"
            "相同)：请换一个更长的密码"
        )

    def add_user(self, name: str, password: str, role: str) -> User:
        """Add a user (argon2-hashed password). Refuses a taken name, an empty password and,
        for an admin, a password that fails :func:`admin_password_problem`."""
        name = self._check_name(name)
        role = self._check_role(role)
        if not password:
            raise UserAdminError("密码不能为空")
        problem = admin_password_problem(name, password)
        if role == "admin" and problem:
            raise self._admin_refusal(name, problem)
        hashed = self._hasher.hash(password)
        now = self._now()
        with self._errors("添加用户"), self._write() as conn:
            exists = conn.execute(
                sa.select(users_table.c.name).where(users_table.c.name == name)
            ).first()
            if exists is not None:
                raise UserAdminError(f"用户 {name} 已存在")
            conn.execute(
                users_table.insert().values(
                    name=name,
                    role=role,
                    password_hash=hashed,
                    created_at=now,
                    updated_at=now,
                    admin_policy_ok=problem is None,
                )
            )
        return User(name, role)

    def set_password(self, name: str, password: str) -> None:
        """Replace a user's password (an admin's must meet the admin policy)."""
        if not password:
            raise UserAdminError("密码不能为空")
        problem = admin_password_problem(name, password)
        hashed = self._hasher.hash(password)
        with self._errors("修改用户"), self._write() as conn:
            row = conn.execute(
                sa.select(users_table.c.role).where(users_table.c.name == name).with_for_update()
            ).first()
            if row is None:
                raise UserAdminError(f"用户 {name} 不存在")
            if row.role == "admin" and problem:
                raise self._admin_refusal(name, problem)
            conn.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(
                    password_hash=hashed, admin_policy_ok=problem is None, updated_at=self._now()
                )
            )

    def set_role(self, name: str, role: str) -> User:
        """Change a user's role. Making someone an admin needs a password that meets the
        admin policy (set with :meth:`set_password` first)."""
        role = self._check_role(role)
        with self._errors("修改用户"), self._write() as conn:
            row = conn.execute(
                sa.select(users_table.c.admin_policy_ok)
                .where(users_table.c.name == name)
                .with_for_update()
            ).first()
            if row is None:
                raise UserAdminError(f"用户 {name} 不存在")
            if role == "admin" and not row.admin_policy_ok:
                raise UserAdminError(
                    f"用户 {name} 的密码不符合管理员要求(至少 {ADMIN_PASSWORD_MIN} 个字符，且不能与"
                    f"用户名相同)或未经核实：请先用 python -m lcgis users passwd {name} 重设密码，"
                    "再改为管理员"
                )
            conn.execute(
                users_table.update()
                .where(users_table.c.name == name)
                .values(role=role, updated_at=self._now())
            )
        return User(name, role)

    def remove_user(self, name: str) -> None:
        """Delete a user (their history entries stay)."""
        with self._errors("删除用户"), self._write() as conn:
            res = conn.execute(users_table.delete().where(users_table.c.name == name))
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

    @staticmethod
    def _role_now(conn: Connection, name: str) -> str | None:
        """The user's role as stored now (``None``: no such user)."""
        row = conn.execute(sa.select(users_table.c.role).where(users_table.c.name == name)).first()
        return None if row is None else str(row.role)
