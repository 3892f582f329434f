"""Logins: throttled per user name and client, one argon2 verification each, logged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import math
from typing import TYPE_CHECKING, Any, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lcgis.errors import UserAdminError
from lcgis.review.db import Database
from lcgis.review.tables import login_failures_table, login_log_table, users_table
from lcgis.review.times import utc
from lcgis.review.users import ADMIN_PASSWORD_MIN, User, admin_password_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.engine import Connection

log = logging.getLogger("lcgis.review.store")

#: Login back-off: after this many failures in a row a user name or client waits
#: ``LOCK_BASE_S · 2^(failures − MAX_FAILURES)`` seconds (at most ``LOCK_MAX_S``);
#: failures older than ``FAILURE_MEMORY_S`` are forgotten.
MAX_FAILURES: Final = 5
LOCK_BASE_S: Final = 30
LOCK_MAX_S: Final = 3600
FAILURE_MEMORY_S: Final = 24 * 3600
#: Client name used for logins from the command line.
CLI_CLIENT: Final = "命令行"
_LOGIN_LOCK_SPACE: Final = 735_103  # pg_advisory_xact_lock(space, hashtext(subject))


@dataclasses.dataclass(frozen=True)
class LoginResult:
    """Outcome of :meth:`ReviewStore.login`.

    ``user`` on success; else ``message`` (Chinese, for the person logging in: it never tells
    an unknown user from a wrong password), ``reason`` (for the log) and ``retry_after_s``
    (seconds until the next attempt is allowed; 0 when not locked).
    """

    user: User | None
    message: str = ""
    reason: str = ""
    retry_after_s: float = 0.0


@dataclasses.dataclass(frozen=True)
class Lockout:
    """Failure counter of one user name (``user:…``) or client (``client:…``)."""

    subject: str
    failures: int
    last_failure_at: dt.datetime
    locked_until: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class LoginEvent:
    """One logged login attempt (``outcome``: ok, failed, weak)."""

    id: int
    at: dt.datetime
    user: str
    client: str
    outcome: str
    message: str


def lock_seconds(failures: int) -> int:
    """How long a user name or client must wait after ``failures`` failed logins in a row.

    Nothing before :data:`MAX_FAILURES`; then 30 s, doubling with every further failure, at
    most an hour.

    >>> [lock_seconds(n) for n in (1, 4, 5, 6, 7, 11, 12, 40)]
    [0, 0, 30, 60, 120, 1920, 3600, 3600]
    """
    if failures < MAX_FAILURES:
        return 0
    return int(min(LOCK_MAX_S, LOCK_BASE_S * 2 ** min(failures - MAX_FAILURES, 32)))


def _duration(seconds: float) -> str:
    """A wait in Chinese, rounded up: ``30 秒``, ``2 分钟``, ``1 小时``.

    >>> [_duration(s) for s in (0.2, 30, 61, 3600)]
    ['1 秒', '30 秒', '2 分钟', '1 小时']
    """
    whole = max(1, math.ceil(seconds))
    if whole < 60:
        return f"{whole} 秒"
    if whole < 3600:
        return f"{math.ceil(whole / 60)} 分钟"
    return f"{math.ceil(whole / 3600)} 小时"


_DUMMY_PASSWORD = "lcgis-timing-equaliser"


@functools.lru_cache(maxsize=8)
def _dummy_hash(
    time_cost: int, memory_cost: int, parallelism: int, hash_len: int, salt_len: int, kind: Any
) -> str:
    """The argon2 hash, with these parameters, of a password nobody uses."""
    return PasswordHasher(time_cost, memory_cost, parallelism, hash_len, salt_len, type=kind).hash(
        _DUMMY_PASSWORD
    )


def _client_label(client: str | None) -> str:
    text = (client or "").strip()
    return text[:100] if text else "未知"


class LoginMixin(Database):
    """Logging in, lockouts and the login log."""

    def authenticate(self, name: str, password: str | None, *, client: str = "") -> User | None:
        """The user if ``password`` is theirs, else ``None``; see :meth:`login`."""
        return self.login(name, password, client=client).user

    def login(self, name: str, password: str | None, *, client: str = "") -> LoginResult:
        """Check a login, throttled per user name and per ``client`` (e.g. an IP address).

        While the name or the client is locked (:func:`lock_seconds` after
        :data:`MAX_FAILURES` failures in a row, counted for unknown names too) the attempt is
        refused without looking at the password. Otherwise exactly one argon2 verification
        runs, whether the user exists or not and whether a password was given. A failure
        counts for both the name and the client; a success resets the name's counter (the
        client's is forgotten :data:`FAILURE_MEMORY_S` after its last failure). An admin
        whose password does not meet the admin policy is refused with how to fix it. Every
        attempt is logged (``login_log`` and the ``lcgis.review.store`` logger).
        """
        name = name.strip() if isinstance(name, str) else ""
        client = _client_label(client)
        subjects = (f"user:{name[:100]}", f"client:{client}")
        now = self._now()
        wait = self._lock_remaining(subjects, now)
        if wait > 0:
            log.warning("登录被暂停：用户 %s，客户端 %s，还需等待 %.0f 秒", name, client, wait)
            return LoginResult(
                None,
                f"登录失败次数过多，已暂停登录：请 {_duration(wait)}后再试",
                "登录已暂停(失败次数过多)",
                wait,
            )
        user, why, policy_ok = self._verify_password(name, password)
        if user is None:
            lock = self._record_failure(subjects, name, client, why, now)
            text = "用户名或密码错误"
            if lock:
                text += f"；失败次数过多，登录已暂停 {_duration(lock)}"
            return LoginResult(None, text, why, float(lock))
        if user.is_admin and not policy_ok:
            problem = admin_password_problem(name, password or "")
            if problem is not None:
                self._log_login(name, client, "weak", f"管理员 {name} 的密码不符合要求：{problem}")
                return LoginResult(
                    None,
                    f"管理员密码不符合要求({problem})：请在服务器上运行 python -m lcgis users "
                    f"passwd {name}，设置至少 {ADMIN_PASSWORD_MIN} 个字符且不同于用户名的密码后"
                    "再登录",
                    "管理员密码不符合要求",
                )
            with self._errors("登录"), self._write() as conn:
                conn.execute(
                    users_table.update()
                    .where(users_table.c.name == name)
                    .values(admin_policy_ok=True)
                )
        self._record_success(subjects[0], name, client)
        return LoginResult(user)

    def _verify_password(self, name: str, password: str | None) -> tuple[User | None, str, bool]:
        """(user, "", admin policy met) or (None, Chinese reason for the log, False).

        Always exactly one argon2 verification (against a dummy hash for an unknown name or
        a missing password), so the time taken does not tell who exists.
        """
        dummy = self._dummy()
        with self._errors("登录"), self._engine.connect() as conn:
            row = conn.execute(sa.select(users_table).where(users_table.c.name == name)).first()
        target = row.password_hash if row is not None and password else dummy
        try:
            matched = bool(self._hasher.verify(target, password or ""))
        except (VerificationError, InvalidHashError):
            matched = False
        if row is None:
            return None, f"未知用户 {name}", False
        if not password:
            return None, f"用户 {name} 未提供密码", False
        if not matched:
            return None, f"用户 {name} 密码错误", False
        if self._hasher.check_needs_rehash(row.password_hash):
            with self._errors("登录"), self._write() as conn:
                conn.execute(
                    users_table.update()
                    .where(users_table.c.name == name)
                    .values(password_hash=self._hasher.hash(password))
                )
        return User(row.name, row.role), "", bool(row.admin_policy_ok)

    def _dummy(self) -> str:
        """A hash with the store's argon2 parameters of a password nobody uses (made once per
        set of parameters in a process: the first attempt costs the same for any name)."""
        if self._dummy_hash is None:
            h = self._hasher
            self._dummy_hash = _dummy_hash(
                h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type
            )
        return self._dummy_hash

    def _lock_remaining(self, subjects: Iterable[str], now: dt.datetime) -> float:
        """Seconds until none of ``subjects`` is locked (0: not locked)."""
        with self._errors("登录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_failures_table.c.locked_until).where(
                    login_failures_table.c.subject.in_(list(subjects))
                )
            ).all()
        waits = [(utc(r.locked_until) - now).total_seconds() for r in rows if r.locked_until]
        return max([0.0, *waits])

    def _record_failure(
        self, subjects: Iterable[str], name: str, client: str, why: str, now: dt.datetime
    ) -> int:
        """Count a failure for each subject; the seconds of a lock it started (0: none)."""
        locks: list[int] = []
        counts: list[int] = []
        with self._errors("登录"), self._write() as conn:
            for subject in subjects:
                if self.backend == "postgresql":
                    conn.execute(
                        sa.select(
                            sa.func.pg_advisory_xact_lock(
                                _LOGIN_LOCK_SPACE, sa.func.hashtext(subject)
                            )
                        )
                    )
                row = conn.execute(
                    sa.select(login_failures_table)
                    .where(login_failures_table.c.subject == subject)
                    .with_for_update()
                ).first()
                fresh = row is None or (
                    (now - utc(row.last_failure_at)).total_seconds() > FAILURE_MEMORY_S
                )
                failures = 1 if fresh or row is None else int(row.failures) + 1
                lock = lock_seconds(failures)
                values = {
                    "failures": failures,
                    "last_failure_at": now,
                    "locked_until": now + dt.timedelta(seconds=lock) if lock else None,
                }
                if row is None:
                    conn.execute(login_failures_table.insert().values(subject=subject, **values))
                else:
                    conn.execute(
                        login_failures_table.update()
                        .where(login_failures_table.c.subject == subject)
                        .values(**values)
                    )
                counts.append(failures)
                locks.append(lock)
            text = f"{why}(连续失败：用户名 {counts[0]} 次，客户端 {counts[-1]} 次)"
            if max(locks):
                text += f"，暂停登录 {max(locks)} 秒"
            self._insert_login_log(conn, name, client, "failed", text, now)
        if max(locks):
            log.warning("登录失败，已暂停登录 %s 秒：%s，客户端 %s", max(locks), text, client)
        else:
            log.info("登录失败：%s，客户端 %s", text, client)
        return max(locks)

    def _record_success(self, subject: str, name: str, client: str) -> None:
        with self._errors("登录"), self._write() as conn:
            conn.execute(
                login_failures_table.delete().where(login_failures_table.c.subject == subject)
            )
            self._insert_login_log(conn, name, client, "ok", f"用户 {name} 登录", self._now())
        log.info("登录成功：用户 %s，客户端 %s", name, client)

    def _log_login(self, name: str, client: str, outcome: str, message: str) -> None:
        with self._errors("登录"), self._write() as conn:
            self._insert_login_log(conn, name, client, outcome, message, self._now())
        log.warning("登录被拒绝：%s，客户端 %s", message, client)

    @staticmethod
    def _insert_login_log(
        conn: Connection, name: str, client: str, outcome: str, message: str, at: dt.datetime
    ) -> None:
        conn.execute(
            login_log_table.insert().values(
                at=at, user_name=name[:100], client=client, outcome=outcome, message=message
            )
        )

    def lockouts(self) -> list[Lockout]:
        """Current failure counters (``user:名字`` and ``client:地址``), newest first."""
        with self._errors("读取登录记录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_failures_table).order_by(
                    login_failures_table.c.last_failure_at.desc()
                )
            ).all()
        return [
            Lockout(
                r.subject,
                int(r.failures),
                utc(r.last_failure_at),
                utc(r.locked_until) if r.locked_until else None,
            )
            for r in rows
        ]

    def unlock(self, *, user: str | None = None, client: str | None = None) -> int:
        """Forget the failures of a user name and/or a client; how many counters were reset."""
        subjects = ([f"user:{user}"] if user else []) + ([f"client:{client}"] if client else [])
        if not subjects:
            raise UserAdminError("请指定要解除锁定的用户名或客户端")
        with self._errors("解除锁定"), self._write() as conn:
            res = conn.execute(
                login_failures_table.delete().where(login_failures_table.c.subject.in_(subjects))
            )
        return int(res.rowcount or 0)

    def login_log(self, limit: int = 50) -> list[LoginEvent]:
        """The newest ``limit`` logged login attempts, oldest first."""
        with self._errors("读取登录记录"), self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(login_log_table).order_by(login_log_table.c.id.desc()).limit(limit)
            ).all()
        return [
            LoginEvent(int(r.id), utc(r.at), r.user_name, r.client, r.outcome, r.message)
            for r in reversed(rows)
        ]
