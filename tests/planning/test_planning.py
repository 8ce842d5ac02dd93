"""planning.py: rows -> instance, a solved plan -> rows, publishing with SEQUENCE bumps, comparing versions."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.support.mail import wait_for_emails
from tests.support.seasons import SPRINGFIELD
from tourplanner import planning
from tourplanner.extensions import db
from tourplanner.models import DEFAULT_RULES, AvailabilityWindow, BlackoutDate, Plan, Team, Visit

UTC = dt.timezone.utc


def window(first, last, days, start, end):
    return AvailabilityWindow(first_date=dt.date.fromisoformat(first), last_date=dt.date.fromisoformat(last),
                              weekdays=days, start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end))


@pytest.fixture
def make_team(app):
    def make(season, slug="east", **kw):
        team = Team(season=season, slug=slug, name=kw.pop("name", slug.title()), base_name="Springfield, IL",
                    base_lat=kw.pop("lat", 39.7817), base_lon=kw.pop("lon", -89.6501),
                    base_tz=kw.pop("tz", "America/Chicago"), **kw)
        db.session.add(team)
        db.session.commit()
        return team

    return make


def test_instance_dict_from_rows_windows_blackouts_pins_and_zones(make_season, make_request, make_team):
    season = make_season(name="spring-test", start_date=dt.date(2027, 3, 1), weeks=3,
                         rules={"max_events_per_day": 1, "km_weight": 0.5})
    east = make_team(season, "east", region_hint="il, wi; IN")
    make_team(season, "north", lat=47.5615, lon=-52.7126, tz="America/St_Johns", end_lat=45.5, end_lon=-73.57,
              end_tz="America/Toronto")
    make_request(
        season, ref="r1", status="approved", audience=300, priority=4, duration_minutes=75,
        venue_name="Lincoln High School",
        windows=[
            # starts before the season: clipped to March 1; Mondays and Wednesdays
            window("2027-02-20", "2027-03-10", "mon,wed", "09:00", "12:00"),
            # overlaps March 3: merged into one window 09:00-15:00
            window("2027-03-03", "2027-03-03", "mon,tue,wed,thu,fri,sat,sun", "11:00", "15:00"),
        ],
        blackouts=[BlackoutDate(day=dt.date(2027, 3, 8))],
    )
    make_request(
        season, ref="r2", status="scheduled", venue_name="Gower Street Church", venue_type="church",
        city="St. John's", region="NL", country="CA", postal_code="A1C 1A1", lat=47.5605, lon=-52.7128,
        tz="America/St_Johns", pinned_team=east,
        # after the DST change of March 14: Newfoundland is UTC-2:30, so 12:30 UTC is 10:00 local
        fixed_start_dt=dt.datetime(2027, 3, 15, 12, 30, tzinfo=UTC),
        windows=[window("2027-03-15", "2027-03-16", "mon,tue", "09:30", "16:00")],
    )
    make_request(season, ref="r3", status="submitted")
    make_request(season, ref="r4", status="declined")
    make_request(
        season, ref="r5", status="confirmed", venue_name="Page High School", city="Page", region="AZ",
        lat=36.9147, lon=-111.4558, tz="America/Phoenix",
        windows=[window("2027-04-01", "2027-04-30", "mon,tue,wed,thu,fri", "08:00", "14:00")],
    )

    data = planning.instance_dict(season)

    rules = {**DEFAULT_RULES, "max_events_per_day": 1, "km_weight": 0.5}
    assert data == {
        "name": "spring-test",
        "start_date": "2027-03-01",
        "days": 21,
        "rules": rules,
        "teams": [
            {"id": "east", "name": "East", "start": {"lat": 39.7817, "lon": -89.6501, "tz": "America/Chicago"},
             "end": None, "regions": ["IL", "IN", "WI"]},
            {"id": "north", "name": "North", "start": {"lat": 47.5615, "lon": -52.7126, "tz": "America/St_Johns"},
             "end": {"lat": 45.5, "lon": -73.57, "tz": "America/Toronto"}},
        ],
        "requests": [
            {"id": "r1", "name": "Lincoln High School", "type": "high_school", "lat": 39.7817, "lon": -89.6501,
             "tz": "America/Chicago", "country": "US", "region": "IL", "audience": 300, "duration_minutes": 75,
             "priority": 4,
             "windows": [
                 {"start": "2027-03-01T09:00", "end": "2027-03-01T12:00"},
                 {"start": "2027-03-03T09:00", "end": "2027-03-03T15:00"},
                 {"start": "2027-03-10T09:00", "end": "2027-03-10T12:00"},
             ],
             "team": None, "fixed_start": None},
            {"id": "r2", "name": "Gower Street Church", "type": "church", "lat": 47.5605, "lon": -52.7128,
             "tz": "America/St_Johns", "country": "CA", "region": "NL", "audience": 50, "duration_minutes": 90,
             "priority": 3,
             "windows": [
                 {"start": "2027-03-15T09:30", "end": "2027-03-15T16:00"},
                 {"start": "2027-03-16T09:30", "end": "2027-03-16T16:00"},
             ],
             "team": "east", "fixed_start": "2027-03-15T10:00"},
            {"id": "r5", "name": "Page High School", "type": "high_school", "lat": 36.9147, "lon": -111.4558,
             "tz": "America/Phoenix", "country": "US", "region": "AZ", "audience": 50, "duration_minutes": 90,
             "priority": 3, "windows": [], "team": None, "fixed_start": None},
        ],
    }
    instance = planning.build_instance(season, data)  # the optimizer reads it as written
    assert [r.id for r in instance.requests] == ["r1", "r2", "r5"]


def test_instance_dict_names_a_venue_without_coordinates(make_season, make_request, make_team):
    season = make_season()
    make_team(season)
    make_request(season, ref="r9", status="approved", venue_name="Nowhere Hall", lat=None, lon=None)
    with pytest.raises(planning.PlanningError, match="request r9 \\(Nowhere Hall\\)"):
        planning.instance_dict(season)


def test_input_hash_same_input_same_hash():
    data = {"name": "s", "requests": [{"id": "r1"}]}
    a = planning.input_hash(data, {"time_limit_s": 5, "seed": 1})
    assert a == planning.input_hash(json.loads(json.dumps(data)), {"seed": 1, "time_limit_s": 5, "note": "x"})
    assert a != planning.input_hash(data, {"time_limit_s": 5, "seed": 2})
    assert a != planning.input_hash({**data, "name": "t"}, {"time_limit_s": 5, "seed": 1})


# ---------------------------------------------------------------- save, publish, compare


@pytest.fixture
def small_season(make_season, make_request, make_team):
    """One team in Springfield and three venues a few km away, weekdays 9-15 in March 2027."""
    season = make_season(name="march", start_date=dt.date(2027, 3, 1), weeks=2)
    make_team(season, "east")
    for ref, name, lat, lon in SPRINGFIELD:
        make_request(season, ref=ref, status="approved", venue_name=name, lat=lat, lon=lon,
                     contact_email=f"{ref}@example.org", contact_name=f"Contact {ref}")
    return season


def solve_and_save(season, seed=1, previous=None):
    from tourplanner.optimize import solve

    data = planning.instance_dict(season)
    instance = planning.build_instance(season, data)
    plan = solve(instance, time_limit_s=1, seed=seed)
    return planning.save_plan(season, plan, params={"time_limit_s": 1, "seed": seed}, previous=previous,
                              instance=instance, instance_data=data)


def visits_by_ref(plan):
    return {v.request.ref: v for v in plan.visits}


def test_save_plan_writes_visits_overnights_and_kpis_in_utc(small_season):
    row = solve_and_save(small_season)

    assert (row.number, row.status) == (1, "draft")
    assert row.kpis["served"] == 3 and row.kpis["requests"] == 3
    by_ref = visits_by_ref(row)
    assert sorted(by_ref) == ["r1", "r2", "r3"]
    plan = json.loads(row.plan_json)
    for route in plan["routes"]:
        for order, v in enumerate(route["visits"]):
            visit = by_ref[v["request"]]
            assert visit.start_dt == dt.datetime.fromisoformat(v["start"]).astimezone(UTC)
            assert visit.start_dt.tzinfo == UTC
            assert visit.order == order
            assert visit.drive_km_before == v["drive_km_before"]
    # Every visit lies in 9:00-15:00 Chicago time (CST, UTC-6, in early March).
    for v in row.visits:
        assert dt.time(15) <= v.start_dt.time() and v.end_dt.time() <= dt.time(21)
    assert row.overnights and all(o.town.endswith(", IL") for o in row.overnights)
    assert json.loads(row.instance_json)["name"] == "march"
    assert row.input_hash == planning.input_hash(json.loads(row.instance_json), {"time_limit_s": 1, "seed": 1})


def test_save_plan_refuses_a_plan_the_checker_rejects(small_season):
    from tourplanner.optimize import Plan as OptPlan

    row = solve_and_save(small_season)
    data = json.loads(row.plan_json)
    first = data["routes"][0]["visits"][0]
    start = dt.datetime.fromisoformat(first["start"])
    # 3 a.m. local: outside the venue's window and the team's day
    first["start"] = start.replace(hour=3).isoformat()
    first["end"] = (start.replace(hour=3) + dt.timedelta(minutes=90)).isoformat()
    with pytest.raises(planning.PlanRejected, match="violation"):
        planning.save_plan(small_season, OptPlan.from_dict(data), params={"time_limit_s": 1, "seed": 9})
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1


def pin(request, visit):
    request.pinned_team_id = visit.team_id
    request.fixed_start_dt = visit.start_dt


def test_publish_bumps_sequence_on_change_and_keeps_a_cancelled_visit(small_season):
    mail = []
    t1 = dt.datetime(2027, 2, 1, 12, tzinfo=UTC)
    v1 = solve_and_save(small_season)
    result = planning.publish(v1, now=t1)
    planning.send_now(result, lambda *m: mail.append(m))

    assert sorted(result.new) == ["r1", "r2", "r3"] and result.changed == result.cancelled == []
    assert {v.request.ref: (v.sequence, v.changed_dt) for v in v1.visits} == {
        "r1": (0, t1), "r2": (0, t1), "r3": (0, t1)}
    assert {v.request.status for v in v1.visits} == {"scheduled"}
    assert sorted(m[0] for m in mail) == ["r1@example.org", "r2@example.org", "r3@example.org"]
    assert all("private link we sent you" in m[2] for m in mail)
    assert small_season.published_plan() == v1

    # r1 confirmed for another day, r2 pinned where it is, r3 cancelled by its venue.
    old = visits_by_ref(v1)
    r1, r2, r3 = (old[k].request for k in ("r1", "r2", "r3"))
    other_day = old["r1"].start_dt + dt.timedelta(days=7 if old["r1"].start_dt.day < 8 else -7)
    r1.pinned_team_id, r1.fixed_start_dt = old["r1"].team_id, other_day
    pin(r2, old["r2"])
    r3.status = "cancelled"
    db.session.commit()
    v2 = solve_and_save(small_season)
    mail.clear()
    t2 = t1 + dt.timedelta(days=1)
    result = planning.publish(v2, now=t2)
    planning.send_now(result, lambda *m: mail.append(m))

    new = visits_by_ref(v2)
    assert new["r1"].start_dt == other_day
    assert (new["r1"].sequence, new["r1"].changed_dt, new["r1"].cancelled) == (1, t2, False)
    assert (new["r2"].sequence, new["r2"].changed_dt, new["r2"].cancelled) == (0, t1, False)
    assert (new["r3"].sequence, new["r3"].changed_dt, new["r3"].cancelled) == (1, t2, True)
    assert new["r3"].start_dt == old["r3"].start_dt  # the cancelled event keeps its time for the feeds
    assert result.changed == ["r1"] and result.cancelled == ["r3"]
    assert [m[0] for m in mail] == ["r1@example.org"]  # r3 cancelled itself; r2 did not change
    assert "has changed" in mail[0][2]
    assert r3.status == "cancelled"
    # The previous version stays viewable and untouched.
    db.session.expire_all()
    assert v1.status == "published" and len(v1.visits) == 3 and not any(v.cancelled for v in v1.visits)
    assert small_season.published_plan() == v2

    # Another version with nothing changed: sequences carried, the cancelled visit carried as it was.
    v3 = solve_and_save(small_season, seed=2)
    planning.send_now(planning.publish(v3, now=t2 + dt.timedelta(days=1)), lambda *m: mail.append(m))
    assert {r: (v.sequence, v.cancelled) for r, v in visits_by_ref(v3).items()} == {
        "r1": (1, False), "r2": (0, False), "r3": (1, True)}
    assert len(mail) == 1

    comparison = planning.compare(v1, v2)
    assert [m.ref for m in comparison.moved] == ["r1"]
    assert (comparison.moved[0].old_start, comparison.moved[0].new_start) == (old["r1"].start_dt, other_day)
    assert [v.request.ref for v in comparison.removed] == ["r3"]
    assert comparison.added == [] and comparison.unchanged == 1


def test_publish_refuses_a_plan_whose_request_was_cancelled_since(small_season):
    v1 = solve_and_save(small_season)
    visits_by_ref(v1)["r2"].request.status = "cancelled"
    db.session.commit()
    with pytest.raises(planning.PublishError, match="r2"):
        planning.publish(v1)
    db.session.rollback()
    assert small_season.published_plan() is None
    assert db.session.scalar(select(func.count()).select_from(Visit).where(Visit.sequence > 0)) == 0


def test_publish_queues_the_venue_emails_and_a_worker_sends_them(small_season, app, tmp_path):
    from tourplanner import jobs

    app.config.update(MAIL_OUTBOX=str(tmp_path / "outbox"), REDIS_URL=None, HUEY_NAME="mail-test")
    try:
        v1 = solve_and_save(small_season)
        db.session.commit()  # SQLite: hold no transaction while the worker thread writes
        result = planning.publish(v1)  # the Publish button's path: publish, then queue what it returned
        jobs.queue_publish_mail(result)
        assert sorted(result.queued) == ["r1", "r2", "r3"] and result.emailed == []
        files = wait_for_emails(tmp_path / "outbox", 3)
    finally:
        jobs.stop_embedded_worker(app)
    text = b"".join(f.read_bytes() for f in files).decode()
    assert "Proposed screening date: Lincoln High School" in text


def test_publish_bumps_sequence_when_only_the_venue_moved(small_season):
    v1 = solve_and_save(small_season)
    planning.publish(v1)
    old = visits_by_ref(v1)
    for visit in old.values():
        pin(visit.request, visit)  # same team, same time
    old["r2"].request.venue.lat += 0.01  # a coordinator corrected where the venue is (about 1 km)
    db.session.commit()
    mail = []
    v2 = solve_and_save(small_season)
    result = planning.publish(v2)
    planning.send_now(result, lambda *m: mail.append(m))

    new = visits_by_ref(v2)
    assert {r: new[r].start_dt for r in new} == {r: old[r].start_dt for r in old}
    assert {r: new[r].sequence for r in new} == {"r1": 0, "r2": 1, "r3": 0}
    assert result.changed == ["r2"] and mail == []  # same date: calendars update, no email needed


def test_a_date_the_venue_confirmed_is_pinned_in_every_later_plan(small_season):
    from tourplanner import intake
    from tourplanner.models import now_utc

    v1 = solve_and_save(small_season)
    planning.publish(v1)
    visit = visits_by_ref(v1)["r1"]
    intake.confirm_date(visit.request, now=now_utc())
    requests = {r["id"]: r for r in planning.instance_dict(small_season)["requests"]}
    local = visit.start_dt.astimezone(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")
    assert (requests["r1"]["team"], requests["r1"]["fixed_start"]) == ("east", local)
    assert (requests["r2"]["team"], requests["r2"]["fixed_start"]) == (None, None)  # proposed, not confirmed
