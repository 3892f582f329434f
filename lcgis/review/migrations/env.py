"""Alembic environment: migrate the connection that :mod:`lcgis.review.db` hands over.

The store opens the transaction (and takes the migration lock) itself, passes the connection
as ``config.attributes["connection"]`` and calls ``alembic.command.upgrade``; no alembic.ini.
"""

from __future__ import annotations

from alembic import context


def run_migrations() -> None:
    """Run the pending revisions on the connection given by the caller."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("lcgis migrations run only through lcgis.review (no URL configured)")
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


try:
    _configured = getattr(context, "config", None) is not None
except NameError:  # imported outside Alembic (e.g. by pytest --doctest-modules)
    _configured = False
if _configured:
    run_migrations()
