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


class StoreError(LcgisError):
    """The review store cannot be opened or used (missing folder, connection, busy)."""


class SchemaTooNewError(StoreError):
    """The review database was written by a newer lcgis; opening it is refused."""


class UserAdminError(LcgisError):
    """A user cannot be added or changed (name taken, unknown role, empty password)."""


class ChangeRefused(LcgisError):
    """A review change was refused; it is logged in the history with accepted = false.

    ``entry`` is the logged history entry (a :class:`lcgis.review.HistoryEntry`).
    """

    def __init__(self, message: str, entry: object | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class StaleVersionError(ChangeRefused):
    """Someone else changed the parcel's review since the version the caller read."""


class PermissionDeniedError(ChangeRefused):
    """The user's role may not make this change (e.g. a viewer)."""


class AuthenticationError(ChangeRefused):
    """Unknown user or wrong password."""


class InvalidChangeError(ChangeRefused):
    """The change itself is invalid (unknown status, bad date, empty parcel id)."""


class NoChangeError(ChangeRefused):
    """The change would leave every value as it is (内容未变)."""
