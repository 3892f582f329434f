"""The review store: per-parcel review status, a keyed hash-chained audit log, users and roles.

One store per installation, opened by URL (:func:`open_store` picks the default):

* SQLite file ``review.sqlite`` in the installation's state folder by default (env
  ``LCGIS_STATE_DIR``, else ``~/.local/state/lcgis``; see :mod:`lcgis.review.chain`), created
  on first use (WAL journal, busy timeout, ``BEGIN IMMEDIATE`` for every write);
* PostgreSQL when a URL is given (env ``LCGIS_DATABASE_URL``, e.g.
  ``postgresql+psycopg://user@host/db``; ``postgresql://`` is read as psycopg 3).

Users and roles belong to the installation; reviews and their history are keyed by a
**dataset id** (:func:`dataset_id`: the ``id`` in the dataset folder's ``dataset.toml``, else
the folder's absolute path), so one login works for every dataset and each dataset keeps its
own decisions.

The schema is managed by Alembic (``lcgis/review/migrations``): the store upgrades an older database
on open and refuses one whose revision is newer than this code (:class:`SchemaTooNewError`).

Every change to a review is one transaction that (1) takes the locks (SQLite: the database's
write lock, by ``BEGIN IMMEDIATE``; PostgreSQL: a transaction advisory lock on the parcel, then
the single row of ``review_chain`` by ``SELECT … FOR UPDATE`` — always in that order, so no
deadlock), (2) reads the parcel's review, (3) checks user, role, values and the version the
caller read, (4) appends a history entry (accepted or refused) whose HMAC, keyed by the
installation's chain key (kept outside the database), covers its fields and the previous
entry's hash, (5) writes the review if accepted, and (6) moves the chain head. After the
commit the head is appended to the store's witness file. So no update is lost, the history is
linear, and :meth:`ReviewStore.verify` detects an edited, deleted or reordered entry, a
``reviews`` table that differs from what replaying the history gives, a consistent rewrite of
the chain (no key), and a truncated or re-created store (the witness knows more).

Refused changes raise a subclass of :class:`~lcgis.errors.ChangeRefused` carrying the logged
entry; a save that changes nothing is refused as 内容未变.

Roles: ``viewer`` reads (confidential enterprise figures masked by :mod:`lcgis.access`),
``reviewer`` changes reviews, ``admin`` also manages users and imports data. The role is
re-read from the store by every change. Passwords are hashed with argon2 (argon2-cffi); there
are no default users or passwords; an admin's password has at least 12 characters and is not
the user name. Logins back off exponentially per user name and per client after 5 failures
(:func:`lock_seconds`), every attempt takes one argon2 verification whether or not the user
exists, and attempts are logged (``login_log`` and the ``lcgis.review.store`` logger).

The store is composed of one room per concern: :mod:`~lcgis.review.db` (URLs, engines,
transactions, schema), :mod:`~lcgis.review.users` and :mod:`~lcgis.review.login`,
:mod:`~lcgis.review.reviews` (reading), :mod:`~lcgis.review.changes` and
:mod:`~lcgis.review.seal` (writing the chain), :mod:`~lcgis.review.verify`,
:mod:`~lcgis.review.plans` and :mod:`~lcgis.review.export`; :mod:`lcgis.review` re-exports the
public names.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from lcgis.review import chain as review_seal
from lcgis.review.changes import ChangesMixin
from lcgis.review.datasets import dataset_id
from lcgis.review.db import resolve_database_url
from lcgis.review.plans import PlansMixin
from lcgis.review.verify import VerifyMixin

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from argon2 import PasswordHasher


class ReviewStore(ChangesMixin, PlansMixin, VerifyMixin):
    """The review store at ``url`` (SQLite or PostgreSQL), created or upgraded on open.

    Thread-safe (each call uses its own pooled connection); one instance per process — after
    ``fork`` make a new one. ``hasher`` lets tests choose cheaper argon2 parameters;
    ``state_dir`` is where the chain key and the witness live (default
    :func:`lcgis.review.chain.state_dir`); ``clock`` gives the current time (aware UTC; tests
    move it instead of sleeping). ``read_only`` opens without writing anything (no upgrade, no
    journal change): reading and :meth:`verify` work, changes are refused.
    """

    def __init__(
        self,
        url: str,
        *,
        hasher: PasswordHasher | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__(url, hasher=hasher, state_dir=state_dir, clock=clock, read_only=read_only)


def open_store(
    db: str | None = None,
    *,
    state_dir: str | os.PathLike[str] | None = None,
    hasher: PasswordHasher | None = None,
) -> ReviewStore:
    """Open (creating or upgrading if needed) the store chosen by :func:`resolve_database_url`;
    the default SQLite store's state folder is created (``0700``) on first use."""
    url = resolve_database_url(db, state_dir=state_dir)
    folder = Path(state_dir) if state_dir is not None else review_seal.state_dir()
    if not db and not os.environ.get("LCGIS_DATABASE_URL"):
        review_seal.ensure_state_dir(folder)
    return ReviewStore(url, hasher=hasher, state_dir=folder)


def read_government_delay(
    reason: str, data_dir: str | os.PathLike[str], db: str | None = None
) -> frozenset[str]:
    """Parcels of the dataset in ``data_dir`` whose current review gives ``reason``
    (政府原因: 53号令 第八条, no idle fee and no 无偿收回).

    Reads the installation's store (:func:`resolve_database_url`) read-only; a SQLite store
    that does not exist yet is read as empty (merely evaluating never creates a database).
    """
    url = resolve_database_url(db)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return frozenset()
    with ReviewStore(url, read_only=True) as store:
        found = store.reviews(dataset=dataset_id(data_dir))
    return frozenset(r.parcel_id for r in found if r.reason == reason)
