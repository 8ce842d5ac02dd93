"""Calendar feeds as bytes: screenings, drives and day notes with project-made VTIMEZONEs (no Flask here).

Real clients decide whether a feed works (see docs calendar.md), so this module writes what they all
read the same way: every time carries a TZID, every zone used gets a VTIMEZONE with yearly RRULEs
derived from zoneinfo (never RDATE lists), UIDs/SEQUENCE/DTSTAMP come from the booking, and text is
cleaned of control characters before icalendar escapes it.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence
from zoneinfo import ZoneInfo, available_timezones

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vDuration, vGeo, vRecur, vText

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
    def data(name: str) -> Optional[bytes]:
        for root in zoneinfo.TZPATH:  # read when called: zoneinfo.reset_tzpath() rebinds it
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


# Events are written line by line: icalendar's value types escape each value (vText for text), and
# this module only joins and folds the lines. Building icalendar Component objects for a few hundred
# events costs about a second on this machine; this costs a few milliseconds, and each event's lines
# are cached by value, so a re-plan re-encodes only what changed.


def _utc_text(value: dt.datetime) -> bytes:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode()


def _local_text(value: dt.datetime, zone: ZoneInfo) -> bytes:
    return value.astimezone(zone).strftime("%Y%m%dT%H%M%S").encode()


def _text(value: str) -> bytes:
    return vText(value).to_ical()


def fold(line: bytes) -> bytes:
    """RFC 5545 folding: at most 75 octets a line, never inside a UTF-8 character."""
    if len(line) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(line):
        end = min(start + limit, len(line))
        while end < len(line) and (line[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(line[start:end])
        start, limit = end, 74  # continuation lines start with one space
    return b"\r\n ".join(parts)


def _place_and_text(location, geo, description, url, categories) -> list[bytes]:
    lines = []
    if location:
        lines.append(b"LOCATION:" + _text(clean_text(location)))
    if geo is not None:
        lines.append(b"GEO:" + vGeo((round(float(geo[0]), 6), round(float(geo[1]), 6))).to_ical().encode())
    if description:
        lines.append(b"DESCRIPTION:" + _text(clean_text(description, multiline=True)))
    if url:
        lines.append(b"URL:" + clean_text(url).replace(" ", "%20").encode())
    if categories:
        lines.append(b"CATEGORIES:" + b",".join(_text(clean_text(c)) for c in categories))
    return lines


@lru_cache(maxsize=16384)
def _event_bytes(event: CalendarEvent) -> bytes:
    zone = ZoneInfo(event.tz)
    summary = clean_text(event.summary)
    if event.status == "cancelled" and not summary.startswith(CANCELLED_PREFIX):
        summary = CANCELLED_PREFIX + summary
    tzid = event.tz.encode()
    lines = [
        b"BEGIN:VEVENT",
        b"UID:" + _text(event.uid),
        b"DTSTAMP:" + _utc_text(event.last_modified),
        b"LAST-MODIFIED:" + _utc_text(event.last_modified),
        b"SEQUENCE:" + str(int(event.sequence)).encode(),
        b"DTSTART;TZID=" + tzid + b":" + _local_text(event.start, zone),
        b"DTEND;TZID=" + tzid + b":" + _local_text(event.end, zone),
        b"SUMMARY:" + _text(summary),
        b"STATUS:" + STATUSES[event.status].encode(),
        b"TRANSP:" + (b"OPAQUE" if event.busy and event.status != "cancelled" else b"TRANSPARENT"),
        *_place_and_text(event.location, event.geo, event.description, event.url, event.categories),
        b"END:VEVENT",
    ]
    return b"".join(fold(line) + b"\r\n" for line in lines)


@lru_cache(maxsize=16384)
def _note_bytes(note: DayNote) -> bytes:
    lines = [
        b"BEGIN:VEVENT",
        b"UID:" + _text(note.uid),
        b"DTSTAMP:" + _utc_text(note.last_modified),
        b"LAST-MODIFIED:" + _utc_text(note.last_modified),
        b"SEQUENCE:" + str(int(note.sequence)).encode(),
        b"DTSTART;VALUE=DATE:" + note.day.strftime("%Y%m%d").encode(),
        b"DTEND;VALUE=DATE:" + (note.day + dt.timedelta(days=1)).strftime("%Y%m%d").encode(),
        b"SUMMARY:" + _text(clean_text(note.summary)),
        b"TRANSP:TRANSPARENT",
        *_place_and_text(note.location, note.geo, note.description, note.url, note.categories),
        b"END:VEVENT",
    ]
    return b"".join(fold(line) + b"\r\n" for line in lines)


def build_feed(info: FeedInfo, events: Sequence[CalendarEvent] = (), notes: Sequence[DayNote] = ()) -> bytes:
    """A whole subscribed calendar; the same inputs always give the same bytes (ETags depend on it)."""
    uids = [e.uid for e in events] + [n.uid for n in notes]
    if len(set(uids)) != len(uids):
        seen, twice = set(), set()
        for uid in uids:
            (twice if uid in seen else seen).add(uid)
        raise ValueError(f"UIDs used twice in one feed: {', '.join(sorted(twice)[:5])}")
    name = _text(clean_text(info.name))
    refresh = vDuration(info.refresh).to_ical()
    header = [
        b"BEGIN:VCALENDAR",
        b"VERSION:2.0",
        b"PRODID:" + _text(f"-//tourplanner//{clean_text(info.host)}//EN"),
        b"CALSCALE:GREGORIAN",
        # No METHOD: METHOD:PUBLISH without an ORGANIZER fails libical's RFC 5546 check.
        b"NAME:" + name,
        b"X-WR-CALNAME:" + name,
    ]
    if info.description:
        description = _text(clean_text(info.description, multiline=True))
        header += [b"DESCRIPTION:" + description, b"X-WR-CALDESC:" + description]
    header += [b"REFRESH-INTERVAL;VALUE=DURATION:" + refresh, b"X-PUBLISHED-TTL:" + refresh]
    parts = [b"".join(fold(line) + b"\r\n" for line in header)]
    years = [e.start.year for e in events] + [e.end.year for e in events]
    first, last = min([TZ_FIRST_YEAR, *years]), max([TZ_LAST_YEAR, *years])
    for tzid in sorted({e.tz for e in events}):
        parts.append(_vtimezone_ical(tzid, first, last))
    items = [(e.start.astimezone(UTC), 1, e.uid, _event_bytes(e)) for e in events]
    items += [(dt.datetime.combine(n.day, dt.time(), UTC), 0, n.uid, _note_bytes(n)) for n in notes]
    parts += [item[3] for item in sorted(items, key=lambda i: i[:3])]
    parts.append(b"END:VCALENDAR\r\n")
    return b"".join(parts)
