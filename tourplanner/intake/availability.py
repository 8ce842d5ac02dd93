"""Reading a venue's availability from the form: rows and blackout days checked against the season, and
the warnings for rows the tour cannot use (rest days, public holidays)."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Optional

from ..forms import CA_PROVINCES, US_STATES
from ..models import AvailabilityWindow, Season
from ..optimize.calendar import WEEKDAYS as WEEKDAY_CODES


def parse_blackouts(text: str) -> tuple[list[dt.date], list[str]]:
    """Dates from 'one per line or comma separated'; returns the dates and the pieces that are not dates."""
    days, bad = [], []
    for piece in re.split(r"[,;\s]+", text or ""):
        if not piece:
            continue
        try:
            day = dt.date.fromisoformat(piece)
        except ValueError:
            bad.append(piece)
            continue
        if day not in days:
            days.append(day)
    return sorted(days), bad


def describe_window(w: AvailabilityWindow) -> str:
    """'Feb 1 - Feb 26, Mon-Fri, 9:00-15:00': how people write availability."""
    days = [d for d in WEEKDAY_CODES if d in (w.weekdays or "").split(",")]
    if days == list(WEEKDAY_CODES[:5]):
        day_text = "Mon-Fri"
    elif days == list(WEEKDAY_CODES):
        day_text = "every day"
    else:
        day_text = ", ".join(d.capitalize() for d in days)
    span = f"{w.first_date:%b} {w.first_date.day}"
    if w.last_date != w.first_date:
        span += f" - {w.last_date:%b} {w.last_date.day}"
    return f"{span}, {day_text}, {w.start_time.hour}:{w.start_time:%M}-{w.end_time.hour}:{w.end_time:%M}"


def read_availability(form, season: Season, duration_minutes: int) -> Optional[tuple[list[AvailabilityWindow], list[dt.date]]]:
    """Check the availability rows and blackout dates of `form` against the season; errors go on the fields."""
    rules = season.effective_rules
    needed = duration_minutes + int(rules.get("setup_minutes", 0)) + int(rules.get("teardown_minutes", 0))
    first, last = season.start_date, season.end_date
    windows: list[AvailabilityWindow] = []
    ok = True
    for row in form.windows:
        sub = row.form
        if sub.is_blank():
            continue
        if sub.errors:  # unreadable dates or times: the field already says so
            ok = False
            continue
        problems = []
        for field, what in ((sub.first_date, "the first day"), (sub.last_date, "the last day"),
                            (sub.start_time, "the start time"), (sub.end_time, "the end time")):
            if field.data is None:
                field.errors.append(f"Enter {what}.")
                problems.append(field)
        if not sub.weekdays.data:
            sub.weekdays.errors.append("Tick at least one day of the week.")
            problems.append(sub.weekdays)
        if problems:
            ok = False
            continue
        if sub.last_date.data < sub.first_date.data:
            sub.last_date.errors.append("The last day comes before the first day.")
            ok = False
            continue
        for field in (sub.first_date, sub.last_date):
            if not first <= field.data <= last:
                field.errors.append(f"The tour runs from {first:%B} {first.day} to {last:%B} {last.day}, {last.year}; "
                                    f"pick a day in that time.")
                ok = False
        if sub.end_time.data <= sub.start_time.data:
            sub.end_time.errors.append("The end time must be later than the start time.")
            ok = False
        else:
            minutes = _minutes(sub.end_time.data) - _minutes(sub.start_time.data)
            if minutes < needed:
                sub.end_time.errors.append(
                    f"These hours are too short: the screening takes {duration_minutes} minutes plus "
                    f"{needed - duration_minutes} minutes to set up and pack up, {_hours(needed)} in all.")
                ok = False
        chosen = [d for d in WEEKDAY_CODES if d in sub.weekdays.data]
        # A row of rest days (or holidays) only is kept, with a warning (row_warnings): the form says so
        # up front, and the venue may know better (a note, a change of plan); the planner skips those days.
        if ok and not sub.errors and not _has_weekday(sub.first_date.data, sub.last_date.data, chosen):
            sub.weekdays.errors.append("None of these days of the week falls between the two dates.")
            ok = False
        if not ok:
            continue
        windows.append(AvailabilityWindow(
            first_date=sub.first_date.data, last_date=sub.last_date.data, weekdays=",".join(chosen),
            start_time=sub.start_time.data, end_time=sub.end_time.data))
    if ok and not windows:
        form.windows.entries[0].form.first_date.errors.append(
            "Tell us at least one stretch of days and hours when you could host.")
        ok = False
    days, bad = parse_blackouts(form.blackouts.data)
    if bad:
        form.blackouts.errors = list(form.blackouts.errors) + [
            f"These are not dates we can read: {', '.join(bad[:5])}. Write dates like 2027-02-14."]
        ok = False
    outside = [d for d in days if not first <= d <= last]
    if outside:
        form.blackouts.errors = list(form.blackouts.errors) + [
            f"{outside[0].isoformat()} is outside the tour ({first.isoformat()} to {last.isoformat()})."]
        ok = False
    if len(days) > 100:
        form.blackouts.errors = list(form.blackouts.errors) + ["List at most 100 dates."]
        ok = False
    return (windows, days) if ok else None


def rest_days(season: Season) -> str:
    """'Sundays' or 'Saturdays and Sundays': the weekdays the team never screens."""
    return _day_names(set(season.effective_rules.get("days_off") or ()))


@lru_cache(maxsize=64)
def _holidays(country: str, region: str, first: dt.date, last: dt.date) -> tuple[tuple[dt.date, str], ...]:
    import holidays  # imported on first use: it takes a while, and most pages never need it

    try:
        table = holidays.country_holidays(country, subdiv=region or None, years=range(first.year, last.year + 1))
    except NotImplementedError:
        return ()
    return tuple(sorted((day, name) for day, name in table.items() if first <= day <= last))


def tour_holidays(season: Season, country: str, region: str) -> list[tuple[dt.date, str]]:
    """Public holidays inside the tour at a venue in this state or province (the planner skips them)."""
    if not season.effective_rules.get("holidays", True) or country not in ("US", "CA"):
        return []
    return list(_holidays(country, region, season.start_date, season.end_date))


def holidays_by_region(season: Season) -> dict[str, list[list[str]]]:
    """Every US state's and Canadian province's holidays in the tour, for the form's script: code -> [[date, words]]."""
    found = {}
    for country, regions in (("US", US_STATES), ("CA", CA_PROVINCES)):
        for code, _name in regions:
            found[code] = [[day.isoformat(), f"{day:%a %b} {day.day}: {name}"]
                           for day, name in tour_holidays(season, country, code)]
    return found


def row_warnings(windows: list[AvailabilityWindow], season: Season, country: str, region: str) -> list[str]:
    """A warning for each row whose every day is a rest day or a public holiday there (the tour cannot come)."""
    off = set(season.effective_rules.get("days_off") or ())
    holidays = {day for day, _ in tour_holidays(season, country, region)}
    warnings = []
    for number, w in enumerate(windows, 1):
        days = set(w.weekdays.split(","))
        span = [w.first_date + dt.timedelta(days=i) for i in range((w.last_date - w.first_date).days + 1)]
        open_days = [d for d in span if WEEKDAY_CODES[d.weekday()] in days and WEEKDAY_CODES[d.weekday()] not in off
                     and d not in holidays]
        if span and not open_days:
            warnings.append(f"Row {number} only covers days when the team does not screen (it rests on "
                            f"{rest_days(season)}, and on public holidays): add other days, or we cannot come.")
    return warnings


def _day_names(days) -> str:
    names = {"mon": "Mondays", "tue": "Tuesdays", "wed": "Wednesdays", "thu": "Thursdays", "fri": "Fridays",
             "sat": "Saturdays", "sun": "Sundays"}
    return " and ".join(names[d] for d in WEEKDAY_CODES if d in days)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _hours(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d} min" if m else f"{h} h"


def _has_weekday(first: dt.date, last: dt.date, days: list[str]) -> bool:
    span = min((last - first).days + 1, 7)
    return any(WEEKDAY_CODES[(first + dt.timedelta(days=i)).weekday()] in days for i in range(span))
