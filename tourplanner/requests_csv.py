"""The requests CSV of formats.md section 1: parse, import (all rows or none) and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import geo
from .extensions import db
from .models import COUNTRIES, VENUE_TYPES, AvailabilityWindow, Request, Season, Venue
from .optimize.calendar import WEEKDAYS
from .spreadsheet import from_cell, safe_row

COLUMNS = (
    "ref", "venue_name", "venue_type", "contact_name", "contact_email", "contact_phone",
    "street", "city", "region", "postal_code", "country", "latitude", "longitude",
    "audience", "duration_minutes", "priority", "windows", "notes",
)
REQUIRED = ("ref", "venue_name", "venue_type", "contact_email", "country", "windows")
ALL_WEEKDAYS = ",".join(WEEKDAYS)
LIMITS = {  # the column widths in models.py
    "ref": 40, "venue_name": 200, "contact_name": 120, "contact_email": 254, "contact_phone": 40,
    "street": 200, "city": 120, "region": 3, "postal_code": 10, "notes": 5000,
}
WINDOW_RE = re.compile(
    r"^(?P<first>\d{4}-\d{2}-\d{2})(?:\.\.(?P<last>\d{4}-\d{2}-\d{2}))?"
    r"(?:\s+(?P<days>[a-z]{3}(?:,[a-z]{3})*))?\s+(?P<start>\d{1,2}:\d{2})-(?P<end>\d{1,2}:\d{2})$"
)


# An upload is imported inside the request (geocoding every row): 2 MB took about 14 s. Above this size the
# page refuses the file and says to split it, or to use `flask import-requests`, which has no limit.
MAX_UPLOAD_BYTES = 512 * 1024


class CSVImportError(ValueError):
    """Every problem found in a file; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems[:20]) + (f" (+{len(problems) - 20} more)" if len(problems) > 20 else ""))


@dataclass(frozen=True)
class WindowSpec:
    """One `windows` item: days from first to last on the given weekdays, local hours."""

    first_date: dt.date
    last_date: dt.date
    weekdays: str
    start_time: dt.time
    end_time: dt.time


@dataclass
class RequestRow:
    """One validated CSV row, ready to be written."""

    line: int
    values: dict
    windows: list[WindowSpec] = field(default_factory=list)


def parse_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def parse_window(item: str) -> WindowSpec:
    """Read one `windows` item; ValueError says what is wrong with it."""
    match = WINDOW_RE.match(item.strip().lower())
    if not match:
        raise ValueError("expected 'YYYY-MM-DD HH:MM-HH:MM' or 'YYYY-MM-DD..YYYY-MM-DD mon,tue HH:MM-HH:MM'")
    first = dt.date.fromisoformat(match["first"])
    last = dt.date.fromisoformat(match["last"]) if match["last"] else first
    if last < first:
        raise ValueError("the range ends before it starts")
    days = match["days"] or ALL_WEEKDAYS
    unknown = [d for d in days.split(",") if d not in WEEKDAYS]
    if unknown:
        raise ValueError(f"unknown weekday {unknown[0]!r} (use mon,tue,wed,thu,fri,sat,sun)")
    ordered = ",".join(d for d in WEEKDAYS if d in days.split(","))
    start, end = parse_time(match["start"]), parse_time(match["end"])
    if end <= start:
        raise ValueError("the hours end before they start")
    return WindowSpec(first, last, ordered, start, end)


def format_window(window: WindowSpec | AvailabilityWindow) -> str:
    hours = f"{window.start_time:%H:%M}-{window.end_time:%H:%M}"
    if window.first_date == window.last_date and window.weekdays == ALL_WEEKDAYS:
        return f"{window.first_date.isoformat()} {hours}"
    days = "" if window.weekdays == ALL_WEEKDAYS else f" {window.weekdays}"
    return f"{window.first_date.isoformat()}..{window.last_date.isoformat()}{days} {hours}"


def _int(row: dict, column: str, default, low: int, high: int, problems: list[str], where: str):
    text = (row.get(column) or "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        problems.append(f"{where}, column {column}: {text!r} is not a whole number")
        return default
    if not low <= value <= high:
        problems.append(f"{where}, column {column}: {value} is outside {low}..{high}")
    return value


def _float(row: dict, column: str, low: float, high: float, problems: list[str], where: str):
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        problems.append(f"{where}, column {column}: {text!r} is not a number")
        return None
    if not low <= value <= high:
        problems.append(f"{where}, column {column}: {value} is outside {low}..{high}")
    return value


def validate_row(row: dict, line: int, season: Season) -> tuple[RequestRow | None, list[str]]:
    """Check one row against formats.md section 1; returns the row or the problems naming it."""
    where = f"row {line}"
    problems: list[str] = []
    values = {column: from_cell((row.get(column) or "").strip()) for column in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            problems.append(f"{where}, column {column}: required")
    for column, limit in LIMITS.items():
        if len(values[column]) > limit:
            problems.append(f"{where}, column {column}: longer than {limit} characters")
    if values["venue_type"] and values["venue_type"] not in VENUE_TYPES:
        problems.append(f"{where}, column venue_type: {values['venue_type']!r} is not one of {', '.join(VENUE_TYPES)}")
    values["country"] = values["country"].upper()
    if values["country"] and values["country"] not in COUNTRIES:
        problems.append(f"{where}, column country: {values['country']!r} is not US or CA")
    values["region"] = values["region"].upper()
    if not values["postal_code"] and not (values["city"] and values["region"]):
        if not (values["latitude"] and values["longitude"]):
            problems.append(f"{where}, column city: city and region, or postal_code, are required")
    if values["contact_email"]:
        try:
            values["contact_email"] = validate_email(values["contact_email"], check_deliverability=False).normalized
        except EmailNotValidError as exc:
            problems.append(f"{where}, column contact_email: {exc}")
    values["audience"] = _int(row, "audience", 50, 0, 100000, problems, where)
    values["duration_minutes"] = _int(row, "duration_minutes", None, 15, 600, problems, where)
    values["priority"] = _int(row, "priority", 3, 1, 5, problems, where)
    values["latitude"] = _float(row, "latitude", -90, 90, problems, where)
    values["longitude"] = _float(row, "longitude", -180, 180, problems, where)
    if (values["latitude"] is None) != (values["longitude"] is None):
        problems.append(f"{where}, column latitude: latitude and longitude go together")
    windows = []
    for item in filter(None, (part.strip() for part in values["windows"].split(";"))):
        try:
            window = parse_window(item)
        except ValueError as exc:
            problems.append(f"{where}, column windows, item {item!r}: {exc}")
            continue
        if window.last_date < season.start_date or window.first_date > season.end_date:
            problems.append(
                f"{where}, column windows, item {item!r}: outside the season "
                f"({season.start_date}..{season.end_date})"
            )
            continue
        windows.append(window)
    if problems:
        return None, problems
    return RequestRow(line, values, windows), []


def read_rows(text: str, season: Season) -> list[RequestRow]:
    """Parse and validate a whole file; raises CSVImportError listing every bad row and column."""
    try:
        return _read_rows(text, season)
    except csv.Error as exc:  # NUL bytes, a quote left open across the file, ...
        raise CSVImportError([f"the file cannot be read as CSV: {exc}"]) from exc


def _read_rows(text: str, season: Season) -> list[RequestRow]:
    if "\x00" in text:
        raise CSVImportError(["the file contains NUL bytes: it is not a text CSV"])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = reader.fieldnames or []
    problems = [f"header: unknown column {name!r}" for name in header if name not in COLUMNS]
    problems += [f"header: missing column {name!r}" for name in REQUIRED if name not in header]
    if problems:
        raise CSVImportError(problems)
    rows, seen = [], {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            problems.append(f"row {line}: more fields than the header has")
            continue
        parsed, row_problems = validate_row(row, line, season)
        problems += row_problems
        if parsed:
            ref = parsed.values["ref"]
            if ref in seen:
                problems.append(f"row {line}, column ref: {ref!r} repeats row {seen[ref]}")
            seen[ref] = line
            rows.append(parsed)
    if problems:
        raise CSVImportError(problems)
    return rows


def place_venue(venue: Venue, values: dict, locate=None) -> None:
    """Set a venue's point: given coordinates, else the geocoder; a coordinator's correction stays."""
    if venue.location_corrected:
        return
    if values["latitude"] is not None:
        venue.lat, venue.lon = values["latitude"], values["longitude"]
        venue.tz = geo.timezone_at(venue.lat, venue.lon)
        venue.geocode_source, venue.geocode_precision = "given", "given"
        return
    place = (locate or geo.locate)(
        country=values["country"], region=values["region"], city=values["city"],
        postal_code=values["postal_code"], street=values["street"],
    )
    venue.lat, venue.lon, venue.tz = place.lat, place.lon, place.tz
    venue.geocode_source, venue.geocode_precision = place.source, place.precision


def import_requests(text: str, season: Season, *, locate=None) -> tuple[int, int]:
    """Import a requests CSV into a season: all rows or nothing. Returns (created, updated)."""
    rows = read_rows(text, season)
    existing = {r.ref: r for r in db.session.scalars(select(Request).where(Request.season_id == season.id))}
    problems: list[str] = []
    created = updated = 0
    try:
        for row in rows:
            v = row.values
            request = existing.get(v["ref"])
            venue = request.venue if request else Venue()
            for attr, column in (("name", "venue_name"), ("type", "venue_type"), ("street", "street"),
                                 ("city", "city"), ("region", "region"), ("postal_code", "postal_code"),
                                 ("country", "country")):
                setattr(venue, attr, v[column])
            try:
                place_venue(venue, v, locate)
            except Exception as exc:  # the geocoder's error names the address
                problems.append(f"row {row.line}, column city: cannot place the venue: {exc}")
                continue
            if request is None:
                request = Request(season=season, ref=v["ref"], status="approved")
                db.session.add(request)
                created += 1
            else:
                updated += 1
            request.venue = venue
            for attr in ("contact_name", "contact_email", "contact_phone", "audience",
                         "duration_minutes", "priority", "notes"):
                setattr(request, attr, v[attr])
            request.windows = [
                AvailabilityWindow(first_date=w.first_date, last_date=w.last_date, weekdays=w.weekdays,
                                   start_time=w.start_time, end_time=w.end_time)
                for w in row.windows
            ]
            request.blackouts = []
        if problems:
            raise CSVImportError(problems)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return created, updated


def window_items(request: Request) -> list[str]:
    """The request's windows as CSV items, with blackout days cut out of the ranges."""
    blackout = {b.day for b in request.blackouts}
    items = []
    for window in request.windows:
        if not blackout:
            items.append(format_window(window))
            continue
        day, run_start = window.first_date, None
        while day <= window.last_date + dt.timedelta(days=1):
            open_day = day <= window.last_date and day not in blackout
            if open_day and run_start is None:
                run_start = day
            if not open_day and run_start is not None:
                items.append(format_window(WindowSpec(run_start, day - dt.timedelta(days=1), window.weekdays,
                                                      window.start_time, window.end_time)))
                run_start = None
            day += dt.timedelta(days=1)
    return items


def _number(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def export_requests(season: Season) -> str:
    """The season's requests as formats.md section 1 CSV, ordered by ref."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    requests = db.session.scalars(
        select(Request).where(Request.season_id == season.id).order_by(Request.ref)
        .options(selectinload(Request.venue), selectinload(Request.windows), selectinload(Request.blackouts))
    ).all()
    for r in requests:
        v = r.venue
        keep_point = v.geocode_source in ("given", "coordinator") and v.lat is not None
        writer.writerow(safe_row([
            r.ref, v.name, v.type, r.contact_name, r.contact_email, r.contact_phone,
            v.street, v.city, v.region, v.postal_code, v.country,
            _number(v.lat) if keep_point else "", _number(v.lon) if keep_point else "",
            r.audience, _number(r.duration_minutes), r.priority, ";".join(window_items(r)), r.notes,
        ]))
    return out.getvalue()


