"""Revisions of the review store schema, oldest first."""
