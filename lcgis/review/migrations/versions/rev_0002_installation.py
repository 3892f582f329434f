"""One store per installation: reviews keyed by dataset, keyed chain, login throttling.

* ``reviews`` gets ``dataset_id`` (primary key ``dataset_id, parcel_id``); ``review_history``
  gets ``dataset_id`` and ``scheme`` (1: the SHA-256 entries written before this revision,
  2: HMAC entries keyed by the installation's chain key). Rows that existed before belong to
  the dataset ``legacy`` and keep scheme 1, so their hashes still verify.
* ``review_chain`` gets ``key_id``, the fingerprint of the key that signs the chain.
* ``users`` gets ``admin_policy_ok``: whether the password meets the admin policy (unknown
  for old users, so false; checked again at their next login).
* New ``login_failures`` (per user and per client, for the back-off) and ``login_log``.

Revision ID: 0002
Revises: 0001
Create Date: 2025-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
#: Dataset of the reviews and entries written before stores were per installation.
LEGACY_DATASET = "legacy"
_REVIEW_COLUMNS = (
    "parcel_id, status, reason, assignee, due_date, note, tags, version, updated_by, updated_at"
)


def upgrade() -> None:
    """Add the columns and tables; existing rows go to the dataset ``legacy``, scheme 1."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("admin_policy_ok", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "reviews_v2",
        sa.Column("dataset_id", sa.String(), nullable=False),
        sa.Column("parcel_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("assignee", sa.String(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("dataset_id", "parcel_id", name="pk_reviews"),
    )
    op.execute(
        sa.text(
            f"INSERT INTO reviews_v2 (dataset_id, {_REVIEW_COLUMNS}) "
            f"SELECT :legacy, {_REVIEW_COLUMNS} FROM reviews"
        ).bindparams(legacy=LEGACY_DATASET)
    )
    op.drop_table("reviews")
    op.rename_table("reviews_v2", "reviews")
    with op.batch_alter_table("review_history") as batch:
        batch.add_column(
            sa.Column("dataset_id", sa.String(), nullable=False, server_default=sa.text("'legacy'"))
        )
        batch.add_column(
            sa.Column("scheme", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
    op.create_index(
        "ix_review_history_dataset_parcel", "review_history", ["dataset_id", "parcel_id"]
    )
    with op.batch_alter_table("review_chain") as batch:
        batch.add_column(sa.Column("key_id", sa.String(32), nullable=True))
    op.create_table(
        "login_failures",
        sa.Column("subject", sa.String(), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _TS, nullable=False),
        sa.Column("locked_until", _TS, nullable=True),
    )
    op.create_table(
        "login_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("client", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    """Back to 0001 (development only: keyed entries no longer verify afterwards)."""
    op.drop_table("login_log")
    op.drop_table("login_failures")
    with op.batch_alter_table("review_chain") as batch:
        batch.drop_column("key_id")
    op.drop_index("ix_review_history_dataset_parcel", table_name="review_history")
    with op.batch_alter_table("review_history") as batch:
        batch.drop_column("scheme")
        batch.drop_column("dataset_id")
    op.create_table(
        "reviews_v1",
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
    op.execute(
        f"INSERT INTO reviews_v1 ({_REVIEW_COLUMNS}) SELECT {_REVIEW_COLUMNS} FROM reviews "
        f"WHERE dataset_id = '{LEGACY_DATASET}'"
    )
    op.drop_table("reviews")
    op.rename_table("reviews_v1", "reviews")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("admin_policy_ok")
