"""What keeps the review store honest from outside the database: the chain key and the witness.

Both live in the installation's state folder (:func:`state_dir`: env ``LCGIS_STATE_DIR``, else
``$XDG_STATE_HOME/lcgis``, else ``~/.local/state/lcgis``), never in the database itself:

* the **chain key** ``review.key`` (32 random bytes, hex; the file is created ``0600`` in a
  ``0700`` folder) keys the HMAC-SHA256 of every history entry, so someone who can rewrite the
  database but cannot read this file cannot forge a consistent chain;
* the **witness** ``review-<store>.witness``: one line per commit, appended (``O_APPEND``) after
  the store's transaction has committed, with the chain head (sequence number and hash) and an
  HMAC of it. It only ever grows; a store whose chain no longer contains a witnessed head was
  truncated, re-created or rewritten. Administrators may make it append-only in the file
  system as well (``chattr +a``).

No SQLAlchemy and no Streamlit here: plain files and :mod:`hmac`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from lcgis.errors import StoreError
from lcgis.review.times import iso

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "GENESIS_HASH",
    "KEY_NAME",
    "SCHEME_KEYED",
    "SCHEME_LEGACY",
    "STATE_ENV",
    "ChainKey",
    "Witness",
    "WitnessLine",
    "create_key",
    "entry_hash",
    "entry_mac",
    "load_key",
    "load_or_create_key",
    "state_dir",
]

#: Environment variable naming the state folder.
STATE_ENV: Final = "LCGIS_STATE_DIR"
#: File name of the chain key inside the state folder.
KEY_NAME: Final = "review.key"
log = logging.getLogger("lcgis.review.store")
#: Bytes read from the end of the witness to find the newest head (covers many lines).
_TAIL_BYTES: Final = 8192


#: The default store: this file in the state folder.
SQLITE_NAME: Final = "review.sqlite"


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The installation's state folder (not created here).

    >>> state_dir({"LCGIS_STATE_DIR": "lcgis-state"}).as_posix()
    'lcgis-state'
    >>> state_dir({"XDG_STATE_HOME": "xdg", "HOME": "home"}).as_posix()
    'xdg/lcgis'
    >>> state_dir({"HOME": "home"}).as_posix()
    'home/.local/state/lcgis'
    """
    env = os.environ if environ is None else environ
    if env.get(STATE_ENV):
        return Path(env[STATE_ENV])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "lcgis"
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "lcgis"


def ensure_state_dir(folder: Path) -> Path:
    """Create the state folder (``0700``) if needed (a Chinese :class:`StoreError` if not)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreError(
            f"无法创建状态目录 {folder}({exc.strerror or exc})：请用环境变量 {STATE_ENV} "
            "指定一个可写的目录"
        ) from exc
    return folder


@dataclasses.dataclass(frozen=True, repr=False)
class ChainKey:
    """The secret that keys the history's HMACs (never printed: ``repr`` hides it)."""

    secret: bytes
    path: Path

    def __repr__(self) -> str:
        return f"ChainKey({self.path}, id={self.key_id})"

    @property
    def key_id(self) -> str:
        """A fingerprint that tells keys apart without revealing them (16 hex digits)."""
        return self.mac(b"lcgis review key id")[:16]

    def mac(self, message: bytes) -> str:
        """HMAC-SHA256 of ``message``, hex."""
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


def load_key(folder: Path) -> ChainKey | None:
    """The key in ``folder``, or ``None`` when there is no key file."""
    path = folder / KEY_NAME
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"无法读取密钥文件 {path}：{exc}") from exc
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) < 16:
        raise StoreError(f"密钥文件 {path} 已损坏(应为 64 位十六进制数)：请从备份恢复")
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            log.warning("密钥文件 %s 的权限过宽：请用 chmod 600 使其只有本用户可读", path)
    return ChainKey(secret, path)


def create_key(folder: Path) -> ChainKey:
    """Create the key file (``0600``) atomically; if another process was first, read its key."""
    ensure_state_dir(folder)
    path = folder / KEY_NAME
    tmp = folder / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # never replaces a key that exists
    except OSError as exc:
        raise StoreError(f"无法创建密钥文件 {path}({exc.strerror or exc})") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    key = load_key(folder)
    assert key is not None
    return key


def load_or_create_key(folder: Path) -> ChainKey:
    """The key in ``folder``, created first if there is none."""
    return load_key(folder) or create_key(folder)


@dataclasses.dataclass(frozen=True)
class WitnessLine:
    """One witnessed chain head; ``line`` is its 1-based line number in the file."""

    line: int
    seq: int
    hash: str
    at: str
    mac: str


class Witness:
    """The append-only witness file of one store (``identity`` names the store)."""

    def __init__(self, folder: Path, identity: str) -> None:
        self.folder = folder
        self.identity = identity
        slug = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
        self.path = folder / f"review-{slug}.witness"

    def _message(self, seq: int, digest: str, at: str) -> bytes:
        return f"lcgis witness|{self.identity}|{seq}|{digest}|{at}".encode()

    def append(self, key: ChainKey, seq: int, digest: str) -> None:
        """Append the head ``(seq, digest)``: one ``write`` on an ``O_APPEND`` descriptor."""
        ensure_state_dir(self.folder)
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        mac = key.mac(self._message(seq, digest, at))
        record = {"seq": seq, "hash": digest, "at": at, "mac": mac}
        line = json.dumps(record, separators=(",", ":")) + "\n"
        if not self.path.exists():
            self._create()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND, 0o600)
        try:
            os.write(fd, line.encode("ascii"))
        finally:
            os.close(fd)

    def _create(self) -> None:
        """The file with its header line, created whole or not at all: written aside and
        hard-linked into place, so that of writers racing to create it (threads or
        processes) exactly one header lands and no record comes before it."""
        header = json.dumps({"witness": 1, "store": self.identity}, ensure_ascii=False)
        aside = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, (header + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(aside, self.path)
        except FileExistsError:
            pass  # another writer created it first
        finally:
            os.unlink(aside)

    def exists(self) -> bool:
        return self.path.is_file()

    def newest(self) -> WitnessLine | None:
        """The witnessed head with the highest sequence number among the last lines.

        Concurrent writers may append out of order; reading a few kilobytes from the end
        covers them. Unparsable lines are skipped here (:meth:`read` reports them).
        """
        try:
            with open(self.path, "rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - _TAIL_BYTES))
                tail = fh.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"无法读取见证文件 {self.path}：{exc}") from exc
        lines = tail.splitlines()
        if size > _TAIL_BYTES:
            lines = lines[1:]  # the first one may be cut
        best: WitnessLine | None = None
        for raw in lines:
            parsed = _parse(0, raw)
            if isinstance(parsed, WitnessLine) and (best is None or parsed.seq > best.seq):
                best = parsed
        return best

    def read(self, key: ChainKey | None) -> tuple[list[WitnessLine], str | None]:
        """All witnessed heads and the first problem (Chinese, names the line) or ``None``.

        With ``key``, every line's HMAC is checked.
        """
        try:
            raw_lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return [], None
        except OSError as exc:
            return [], f"无法读取见证文件 {self.path}：{exc}"
        out: list[WitnessLine] = []
        for number, raw in enumerate(raw_lines, start=1):
            if number == 1 and raw.startswith(b'{"witness"'):
                continue
            parsed = _parse(number, raw)
            if isinstance(parsed, str):
                return out, f"见证文件 {self.path} 第 {number} 行{parsed}"
            if key is not None and not hmac.compare_digest(
                parsed.mac, key.mac(self._message(parsed.seq, parsed.hash, parsed.at))
            ):
                return out, f"见证文件 {self.path} 第 {number} 行被改动(校验码与密钥不符)"
            out.append(parsed)
        return out, None


def _parse(number: int, raw: bytes) -> WitnessLine | str:
    """A witness line, or what is wrong with it (Chinese)."""
    try:
        data = json.loads(raw)
        line = WitnessLine(
            number, int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["mac"])
        )
    except (ValueError, KeyError, TypeError):
        return "无法识别(不是见证记录)"
    if line.seq < 1:
        return "的序号无效"
    return line


# --- history entries ----------------------------------------------------------------------

#: ``prev_hash`` of the first history entry.
GENESIS_HASH: Final = "0" * 64
#: History entry hashing: 1 = SHA-256 without dataset (revision 0001), 2 = keyed HMAC.
SCHEME_LEGACY: Final = 1
SCHEME_KEYED: Final = 2


def canonical_json(obj: object) -> str:
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def entry_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of an entry's fields (including ``prev_hash``): how
    scheme 1 entries (written before revision 0002) are hashed.

    The fields are ``seq, parcel_id, user, at`` (ISO UTC, microseconds), ``old, new, status,
    accepted, message, version, prev_hash``; keys sorted, UTF-8, no spaces.
    """
    return hashlib.sha256(canonical_json(dict(fields)).encode("utf-8")).hexdigest()


def entry_mac(key: ChainKey, fields: Mapping[str, Any]) -> str:
    """HMAC-SHA256, keyed by the chain key, of the canonical JSON of a scheme 2 entry's fields
    (those of :func:`entry_hash` and ``dataset_id``)."""
    return key.mac(b"lcgis review entry|" + canonical_json(dict(fields)).encode("utf-8"))


def hash_fields(
    *,
    seq: int,
    parcel_id: str,
    user: str,
    at: dt.datetime,
    old: Any,
    new: Any,
    status: str | None,
    accepted: bool,
    message: str,
    version: int,
    prev_hash: str,
    dataset_id: str | None = None,
) -> dict[str, Any]:
    fields = {
        "seq": int(seq),
        "parcel_id": parcel_id,
        "user": user,
        "at": iso(at),
        "old": old,
        "new": new,
        "status": status,
        "accepted": bool(accepted),
        "message": message,
        "version": int(version),
        "prev_hash": prev_hash,
    }
    if dataset_id is not None:
        fields["dataset_id"] = dataset_id
    return fields
