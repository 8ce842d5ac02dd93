"""Calendar feeds as bytes: screenings, drives and day notes with project-made VTIMEZONEs (no Flask here).

Real clients decide whether a feed works (see docs calendar.md), so this module writes what they all
read the same way: every time carries a TZID, every zone used gets a VTIMEZONE with yearly RRULEs
derived from zoneinfo (never RDATE lists), UIDs/SEQUENCE/DTSTAMP come from the booking, and text is
cleaned of control characters before icalendar escapes it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence
from zoneinfo import ZoneInfo, available_timezones

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vRecur

UTC = dt.timezone.utc
STATUSES = {"tentative": "TENTATIVE", "confirmed": "CONFIRMED", "cancelled": "CANCELLED"}
CANCELLED_PREFIX = "Cancelled: "
REFRESH = dt.timedelta(hours=6)
# VTIMEZONE rules are derived from zoneinfo for these years; the last rule repeats without end.
TZ_FIRST_YEAR = 2020
TZ_LAST_YEAR = 2040
ZONE_TABLES = (Path("/usr/share/zoneinfo/zone1970.tab"), Path("/usr/share/zoneinfo/zone.tab"))

# C0/C1 controls, DEL, and the Unicode line/paragraph separators some parsers treat as line breaks.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_NEWLINES = re.compile("\r\n|\r|\n")


@dataclass(frozen=True)
class CalendarEvent:
    """A timed event: a screening or a drive, written in the zone of the place it happens."""

    uid: str
    summary: str
    start: dt.datetime  # aware
    end: dt.datetime  # aware
    tz: str  # IANA zone the times are shown in
    last_modified: dt.datetime  # the booking's own last change (DTSTAMP, LAST-MODIFIED)
    sequence: int = 0
    status: str = "tentative"  # tentative | confirmed | cancelled
    location: str = ""
    geo: Optional[tuple[float, float]] = None
    description: str = ""
    url: str = ""
    categories: tuple[str, ...] = ()
    busy: bool = True

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"event {self.uid}: start and end must be aware datetimes")
        if self.last_modified.tzinfo is None:
            raise ValueError(f"event {self.uid}: last_modified must be an aware datetime")
        if self.end <= self.start:
            raise ValueError(f"event {self.uid}: end {self.end.isoformat()} is not after start")
        if self.status not in STATUSES:
            raise ValueError(f"event {self.uid}: status {self.status!r} is not one of {sorted(STATUSES)}")
        if self.sequence < 0:
            raise ValueError(f"event {self.uid}: sequence must be 0 or more")
        ZoneInfo(self.tz)  # an unknown zone fails here, naming itself


@dataclass(frozen=True)
class DayNote:
    """An all-day note: where the team sleeps, a rest day."""

    uid: str
    summary: str
    day: dt.date
    last_modified: dt.datetime
    sequence: int = 0
    description: str = ""
    location: str = ""
    geo: Optional[tuple[float, float]] = None
    url: str = ""
    categories: tuple[str, ...] = ()

    def __post_init__(self):
        if self.last_modified.tzinfo is None:
            raise ValueError(f"note {self.uid}: last_modified must be an aware datetime")


@dataclass(frozen=True)
class FeedInfo:
    """What the calendar app shows as the calendar's name and how often it should refresh."""

    name: str
    host: str
    description: str = ""
    refresh: dt.timedelta = REFRESH


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Text without control characters; line breaks kept (as LF) only where a field may have several lines."""
    text = _NEWLINES.sub("\n" if multiline else " ", text or "")
    return _CONTROL.sub("", text).strip()


def visit_uid(request_id: int, host: str) -> str:
    """The UID of a request's screening: stable across every plan version."""
    return f"visit-{request_id}@{host}"


# ---------------------------------------------------------------------------------------------
# VTIMEZONE: yearly rules derived from zoneinfo


@dataclass(frozen=True)
class _Transition:
    at: dt.datetime  # UTC instant
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    dst: bool

    @property
    def local(self) -> dt.datetime:
        """Wall time of the change in the offset before it (how RFC 5545 writes DTSTART)."""
        return (self.at + self.offset_from).replace(tzinfo=None)

    def weekday_rules(self) -> set[tuple[int, int]]:
        """The (nth, weekday) rules this date fits: 2nd Sunday, or -1 for the last one of the month."""
        day = self.local.date()
        rules = {((day.day - 1) // 7 + 1, day.weekday())}
        if (day + dt.timedelta(days=7)).month != day.month:
            rules.add((-1, day.weekday()))
        return rules

    def shape(self) -> tuple:
        """What must stay equal from year to year for one RRULE to describe the change."""
        return (self.local.month, self.local.time(), self.offset_from, self.offset_to, self.name, self.dst)


def _state(zone: ZoneInfo, instant: dt.datetime) -> tuple:
    local = instant.astimezone(zone)
    return local.utcoffset(), local.tzname(), bool(local.dst())


def _transitions(tzid: str, first_year: int, last_year: int) -> list[_Transition]:
    """Every change of offset, name or DST flag in the zone, found by weekly steps and bisection."""
    zone = ZoneInfo(tzid)
    found = []
    t = dt.datetime(first_year, 1, 1, tzinfo=UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=UTC)
    step = dt.timedelta(days=7)
    before = _state(zone, t)
    while t < end:
        after_t = min(t + step, end)
        after = _state(zone, after_t)
        if after != before:
            lo, hi = t, after_t  # state(lo) == before, state(hi) != before
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if _state(zone, mid) == before:
                    lo = mid
                else:
                    hi = mid
            state = _state(zone, hi)
            found.append(_Transition(hi, before[0], state[0], state[1], state[2]))
            before = state
            t = hi
            continue
        t = after_t
    return found


def _fmt_offset(offset: dt.timedelta) -> str:
    return f"{offset.total_seconds() / 3600:+.2f}"


def _rule_groups(transitions: list[_Transition]) -> list[tuple[list[_Transition], Optional[tuple[int, int]]]]:
    """Runs of yearly changes that one RRULE describes: same month, wall time, offsets and weekday rule."""
    runs: list[tuple[list[_Transition], set]] = []
    open_runs: dict[tuple, tuple[list[_Transition], set]] = {}
    for tr in transitions:
        run = open_runs.get(tr.shape())
        if run and run[0][-1].at.year + 1 == tr.at.year and run[1] & tr.weekday_rules():
            run[0].append(tr)
            run[1].intersection_update(tr.weekday_rules())
            continue
        run = ([tr], tr.weekday_rules())
        runs.append(run)
        open_runs[tr.shape()] = run
    # A rule by weekday number (2SU) reads better than "last" (-1SU) when both fit every year.
    return [(members, sorted(rules)[-1] if len(members) > 1 else None) for members, rules in runs]


_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@lru_cache(maxsize=512)
def _vtimezone_ical(tzid: str, first_year: int, last_year: int) -> bytes:
    transitions = _transitions(tzid, first_year, last_year)
    tz = Timezone()
    tz.add("TZID", tzid)
    if not transitions:
        zone = ZoneInfo(tzid)
        offset, name, dst = _state(zone, dt.datetime(first_year, 1, 1, tzinfo=UTC))
        part = TimezoneDaylight() if dst else TimezoneStandard()
        part.add("DTSTART", dt.datetime(first_year, 1, 1))
        part.add("TZOFFSETFROM", offset)
        part.add("TZOFFSETTO", offset)
        part.add("TZNAME", name)
        tz.add_component(part)
        return tz.to_ical()
    for members, rule in _rule_groups(transitions):
        first = members[0]
        part = TimezoneDaylight() if first.dst else TimezoneStandard()
        part.add("DTSTART", first.local)
        part.add("TZOFFSETFROM", first.offset_from)
        part.add("TZOFFSETTO", first.offset_to)
        part.add("TZNAME", first.name)
        if rule is not None:
            nth, weekday = rule
            recur = {"FREQ": "YEARLY", "BYMONTH": first.local.month, "BYDAY": f"{nth}{_DAYS[weekday]}"}
            if members[-1].at.year < last_year:  # the rule ended inside the years looked at
                recur["UNTIL"] = members[-1].at.replace(tzinfo=UTC)
            part.add("RRULE", vRecur(recur))
        tz.add_component(part)
    return tz.to_ical()


def vtimezone(tzid: str, first_year: int = TZ_FIRST_YEAR, last_year: int = TZ_LAST_YEAR) -> Timezone:
    """A VTIMEZONE for an IANA zone with yearly RRULEs that match zoneinfo between the given years."""
    try:
        ZoneInfo(tzid)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys
        raise ValueError(f"unknown time zone {tzid!r}") from exc
    return Timezone.from_ical(_vtimezone_ical(tzid, first_year, last_year))


def canonical_zones(countries: tuple[str, ...] = ("US", "CA")) -> list[str]:
    """The IANA zones tzdata's zone tables list for these countries (America/Creston, Pacific/Honolulu...)."""
    canonical: set[str] = set()
    for table in ZONE_TABLES:
        if not table.exists():
            continue
        for line in table.read_text().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            codes, _coords, name = line.split("\t")[:3]
            if set(countries) & set(codes.split(",")):
                canonical.add(name)
    if not canonical:
        raise RuntimeError("no zone table (zone.tab) found; install tzdata")
    return sorted(canonical)


def north_american_zones() -> list[str]:
    """Every IANA name of a US or Canadian zone: the canonical ones plus the names linked to them."""
    canonical = canonical_zones()
    return sorted(set(canonical) | set(zone_aliases(canonical)))


def zone_aliases(canonical: Iterable[str]) -> dict[str, str]:
    """Names whose zone data is byte-for-byte one of the given zones (US/Eastern -> America/New_York)."""
    from zoneinfo import TZPATH

    def data(name: str) -> Optional[bytes]:
        for root in TZPATH:
            path = Path(root) / name
            if path.is_file():
                return path.read_bytes()
        return None

    by_bytes = {}
    for name in sorted(canonical):
        blob = data(name)
        if blob is not None:
            by_bytes.setdefault(blob, name)
    aliases = {}
    for name in sorted(available_timezones()):
        blob = data(name)
        target = by_bytes.get(blob) if blob is not None else None
        if target and target != name and name not in canonical:
            aliases[name] = target
    return aliases


# ---------------------------------------------------------------------------------------------
# Calendars


def _stamp(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def _event_component(event: CalendarEvent) -> Event:
    zone = ZoneInfo(event.tz)
    summary = clean_text(event.summary)
    if event.status == "cancelled" and not summary.startswith(CANCELLED_PREFIX):
        summary = CANCELLED_PREFIX + summary
    item = Event()
    item.add("UID", event.uid)
    item.add("DTSTAMP", _stamp(event.last_modified))
    item.add("LAST-MODIFIED", _stamp(event.last_modified))
    item.add("SEQUENCE", event.sequence)
    item.add("DTSTART", event.start.astimezone(zone).replace(microsecond=0))
    item.add("DTEND", event.end.astimezone(zone).replace(microsecond=0))
    item.add("SUMMARY", summary)
    item.add("STATUS", STATUSES[event.status])
    item.add("TRANSP", "OPAQUE" if event.busy and event.status != "cancelled" else "TRANSPARENT")
    _add_place_and_text(item, event.location, event.geo, event.description, event.url, event.categories)
    return item


def _note_component(note: DayNote) -> Event:
    item = Event()
    item.add("UID", note.uid)
    item.add("DTSTAMP", _stamp(note.last_modified))
    item.add("LAST-MODIFIED", _stamp(note.last_modified))
    item.add("SEQUENCE", note.sequence)
    item.add("DTSTART", note.day)
    item.add("DTEND", note.day + dt.timedelta(days=1))
    item.add("SUMMARY", clean_text(note.summary))
    item.add("TRANSP", "TRANSPARENT")
    _add_place_and_text(item, note.location, note.geo, note.description, note.url, note.categories)
    return item


def _add_place_and_text(item: Event, location, geo, description, url, categories) -> None:
    if location:
        item.add("LOCATION", clean_text(location))
    if geo is not None:
        item.add("GEO", (round(float(geo[0]), 6), round(float(geo[1]), 6)))
    if description:
        item.add("DESCRIPTION", clean_text(description, multiline=True))
    if url:
        item.add("URL", clean_text(url))
    if categories:
        item.add("CATEGORIES", [clean_text(c) for c in categories])


def build_feed(info: FeedInfo, events: Sequence[CalendarEvent] = (), notes: Sequence[DayNote] = ()) -> bytes:
    """A whole subscribed calendar; the same inputs always give the same bytes (ETags depend on it)."""
    uids = [e.uid for e in events] + [n.uid for n in notes]
    duplicates = sorted({u for u in uids if uids.count(u) > 1}) if len(set(uids)) != len(uids) else []
    if duplicates:
        raise ValueError(f"UIDs used twice in one feed: {', '.join(duplicates[:5])}")
    cal = Calendar()
    cal.add("PRODID", f"-//tourplanner//{clean_text(info.host)}//EN")
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    # No METHOD: METHOD:PUBLISH without an ORGANIZER fails libical's RFC 5546 check.
    name = clean_text(info.name)
    cal.add("NAME", name)
    cal.add("X-WR-CALNAME", name)
    if info.description:
        cal.add("DESCRIPTION", clean_text(info.description, multiline=True))
        cal.add("X-WR-CALDESC", clean_text(info.description, multiline=True))
    cal.add("REFRESH-INTERVAL", info.refresh, parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", vDuration(info.refresh))
    zones = sorted({e.tz for e in events})
    years = [e.start.year for e in events] + [e.end.year for e in events]
    first = min([TZ_FIRST_YEAR, *years])
    last = max([TZ_LAST_YEAR, *years])
    for tzid in zones:
        cal.add_component(vtimezone(tzid, first, last))
    ordered_events = sorted(events, key=lambda e: (e.start.astimezone(UTC), e.uid))
    ordered_notes = sorted(notes, key=lambda n: (n.day, n.uid))
    items = [(e.start.astimezone(UTC), 1, e.uid, _event_component(e)) for e in ordered_events]
    items += [(dt.datetime.combine(n.day, dt.time(), UTC), 0, n.uid, _note_component(n)) for n in ordered_notes]
    for *_key, component in sorted(items, key=lambda i: i[:3]):
        cal.add_component(component)
    return cal.to_ical()
