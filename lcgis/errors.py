"""Error classes of lcgis. Messages are in Chinese and say what to fix."""

from __future__ import annotations


class LcgisError(Exception):
    """Base class: an error the user can fix (bad data, bad options)."""


class DataError(LcgisError):
    """Input data cannot be used; carries the quality report when there is one."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class RulesError(LcgisError):
    """A rules file has an unknown key, a wrong type or a bad value."""


class UsageError(LcgisError):
    """The command was called wrongly (exit status 2)."""
