"""A whole season as one JSON document, to back it up or move it between SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Time, inspect, select

from .extensions import db
from .models import (
    AvailabilityWindow,
    BlackoutDate,
    FeedToken,
    Overnight,
    Plan,
    RefusedDate,
    Request,
    Season,
    Team,
    TeamMember,
    UnservedRequest,
    UTCDateTime,
    Venue,
    Visit,
    new_token,
    now_utc,
)

FORMAT = "tourplanner-season/1"
# Parents before children, so that every foreign key can be mapped to its new id on import.
TABLES = (Season, Team, TeamMember, Venue, Request, AvailabilityWindow, BlackoutDate, RefusedDate, Plan, Visit,
          Overnight, UnservedRequest, FeedToken)


class BackupError(ValueError):
    """The document cannot be imported; nothing was written."""


def _rows(model, season_id: int, ids: dict) -> list:
    """The rows of one table that belong to the season."""
    if model is Season:
        return [db.session.get(Season, season_id)]
    if model is Venue:
        return list(db.session.scalars(
            select(Venue).where(Venue.id.in_(select(Request.venue_id).where(Request.season_id == season_id)))
            .order_by(Venue.id)))
    if hasattr(model, "season_id"):
        return list(db.session.scalars(select(model).where(model.season_id == season_id).order_by(model.id)))
    parent_column = {TeamMember: ("team_id", Team), AvailabilityWindow: ("request_id", Request),
                     BlackoutDate: ("request_id", Request), RefusedDate: ("request_id", Request),
                     Visit: ("plan_id", Plan),
                     Overnight: ("plan_id", Plan), UnservedRequest: ("plan_id", Plan)}[model]
    column, parent = parent_column
    parent_ids = ids[parent.__tablename__]
    if not parent_ids:
        return []
    return list(db.session.scalars(select(model).where(getattr(model, column).in_(parent_ids)).order_by(model.id)))


def _dump_value(column, value):
    if value is None:
        return None
    if isinstance(column.type, (UTCDateTime, DateTime)):
        return value.isoformat()
    if isinstance(column.type, (Date, Time)):
        return value.isoformat()
    return value


def _load_value(column, value):
    if value is None:
        return None
    if isinstance(column.type, (UTCDateTime, DateTime)):
        return dt.datetime.fromisoformat(value)
    if isinstance(column.type, Date):
        return dt.date.fromisoformat(value)
    if isinstance(column.type, Time):
        return dt.time.fromisoformat(value)
    return value


def export_season(season: Season) -> dict:
    """Every row of a season (requests, teams, plans, tokens as hashes) as JSON-ready data."""
    ids: dict[str, list[int]] = {}
    tables = {}
    for model in TABLES:
        rows = _rows(model, season.id, ids)
        ids[model.__tablename__] = [row.id for row in rows]
        columns = inspect(model).columns
        tables[model.__tablename__] = [
            {column.key: _dump_value(column, getattr(row, column.key)) for column in columns} for row in rows
        ]
    return {"format": FORMAT, "season": season.name, "exported_dt": now_utc().isoformat(), "tables": tables}


def import_season(data: dict, *, keep_tokens: bool = True, rename: str | None = None) -> Season:
    """Recreate a season from export_season(); ids are new, links kept or revoked by choice."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupError(f"not a season backup (expected format {FORMAT!r})")
    tables = data.get("tables") or {}
    missing = [m.__tablename__ for m in TABLES if m.__tablename__ not in tables]
    if missing:
        raise BackupError(f"the backup has no table {missing[0]!r}")
    name = rename or data.get("season")
    if db.session.scalar(select(Season).where(Season.name == name)):
        raise BackupError(f"a season named {name!r} exists already; import it under another name")
    if keep_tokens:
        hashes = [r["status_token_hash"] for r in tables["request"] if r.get("status_token_hash")]
        hashes += [r["token_hash"] for r in tables["feed_token"]]
        taken = db.session.scalar(select(Request.id).where(Request.status_token_hash.in_(hashes)).limit(1)) or \
            db.session.scalar(select(FeedToken.id).where(FeedToken.token_hash.in_(hashes)).limit(1))
        if taken:
            raise BackupError("this database already has the backup's links (a copy of the same season?); "
                              "import with the links revoked instead")
    new_ids: dict[str, dict[int, int]] = {}
    try:
        for model in TABLES:
            mapper = inspect(model)
            mapping = new_ids.setdefault(model.__tablename__, {})
            for row in tables[model.__tablename__]:
                values = {}
                for column in mapper.columns:
                    if column.key == "id" or column.key not in row:
                        continue
                    value = _load_value(column, row[column.key])
                    for fk in column.foreign_keys:
                        if value is not None:
                            target = new_ids.get(fk.column.table.name, {})
                            if value not in target:
                                raise BackupError(
                                    f"{model.__tablename__} row {row.get('id')}: {column.key} points to a missing "
                                    f"{fk.column.table.name} {value}")
                            value = target[value]
                    values[column.key] = value
                if model is Season:
                    values["name"] = name
                if not keep_tokens and model is Request:
                    values["status_token_hash"] = None
                if not keep_tokens and model is FeedToken:
                    # A revoked link keeps its row (who had a feed) but no usable hash.
                    values["token_hash"] = new_token()[1]
                    values["revoked_dt"] = values.get("revoked_dt") or now_utc()
                instance = model(**values)
                db.session.add(instance)
                db.session.flush()
                mapping[row["id"]] = instance.id
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return db.session.scalar(select(Season).where(Season.name == name))
