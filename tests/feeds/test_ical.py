"""ical.py on its own: the conventions of calendar.md, and VTIMEZONEs checked hour by hour against zoneinfo."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from tourplanner import ical

UTC = dt.timezone.utc
STAMP = dt.datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
INFO = ical.FeedInfo(name="West · spring-2027", host="tour.test", description="Team West")
CANONICAL = ical.canonical_zones()


def event(uid="visit-1@tour.test", **kw) -> ical.CalendarEvent:
    start = kw.pop("start", dt.datetime(2027, 3, 15, 9, 30, tzinfo=ZoneInfo("America/Toronto")))
    return ical.CalendarEvent(
        uid=uid, summary=kw.pop("summary", "Screening: Danforth Collegiate"), start=start,
        end=kw.pop("end", start + dt.timedelta(minutes=90)), tz=kw.pop("tz", "America/Toronto"),
        last_modified=kw.pop("last_modified", STAMP), **kw)


def lines(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def test_feed_header_has_refresh_hints_names_and_no_method():
    body = ical.build_feed(INFO, [event()])
    got = lines(body)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in got
    assert "X-PUBLISHED-TTL:PT6H" in got
    assert "NAME:West · spring-2027" in got
    assert "X-WR-CALNAME:West · spring-2027" in got
    assert not [line for line in got if line.startswith("METHOD")]
    assert "VERSION:2.0" in got and "PRODID:-//tourplanner//tour.test//EN" in got


def test_event_uses_given_uid_sequence_and_booking_time_not_now():
    body = ical.build_feed(INFO, [event(sequence=3)])
    got = lines(body)
    assert "UID:visit-1@tour.test" in got
    assert "SEQUENCE:3" in got
    assert "DTSTAMP:20270120T120000Z" in got
    assert "LAST-MODIFIED:20270120T120000Z" in got
    assert "DTSTART;TZID=America/Toronto:20270315T093000" in got
    assert "DTEND;TZID=America/Toronto:20270315T110000" in got
    assert "STATUS:TENTATIVE" in got


def test_same_inputs_give_same_bytes():
    events = [event(uid=f"visit-{i}@tour.test", start=dt.datetime(2027, 3, i + 1, 10, tzinfo=ZoneInfo("America/Regina")),
                    tz="America/Regina") for i in range(5)]
    assert ical.build_feed(INFO, events) == ical.build_feed(INFO, list(reversed(events)))


def test_every_zone_used_gets_one_vtimezone_with_rrules_and_no_rdate():
    events = [event(uid="a@t", tz="America/St_Johns"), event(uid="b@t", tz="America/Phoenix"),
              event(uid="c@t", tz="America/St_Johns")]
    cal = Calendar.from_ical(ical.build_feed(INFO, events))
    zones = [tz["TZID"] for tz in cal.walk("VTIMEZONE")]
    assert zones == ["America/Phoenix", "America/St_Johns"]
    text = ical.build_feed(INFO, events).decode()
    assert "RDATE" not in text
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in text
    assert "TZOFFSETFROM:-0330" in text and "TZOFFSETTO:-0230" in text


def test_cancelled_event_keeps_uid_with_status_and_prefix():
    body = ical.build_feed(INFO, [event(status="cancelled", sequence=2)])
    got = lines(body)
    assert "STATUS:CANCELLED" in got
    assert "SUMMARY:Cancelled: Screening: Danforth Collegiate" in got
    assert "SEQUENCE:2" in got
    assert "TRANSP:TRANSPARENT" in got


def test_day_note_is_all_day_and_free():
    note = ical.DayNote(uid="day-1-20270315@tour.test", summary="Rest day · night in Regina, SK",
                        day=dt.date(2027, 3, 15), last_modified=STAMP, geo=(50.4452, -104.6189))
    got = lines(ical.build_feed(INFO, [], [note]))
    assert "DTSTART;VALUE=DATE:20270315" in got
    assert "DTEND;VALUE=DATE:20270316" in got
    assert "TRANSP:TRANSPARENT" in got
    assert "GEO:50.4452;-104.6189" in got


@pytest.mark.parametrize("text,expected", [
    ("Hall, \"A\";B\\C", "Hall, \"A\";B\\C"),
    ("line one\r\nline two", "line one line two"),
    ("evil\rX-INJ:1", "evil X-INJ:1"),
    ("bell\x07tab\x0bnul\x00del\x7fnel\x85sep\u2028end", "belltabnuldelnelsepend"),
])
def test_single_line_text_loses_control_characters_and_breaks(text, expected):
    assert ical.clean_text(text) == expected


def test_multiline_text_keeps_line_breaks_as_lf():
    assert ical.clean_text("a\r\nb\rc\nd\x1b", multiline=True) == "a\nb\nc\nd"


PAYLOADS = [",;\\", "a\rX-INJ:1", "b\nX-INJ:1", "c\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil", "\rX-INJ:1",
            "d\u2028X-INJ:1", "semi;colon,comma\\back"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_injection_payloads_parse_back_as_the_same_events_and_text(payload):
    events = [event(summary=f"S {payload}", location=f"L {payload}", description=f"D {payload}"),
              event(uid="visit-2@tour.test", summary="plain")]
    body = ical.build_feed(INFO, events)
    cal = Calendar.from_ical(body)
    parsed = cal.walk("VEVENT")
    assert len(parsed) == 2
    first = parsed[0]
    assert not any(name.startswith("X-INJ") for name in first)
    plain = Calendar.from_ical(ical.build_feed(INFO, [event()])).walk("VEVENT")[0]
    assert sorted(first.keys()) == sorted([*plain.keys(), "LOCATION", "DESCRIPTION"])
    assert str(first["SUMMARY"]) == ical.clean_text(f"S {payload}")
    assert str(first["LOCATION"]) == ical.clean_text(f"L {payload}")
    assert str(first["DESCRIPTION"]) == ical.clean_text(f"D {payload}", multiline=True)
    assert [str(e["UID"]) for e in parsed] == ["visit-1@tour.test", "visit-2@tour.test"]
    for raw in body.split(b"\r\n"):  # no content line starts with an injected property
        assert not raw.startswith(b"X-INJ")


@pytest.mark.parametrize("kw,message", [
    ({"start": dt.datetime(2027, 3, 15, 9, 30)}, "aware"),
    ({"status": "maybe"}, "status"),
    ({"tz": "Mars/Olympus"}, "Mars/Olympus"),
    ({"sequence": -1}, "sequence"),
])
def test_bad_event_inputs_are_refused_with_a_clear_message(kw, message):
    with pytest.raises(Exception, match=message):
        event(**kw)


def test_duplicate_uids_are_refused():
    with pytest.raises(ValueError, match="visit-1@tour.test"):
        ical.build_feed(INFO, [event(), event()])


def test_unknown_zone_is_named():
    with pytest.raises(ValueError, match="Nowhere/Town"):
        ical.vtimezone("Nowhere/Town")


# --- VTIMEZONEs against zoneinfo -------------------------------------------------------------------------


def test_zone_list_covers_the_us_and_canada():
    zones = set(ical.north_american_zones())
    for name in ("America/Phoenix", "America/St_Johns", "America/Regina", "America/Creston", "America/Halifax",
                 "America/Denver", "America/Los_Angeles", "America/Toronto", "Pacific/Honolulu", "America/Adak",
                 "America/Whitehorse", "America/Indiana/Knox", "US/Eastern", "Canada/Newfoundland"):
        assert name in zones
    assert len(CANONICAL) >= 50


def _transitions(vtz) -> tuple[dt.timedelta, list[tuple[dt.datetime, dt.timedelta, dt.timedelta]]]:
    """Read a VTIMEZONE independently of ical.py: expand each part's RRULE with dateutil."""
    found = []
    for part in vtz.subcomponents:
        start = part["DTSTART"].dt
        before, after = part["TZOFFSETFROM"].td, part["TZOFFSETTO"].td
        if "RRULE" in part:
            rule = rrulestr(part["RRULE"].to_ical().decode(), dtstart=start)
            occurrences = rule.between(start - dt.timedelta(days=1), dt.datetime(2037, 1, 1), inc=True)
        else:
            occurrences = [start]
        found += [(local, before, after) for local in occurrences]
    found.sort()
    return found[0][1], found


def _wall_to_utc(vtz, walls: np.ndarray) -> np.ndarray:
    """UTC seconds of local wall times per RFC 5545: a time in a gap uses the offset before it, a repeated
    time its first occurrence."""
    initial, transitions = _transitions(vtz)
    epoch = dt.datetime(1970, 1, 1)
    thresholds = np.array([((local - epoch) + max(dt.timedelta(0), after - before)).total_seconds()
                           for local, before, after in transitions])
    offsets = np.array([initial.total_seconds()] + [after.total_seconds() for _l, _b, after in transitions])
    return walls - offsets[np.searchsorted(thresholds, walls, side="right")]


WALL_HOURS = [dt.datetime(2024, 1, 1) + dt.timedelta(hours=h) for h in range(int((dt.datetime(2036, 1, 1) - dt.datetime(2024, 1, 1)).total_seconds() // 3600))]


@pytest.mark.parametrize("tzid", CANONICAL)
def test_vtimezone_matches_zoneinfo_every_hour_2024_to_2035(tzid):
    vtz = ical.vtimezone(tzid)
    zone = ZoneInfo(tzid)
    first, hours = WALL_HOURS[0], len(WALL_HOURS)
    base = (first - dt.datetime(1970, 1, 1)).total_seconds()
    walls = base + 3600.0 * np.arange(hours)
    ours = _wall_to_utc(vtz, walls)
    offsets = [zone.utcoffset(wall) for wall in WALL_HOURS]  # fold=0: first occurrence; in a gap, the offset before
    seconds = {offset: offset.total_seconds() for offset in set(offsets)}
    expected = walls - np.array([seconds[offset] for offset in offsets])
    wrong = np.nonzero(ours != expected)[0]
    assert wrong.size == 0, f"{tzid}: {wrong.size} wall hours differ, first {first + dt.timedelta(hours=int(wrong[0]))}"
    # and each UTC hour shows the same wall clock and zone abbreviation as zoneinfo
    names = {str(part["TZNAME"]) for part in vtz.subcomponents}
    for h in range(0, hours, 24 * 7):
        instant = dt.datetime(2024, 1, 1, tzinfo=UTC) + dt.timedelta(hours=h)
        assert instant.astimezone(zone).tzname() in names


def test_vtimezone_parts_start_at_two_in_the_morning_local():
    text = ical.vtimezone("America/Halifax").to_ical().decode()
    assert "DTSTART:20200308T020000" in text and "DTSTART:20201101T020000" in text
    assert "TZOFFSETFROM:-0400\r\nTZOFFSETTO:-0300" in text.replace("TZNAME:ADT\r\n", "")


def test_aliases_get_the_same_rules_under_their_own_name():
    aliases = ical.zone_aliases(CANONICAL)
    assert aliases["US/Eastern"] == "America/New_York"
    for alias, target in aliases.items():
        mine = ical.vtimezone(alias).to_ical().decode().replace(f"TZID:{alias}", "TZID:X")
        theirs = ical.vtimezone(target).to_ical().decode().replace(f"TZID:{target}", "TZID:X")
        assert mine == theirs, alias


def test_rules_that_end_get_an_until():
    # Europe/London is not North American, but shows the generator copes with "last Sunday" rules.
    text = ical.vtimezone("Europe/London").to_ical().decode()
    assert "BYDAY=-1SU;BYMONTH=3" in text and "BYDAY=-1SU;BYMONTH=10" in text
    # the US rules changed in 2007: generating from 2000 gives an ended rule and the current one
    old = ical.vtimezone("America/Chicago", 2000, 2030).to_ical().decode()
    assert "RRULE:FREQ=YEARLY;UNTIL=20060402T080000Z;BYDAY=1SU;BYMONTH=4" in old
    assert "RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\r\n" in old
