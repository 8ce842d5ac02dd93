"""The one stale-edit check: a save made from a page someone else has saved over since is refused, never merged.

Every editable row has a version column (SQLAlchemy's version_id_col): the form carries the version it was
shown with, the save checks it before writing, and a save that loses the race at commit raises as well.
Intake, planning and plan edits all use these; the views turn EditConflict into one 409 page.
"""

from __future__ import annotations

from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db


class EditConflict(Exception):
    """Someone else saved the record since this form was loaded: reload, never overwrite."""

    def __init__(self, message: str = "the record was changed by someone else; reload the page"):
        super().__init__(message)


def check_version(row, posted) -> None:
    """The version the form was shown with must still be the row's version."""
    try:
        seen = int(str(posted).strip())
    except (TypeError, ValueError):
        raise EditConflict("the form carried no version; reload the page and try again") from None
    if seen != row.version:
        raise EditConflict(f"{type(row).__name__.lower()} was changed by someone else; reload the page")


def bump_version(row, column: str = "name") -> None:
    """Make this save a new version even when only related rows change (a team's members), so that the
    next save from an older page is caught."""
    flag_modified(row, column)


def commit_or_conflict() -> None:
    """Commit; a row someone else saved in between (the version moved under us) is a conflict, not a write."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise EditConflict("the record was changed by someone else while saving; reload the page") from None
