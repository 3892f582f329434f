"""Alembic migrations of the review store, run programmatically by :mod:`lcgis.review.db`.

No alembic.ini is needed: the store points Alembic at this folder, opens the transaction,
takes the migration lock and upgrades on open. It refuses a database whose revision is not
in ``versions/`` (written by a newer lcgis).

To add a revision, add ``versions/rev_NNNN_<what>.py`` (see ``script.py.mako``) with
``down_revision`` set to the current head and an ``upgrade()`` that keeps old data.
"""
