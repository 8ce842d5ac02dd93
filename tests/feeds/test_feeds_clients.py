"""Independent calendar clients read the feeds: libical, Mozilla ical.js, calcurse, vobject and a CalDAV server.

The feed has Pacific, Mountain (Phoenix and Denver), Central (Regina too), Eastern, Atlantic and
Newfoundland venues and the March 14, 2027 DST change in the middle of the tour. Every client must
put every screening at the plan's UTC start and end, and every drive and note where ical.py put it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.support.outside import need
from tests.support.tour import make_tour
from tourplanner import feeds, ical

UTC = dt.timezone.utc
NOW = dt.datetime(2027, 1, 25, 12, 0, tzinfo=UTC)
JS_DIR = Path(__file__).resolve().parents[1] / "js"
SYSTEM_PYTHON = "/usr/bin/python3"
PAYLOAD = {"venue_name": 'Hall, "A";B\\C\rX-INJ:1', "notes": "door 3,;\\ back\r\nEND:VEVENT\rX-INJ:1\nBEGIN:VEVENT",
           "contact_name": "Ann\x07 O'Neil"}
ZONES = {"America/Los_Angeles", "America/Vancouver", "America/Phoenix", "America/Denver", "America/Regina",
         "America/Chicago", "America/Toronto", "America/New_York", "America/Halifax", "America/St_Johns"}

LIBICAL = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

cal = I.Component.new_from_string(open(sys.argv[1], encoding="utf-8").read())
restrictions_ok = bool(I.restriction_check(cal))

def errors(c):
    found = []
    p = c.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while p is not None:
        found.append(p.as_ical_string())
        p = c.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    sub = c.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while sub is not None:
        found += errors(sub)
        sub = c.get_next_component(I.ComponentKind.ANY_COMPONENT)
    return found

utc = I.Timezone.get_utc_timezone()
def when(t):
    if t.is_date():
        return t.as_ical_string()
    zone = t.get_timezone()
    return [I.Time.convert_to_zone(t, utc).as_ical_string(), zone.get_tzid() if zone else None]

events = {}
ev = cal.get_first_component(I.ComponentKind.VEVENT_COMPONENT)
while ev is not None:
    events[ev.get_uid()] = {"start": when(ev.get_dtstart()), "end": when(ev.get_dtend()),
                            "summary": ev.get_summary(), "location": ev.get_location(),
                            "description": ev.get_description(), "sequence": ev.get_sequence()}
    ev = cal.get_next_component(I.ComponentKind.VEVENT_COMPONENT)
print(json.dumps({"restrictions_ok": restrictions_ok, "errors": errors(cal), "events": events}))
"""

ZONE_CHECK = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

data = json.load(open(sys.argv[1]))
utc = I.Timezone.get_utc_timezone()
out = {}
for tzid, vtimezone, walls in data:
    zone = I.Timezone.new()
    zone.set_component(I.Component.new_from_string(vtimezone))
    got = []
    for wall in walls:
        t = I.Time.new_from_string(wall)
        t.set_timezone(zone)
        got.append(I.Time.convert_to_zone(t, utc).as_ical_string())
    out[tzid] = got
print(json.dumps(out))
"""


def gi_works() -> bool:
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    probe = "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode == 0


def icaljs_ready() -> bool:
    return bool(shutil.which("node")) and (JS_DIR / "node_modules" / "ical.js" / "package.json").exists()


def utc_text(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@pytest.fixture(scope="module")
def tour_feed(tmp_path_factory):
    """The coordinators' feed of a two-team tour over ten zones and a DST change, and what it must say.

    Built once per module in its own SQLite app: the clients read bytes, so the database kind does not matter.
    """
    from tourplanner import create_app
    from tourplanner.extensions import db

    tmp_path = tmp_path_factory.mktemp("clients")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOURPLANNER_INSTANCE", str(tmp_path / "instance"))
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'feeds.sqlite'}",
                          "PUBLIC_HOST": "tour.test"})
    with app.app_context():
        db.create_all()
        feeds.clear_cache()
        tour = make_tour(payload=PAYLOAD)
        season = tour["season"]
        feed = feeds.coordinators_feed(season, host="tour.test", now=NOW)
        path = tmp_path / "all.ics"
        path.write_bytes(feed.body)
        screenings, derived, notes = feeds.plan_items(season, tour["plan"], list(season.teams), host="tour.test",
                                                       now=NOW, prefix=True)
        timed = {e.uid: (e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in derived}
        for v in tour["plan"].visits:  # screenings: straight from the Visit rows
            timed[f"visit-{v.request_id}@tour.test"] = (v.start_dt, v.end_dt)
        days = {n.uid: n.day for n in notes}
        assert {v.request.venue.tz for v in tour["plan"].visits} == ZONES
        dst = dt.datetime(2027, 3, 14, 10, tzinfo=UTC)
        assert any(v.start_dt < dst for v in tour["plan"].visits) and any(v.start_dt > dst for v in tour["plan"].visits)
        payload_uid = f"visit-{tour['visits'][0].request_id}@tour.test"
        season_days = (season.start_date, season.end_date)
        db.session.remove()
        db.engine.dispose()
    return {"path": path, "body": feed.body, "timed": timed, "days": days, "season_days": season_days,
            "payload_uid": payload_uid, "texts": {e.uid: e for e in screenings}}


def check_times(got: dict, tour_feed):
    """Every timed event and every day note of the plan, nothing more, at the same UTC instants and dates."""
    expected = {uid: [utc_text(s), utc_text(e)] for uid, (s, e) in tour_feed["timed"].items()}
    expected.update({uid: [day.strftime("%Y%m%d"), (day + dt.timedelta(days=1)).strftime("%Y%m%d")]
                     for uid, day in tour_feed["days"].items()})
    assert set(got) == set(expected)
    wrong = {uid: (got[uid], expected[uid]) for uid in expected if got[uid] != expected[uid]}
    assert not wrong, f"{len(wrong)} events differ, e.g. {list(wrong.items())[:3]}"


def check_payload_text(summary: str, location: str, description: str, tour_feed):
    event = tour_feed["texts"][tour_feed["payload_uid"]]
    assert summary == ical.clean_text(event.summary)
    assert location == ical.clean_text(event.location)
    assert description == ical.clean_text(event.description, multiline=True)
    assert "X-INJ:1" in summary  # kept as text, not as a property


def test_libical_reads_every_event_at_the_planned_time(tour_feed):
    need(gi_works(), "libical GObject bindings missing: apt-get install gir1.2-ical-3.0 python3-gi (make system-deps)")
    run = subprocess.run([SYSTEM_PYTHON, "-c", LIBICAL, str(tour_feed["path"])], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["errors"] == []
    assert result["restrictions_ok"] is True
    events = result["events"]
    got = {}
    for uid, e in events.items():
        if isinstance(e["start"], list):
            got[uid] = [e["start"][0], e["end"][0]]
            assert e["start"][1] in ZONES  # resolved through the feed's own VTIMEZONE, not floating
        else:
            got[uid] = [e["start"], e["end"]]
    check_times(got, tour_feed)
    payload = events[tour_feed["payload_uid"]]
    check_payload_text(payload["summary"], payload["location"], payload["description"], tour_feed)


def test_mozilla_icaljs_reads_every_event_at_the_planned_time(tour_feed):
    need(icaljs_ready(), "node and ical.js missing: run `npm ci --prefix tests/js` (make test does)")
    run = subprocess.run(["node", str(JS_DIR / "events.mjs"), str(tour_feed["path"])], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["name"] == "All teams · spring-2027"
    events = {e["uid"]: e for e in result["events"]}
    got = {}
    for uid, e in events.items():
        if e["tzid"]:
            assert e["tzid"] in ZONES
            got[uid] = [dt.datetime.fromisoformat(e[k].replace("Z", "+00:00")).strftime("%Y%m%dT%H%M%SZ")
                        for k in ("start", "end")]
        else:
            got[uid] = [e[k].replace("-", "") for k in ("start", "end")]
    check_times(got, tour_feed)
    payload = events[tour_feed["payload_uid"]]
    check_payload_text(payload["summary"], payload["location"], payload["description"], tour_feed)
    assert not any(p.startswith("x-inj") for e in events.values() for p in e["properties"])
    cancelled = [e for e in events.values() if e["status"] == "CANCELLED"]
    assert cancelled and all(e["summary"].startswith("Cancelled: ") for e in cancelled)


def test_calcurse_imports_every_event_at_the_planned_time(tour_feed, tmp_path):
    need(bool(shutil.which("calcurse")), "calcurse missing: apt-get install calcurse (make system-deps)")
    home = tmp_path / "calcurse"
    home.mkdir()
    run = subprocess.run(["calcurse", "-D", str(home), "-q", "-i", str(tour_feed["path"])], capture_output=True,
                         text=True, timeout=120, env={**os.environ, "TZ": "UTC"})
    assert run.returncode == 0, run.stderr + run.stdout
    timed, all_day = Counter(), Counter()
    for line in (home / "apts").read_text().splitlines():
        if " -> " in line:  # "02/22/2027 @ 17:00 -> 02/22/2027 @ 18:30>notehash |Summary"
            start, _, rest = line.partition(" -> ")
            end = rest.split("|", 1)[0].split(">")[0].strip()
            timed[(dt.datetime.strptime(start, "%m/%d/%Y @ %H:%M"), dt.datetime.strptime(end, "%m/%d/%Y @ %H:%M"))] += 1
        elif "[1]" in line:  # all-day: "02/22/2027 [1] |Summary"
            all_day[dt.datetime.strptime(line.split(" [", 1)[0], "%m/%d/%Y").date()] += 1
    expected = Counter((s.replace(tzinfo=None), e.replace(tzinfo=None)) for s, e in tour_feed["timed"].values())
    assert timed == expected
    assert all_day == Counter(tour_feed["days"].values())


def test_vobject_validates_and_reads_every_event_at_the_planned_time(tour_feed):
    import vobject

    cal = vobject.readOne(tour_feed["body"].decode("utf-8"), validate=True)
    got = {}
    for event in cal.vevent_list:
        start, end = event.dtstart.value, event.dtend.value
        if isinstance(start, dt.datetime):
            assert start.tzinfo is not None
            got[event.uid.value] = [utc_text(start), utc_text(end)]
        else:
            got[event.uid.value] = [start.strftime("%Y%m%d"), end.strftime("%Y%m%d")]
    check_times(got, tour_feed)
    payload = next(e for e in cal.vevent_list if e.uid.value == tour_feed["payload_uid"])
    check_payload_text(payload.summary.value, payload.location.value, payload.description.value, tour_feed)


# --- a real CalDAV server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def radicale(tmp_path):
    """Radicale on 127.0.0.1 at a free port, storing in tmp_path, any user accepted."""
    port = free_port()
    config = tmp_path / "radicale.conf"
    config.write_text(
        "[server]\nhosts = 127.0.0.1:%d\n[auth]\ntype = none\n[storage]\nfilesystem_folder = %s\n"
        "[logging]\nlevel = warning\n" % (port, tmp_path / "collections"))
    proc = subprocess.Popen([sys.executable, "-m", "radicale", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                pytest.fail(f"radicale exited: {proc.stdout.read().decode(errors='replace')}")
            time.sleep(0.1)
        else:
            pytest.fail("radicale did not start listening within 30 s")
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.stdout.close()


def one_event_calendars(body: bytes) -> list[tuple[str, bytes]]:
    """Split a feed into one VCALENDAR per event (CalDAV stores one UID per resource), its zone included."""
    from icalendar import Calendar

    feed = Calendar.from_ical(body)
    zones = {str(z["TZID"]): z for z in feed.walk("VTIMEZONE")}
    out = []
    for event in feed.walk("VEVENT"):
        single = Calendar()
        single.add("VERSION", "2.0")
        single.add("PRODID", "-//tourplanner//test//EN")
        tzid = event["DTSTART"].params.get("TZID")
        if tzid:
            single.add_component(zones[tzid])
        single.add_component(event)
        out.append((str(event["UID"]), single.to_ical()))
    return out


def test_caldav_server_finds_each_screening_by_time_range(tour_feed, radicale):
    import caldav

    client = caldav.DAVClient(url=radicale, username="nomad", password="x")
    calendar = client.principal().make_calendar(name="tour")
    uploads = [(uid, text) for uid, text in one_event_calendars(tour_feed["body"]) if not uid.startswith("day-")]
    for _uid, text in uploads:
        calendar.save_event(text)
    first, last = tour_feed["season_days"]
    everything = calendar.search(start=dt.datetime.combine(first, dt.time(), UTC),
                                 end=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), UTC), event=True)
    assert len(everything) == len(uploads)

    def found(start: dt.datetime, end: dt.datetime) -> set[str]:
        return {str(r.icalendar_component["UID"]) for r in calendar.search(start=start, end=end, event=True)}

    # The server's own reading of each event: every one-minute window at a screening's start and just
    # before its end returns exactly the events that overlap it by the plan (a shifted event drops out).
    minute = dt.timedelta(minutes=1)
    uploaded = {uid: tour_feed["timed"][uid] for uid, _text in uploads}
    for uid, (start, end) in uploaded.items():
        if not uid.startswith("visit-"):
            continue
        for window in (start, end - minute):
            expected = {u for u, (s, e) in uploaded.items() if s < window + minute and e > window}
            assert found(window, window + minute) == expected, f"around {window} for {uid}"


# --- every US and Canadian zone through libical and ical.js ----------------------------------------------


def transition_walls() -> list[tuple[str, list[str], list[str]]]:
    """Per zone: local wall times either side of each 2024-2035 change (never inside a gap or a repeat),
    with zoneinfo's UTC for each."""
    rows = []
    for tzid in ical.canonical_zones():
        zone = ZoneInfo(tzid)
        walls = []
        for year in range(2024, 2036):
            walls += [dt.datetime(year, 1, 15, 12), dt.datetime(year, 7, 15, 12)]
            day = dt.date(year, 1, 1)
            while day.year == year:
                noon = dt.datetime.combine(day, dt.time(12), zone)
                nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), zone)
                if noon.utcoffset() != nxt.utcoffset():
                    walls += [dt.datetime.combine(day + dt.timedelta(days=1), dt.time(h, 30)) for h in (0, 4)]
                day += dt.timedelta(days=1)
        expected = [w.replace(tzinfo=zone).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") for w in walls]
        rows.append((tzid, [w.strftime("%Y%m%dT%H%M%S") for w in walls], expected))
    return rows


def test_libical_reads_every_us_and_canadian_vtimezone_like_zoneinfo(tmp_path):
    need(gi_works(), "libical GObject bindings missing: apt-get install gir1.2-ical-3.0 python3-gi (make system-deps)")
    rows = transition_walls()
    data = [(tzid, ical.vtimezone(tzid).to_ical().decode(), walls) for tzid, walls, _e in rows]
    path = tmp_path / "zones.json"
    path.write_text(json.dumps(data))
    run = subprocess.run([SYSTEM_PYTHON, "-c", ZONE_CHECK, str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    wrong = {tzid: [(w, g, e) for w, g, e in zip(walls, got[tzid], expected) if g != e][:2]
             for tzid, walls, expected in rows if got[tzid] != expected}
    assert not wrong, wrong


def test_icaljs_reads_every_us_and_canadian_vtimezone_like_zoneinfo(tmp_path):
    need(icaljs_ready(), "node and ical.js missing: run `npm ci --prefix tests/js` (make test does)")
    rows = transition_walls()
    events, expected = [], {}
    for tzid, walls, utcs in rows:
        zone = ZoneInfo(tzid)
        for i, (wall, utc) in enumerate(zip(walls, utcs)):
            start = dt.datetime.strptime(wall, "%Y%m%dT%H%M%S").replace(tzinfo=zone)
            uid = f"{tzid}-{i}@zones.test"
            events.append(ical.CalendarEvent(uid=uid, summary=tzid, start=start, end=start + dt.timedelta(minutes=10),
                                             tz=tzid, last_modified=NOW))
            expected[uid] = utc
    path = tmp_path / "zones.ics"
    path.write_bytes(ical.build_feed(ical.FeedInfo(name="zones", host="zones.test"), events))
    run = subprocess.run(["node", str(JS_DIR / "events.mjs"), str(path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = {e["uid"]: dt.datetime.fromisoformat(e["start"].replace("Z", "+00:00")).strftime("%Y%m%dT%H%M%SZ")
           for e in json.loads(run.stdout)["events"]}
    wrong = {uid: (got.get(uid), want) for uid, want in expected.items() if got.get(uid) != want}
    assert not wrong, f"{len(wrong)} of {len(expected)} differ, e.g. {list(wrong.items())[:3]}"


def test_icaljs_check_sees_the_rdate_shift_calendar_md_warns_about(tmp_path):
    """The check above can fail: icalendar's add_missing_timezones() writes DST changes as RDATE lists,
    and ical.js 2.2.1 puts summer events in Toronto, Edmonton and St. John's an hour off."""
    need(icaljs_ready(), "node and ical.js missing: run `npm ci --prefix tests/js` (make test does)")
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("VERSION", "2.0")
    cal.add("PRODID", "-//tourplanner//test//EN")
    expected = {}
    for tzid in ("America/Toronto", "America/Edmonton", "America/St_Johns"):
        start = dt.datetime(2027, 3, 20, 10, tzinfo=ZoneInfo(tzid))
        event = Event()
        event.add("UID", f"{tzid}@rdate.test")
        event.add("DTSTAMP", NOW)
        event.add("DTSTART", start)
        event.add("DTEND", start + dt.timedelta(hours=1))
        cal.add_component(event)
        expected[f"{tzid}@rdate.test"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cal.add_missing_timezones()
    path = tmp_path / "rdate.ics"
    path.write_bytes(cal.to_ical())
    assert b"RDATE" in path.read_bytes()
    run = subprocess.run(["node", str(JS_DIR / "events.mjs"), str(path)], capture_output=True, text=True, timeout=120)
    got = {e["uid"]: e["start"] for e in json.loads(run.stdout)["events"]}
    assert got != expected  # the same events from ical.py's RRULE zones are right (tests above)


def test_khal_reads_every_event_at_the_planned_time(tour_feed, tmp_path):
    need(bool(shutil.which("khal")), "khal missing: apt-get install khal (make system-deps)")
    (tmp_path / "cal").mkdir()
    config = tmp_path / "khal.conf"
    config.write_text(
        f"[calendars]\n[[tour]]\npath = {tmp_path / 'cal'}\n[locale]\nlocal_timezone = UTC\ndefault_timezone = UTC\n"
        "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
        "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n")
    run = subprocess.run(["khal", "-c", str(config), "printics", "--format", "{uid}|{start}|{end}", str(tour_feed["path"])],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "TZ": "UTC"})
    assert run.returncode == 0, run.stderr
    got = {}
    for line in run.stdout.splitlines():
        if line.count("|") != 2:
            continue  # the "N events found" header
        uid, start, end = line.split("|")
        got[uid] = (start, end)
    expected = {uid: (s.strftime("%Y-%m-%d %H:%M"), e.strftime("%Y-%m-%d %H:%M")) for uid, (s, e) in tour_feed["timed"].items()}
    expected.update({uid: (day.isoformat(), day.isoformat()) for uid, day in tour_feed["days"].items()})  # khal: inclusive end
    assert got == expected
