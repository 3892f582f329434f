"""The review store's tables (kept identical to the migrations; a test compares them)."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

_TS = sa.DateTime(timezone=True)
metadata = sa.MetaData()
users_table = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Column("admin_policy_ok", sa.Boolean(), nullable=False),
)
reviews_table = sa.Table(
    "reviews",
    metadata,
    sa.Column("dataset_id", sa.String(), primary_key=True),
    sa.Column("parcel_id", sa.String(), primary_key=True),
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("reason", sa.String(), nullable=True),
    sa.Column("assignee", sa.String(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("tags", sa.JSON(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("updated_by", sa.String(), nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)
history_table = sa.Table(
    "review_history",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("seq", sa.Integer(), nullable=False, unique=True),
    sa.Column("parcel_id", sa.String(), nullable=False, index=True),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("old", sa.JSON(), nullable=True),
    sa.Column("new", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(), nullable=True),
    sa.Column("accepted", sa.Boolean(), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("dataset_id", sa.String(), nullable=False),
    sa.Column("scheme", sa.Integer(), nullable=False),
    sa.Index("ix_review_history_dataset_parcel", "dataset_id", "parcel_id"),
)
chain_table = sa.Table(
    "review_chain",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("key_id", sa.String(32), nullable=True),
)
plans_table = sa.Table(
    "saved_plans",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("created_by", sa.String(), nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
)
login_failures_table = sa.Table(
    "login_failures",
    metadata,
    sa.Column("subject", sa.String(), primary_key=True),
    sa.Column("failures", sa.Integer(), nullable=False),
    sa.Column("last_failure_at", _TS, nullable=False),
    sa.Column("locked_until", _TS, nullable=True),
)
login_log_table = sa.Table(
    "login_log",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("at", _TS, nullable=False),
    sa.Column("user_name", sa.String(), nullable=False),
    sa.Column("client", sa.String(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
)
#: Columns added by revision 0002 (absent from a store still at 0001).
_ADDED_IN_0002: Final = {
    "users": ("admin_policy_ok",),
    "reviews": ("dataset_id",),
    "review_history": ("dataset_id", "scheme"),
    "review_chain": ("key_id",),
}


def legacy_table(table: sa.Table) -> sa.Table:
    """``table`` as revision 0001 had it (for verifying a read-only store not yet upgraded)."""
    dropped = _ADDED_IN_0002.get(table.name, ())
    columns = [
        sa.Column(c.name, c.type, primary_key=c.primary_key)
        for c in table.columns
        if c.name not in dropped
    ]
    return sa.Table(table.name, sa.MetaData(), *columns)
