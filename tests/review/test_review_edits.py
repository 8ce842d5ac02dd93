"""Pins and edits on a plan: lock, move with the checker's verdict in plain words, drop, conflicts, re-plan."""

from __future__ import annotations

import datetime as dt
import time
from html import unescape

import pytest
from sqlalchemy import func, select

from tests.support.review import REVIEW_GETS, venue, weekday_window
from tests.support.accounts import as_coordinator
from tourplanner.extensions import db
from tourplanner.models import Plan, Request, Team, UnservedRequest, Visit

CHICAGO = "America/Chicago"


def local(day: str, clock: str) -> str:
    """An ISO start with Chicago's winter offset, as the plan JSON carries it."""
    return f"{day}T{clock}:00-06:00"


@pytest.fixture
def feasible(app, make_season):
    """Two teams from Chicago, four served Illinois requests and one unserved; saved through the checker.

    Central: Tue Feb 2 Springfield 10:00 and Peoria 14:00, drives on to Bloomington and sleeps there,
    Wed Feb 3 Bloomington 10:00.  North: Wed Feb 3 Rockford 10:00.  Champaign is left out (dropped_for_value).
    """
    from tourplanner import planning, review

    season = make_season(name="edit-2027")
    for slug, name in (("central", "Central"), ("north", "North")):
        db.session.add(Team(season=season, slug=slug, name=name, base_name="Chicago, IL", base_lat=41.8781,
                            base_lon=-87.6298, base_tz=CHICAGO))
    towns = {"spr": ("Springfield", 39.7817, -89.6501), "peo": ("Peoria", 40.6936, -89.5890),
             "blo": ("Bloomington", 40.4842, -88.9937), "roc": ("Rockford", 42.2711, -89.0940),
             "cha": ("Champaign", 40.1164, -88.2434)}
    for ref, (city, lat, lon) in towns.items():
        db.session.add(Request(
            season=season, ref=ref, venue=venue(f"{city} High School", city, "IL", lat, lon, CHICAGO),
            contact_email=f"{ref}@example.org", audience=100, status="approved",
            windows=[weekday_window(season, dt.time(9, 0), dt.time(21, 0))]))
    db.session.commit()
    data = {
        "instance": season.name, "status": "feasible", "solver": {"engine": "hand-made"},
        "routes": [
            {"team": "central", "visits": [
                {"request": "spr", "start": local("2027-02-02", "10:00"), "end": local("2027-02-02", "11:30")},
                {"request": "peo", "start": local("2027-02-02", "14:00"), "end": local("2027-02-02", "15:30")},
                {"request": "blo", "start": local("2027-02-03", "10:00"), "end": local("2027-02-03", "11:30")}],
             "nights": [{"date": "2027-02-02", "lat": 40.6936, "lon": -89.5890}]},
            {"team": "north", "visits": [
                {"request": "roc", "start": local("2027-02-03", "10:00"), "end": local("2027-02-03", "11:30")}],
             "nights": []},
        ],
        "unserved": [{"request": "cha", "reason": "dropped_for_value", "detail": ""}],
    }
    instance = planning.build_instance(season)
    for route in data["routes"]:
        review.reschedule(route, instance)  # legs and nights of the exact schedule
    data["kpis"] = review.plan_dict_kpis(data, {r.id: r.audience for r in instance.requests}, len(instance.requests))
    plan = planning.save_plan(season, data, params={"seed": 1})  # runs the checker: the fixture is feasible
    return season, plan


def visit_of(plan, ref) -> Visit:
    return db.session.scalar(select(Visit).join(Request).where(Visit.plan_id == plan.id, Request.ref == ref))


def snapshot(plan):
    db.session.expire_all()
    visits = db.session.execute(
        select(Request.ref, Visit.team_id, Visit.start_dt, Visit.end_dt, Visit.order, Visit.locked, Visit.version,
               Visit.drive_km_before).join(Request).where(Visit.plan_id == plan.id).order_by(Request.ref)).all()
    unserved = db.session.execute(select(UnservedRequest.request_id, UnservedRequest.reason)
                                  .where(UnservedRequest.plan_id == plan.id)).all()
    pins = db.session.execute(select(Request.ref, Request.pinned_team_id, Request.fixed_start_dt, Request.version)
                              .order_by(Request.ref)).all()
    return visits, sorted(unserved), pins, db.session.get(Plan, plan.id).plan_json


def act(client, season, visit, action, **form):
    """POST one edit of a visit of plan v1 with the version the page showed."""
    data = {"plan": 1, "version": visit.version, **form}
    return client.post(f"/admin/seasons/{season.name}/review/visits/{visit.id}/{action}", data=data)


def move(client, season, plan, visit, **form):
    return act(client, season, visit, "move", **{"team": visit.team.slug, **form})


@pytest.mark.parametrize("date, clock, reason", [
    ("2027-02-07", "10:00", "on a rest day of the tour: blo: on 2027-02-07 (sun), a day off"),
    ("2027-02-03", "20:00", "outside the venue's hours on that day: blo: 2027-02-03 19:30-21:45 local"),
    ("2027-02-02", "18:00", "one event too many that day: team central: more than 2 events on 2027-02-02"),
])
def test_a_move_that_breaks_a_rule_is_refused_with_its_reason_and_changes_nothing(
        coordinator, feasible, date, clock, reason):
    season, plan = feasible
    before = snapshot(plan)
    blo = visit_of(plan, "blo")
    response = move(coordinator, season, plan, blo, date=date, time=clock)
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "the change was refused; nothing was saved" in html
    assert reason in html
    assert snapshot(plan) == before


def test_a_feasible_move_is_saved_with_new_legs_and_kpis(coordinator, feasible):
    season, plan = feasible
    blo = visit_of(plan, "blo")
    response = move(coordinator, season, plan, blo, team="north", date="2027-02-04", time="11:00")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review/teams/north?plan=1")
    db.session.expire_all()
    blo = visit_of(plan, "blo")
    assert blo.team.slug == "north"
    assert blo.start_dt == dt.datetime(2027, 2, 4, 17, 0, tzinfo=dt.timezone.utc)  # 11:00 CST
    assert blo.end_dt == dt.datetime(2027, 2, 4, 18, 30, tzinfo=dt.timezone.utc)
    assert blo.order == 1
    roc = visit_of(plan, "roc")
    assert blo.drive_km_before > 150  # Rockford -> Bloomington, not the 0 km of a copied leg
    from tourplanner import planning
    from tourplanner.optimize import Plan as OptPlan
    from tourplanner.optimize import check

    stored = db.session.get(Plan, plan.id)
    assert check(planning.build_instance(season), OptPlan.from_dict(__import__("json").loads(stored.plan_json))) == []
    assert stored.kpis["drive_km"] == round(sum(v.drive_km_before for v in stored.visits), 1)
    assert roc.order == 0
    html = coordinator.get("/admin/seasons/edit-2027/review/teams/north").get_data(as_text=True)
    assert "11:00–12:30 CST" in html and "Bloomington High School" in html


def test_lock_pins_team_and_start_and_a_locked_visit_does_not_move(coordinator, feasible):
    season, plan = feasible
    spr = visit_of(plan, "spr")
    response = act(coordinator, season, spr, "lock")
    assert response.status_code == 302
    db.session.expire_all()
    spr = visit_of(plan, "spr")
    assert spr.locked
    assert spr.request.pinned_team.slug == "central"
    assert spr.request.fixed_start_dt == dt.datetime(2027, 2, 2, 16, 0, tzinfo=dt.timezone.utc)
    before = snapshot(plan)
    response = move(coordinator, season, plan, spr, date="2027-02-04", time="10:00")
    assert response.status_code == 422 and "locked" in response.get_data(as_text=True)
    assert snapshot(plan) == before
    response = act(coordinator, season, spr, "unlock")
    db.session.expire_all()
    spr = visit_of(plan, "spr")
    assert not spr.locked and spr.request.pinned_team_id is None and spr.request.fixed_start_dt is None


@pytest.mark.parametrize("action", ["lock", "move", "drop"])
def test_a_stale_version_gets_409_and_the_database_is_unchanged(coordinator, feasible, action):
    season, plan = feasible
    blo = visit_of(plan, "blo")
    stale = blo.version
    blo.drive_minutes_before += 1  # another coordinator saved this visit meanwhile
    db.session.commit()
    before = snapshot(plan)
    response = coordinator.post(f"/admin/seasons/{season.name}/review/visits/{blo.id}/{action}",
                                data={"plan": 1, "version": stale, "team": "central", "date": "2027-02-04",
                                      "time": "10:00"})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert snapshot(plan) == before


def test_drop_moves_the_request_to_unserved_and_relinks_the_route(coordinator, feasible):
    season, plan = feasible
    peo = visit_of(plan, "peo")
    response = act(coordinator, season, peo, "drop")
    assert response.status_code == 302
    db.session.expire_all()
    assert visit_of(plan, "peo") is None
    reasons = {u.request.ref: u.reason for u in db.session.get(Plan, plan.id).unserved}
    assert reasons == {"cha": "dropped_for_value", "peo": "dropped_by_coordinator"}
    html = coordinator.get("/admin/seasons/edit-2027/review").get_data(as_text=True)
    assert "dropped by a coordinator; every later plan leaves it out until a coordinator puts it back" in html
    assert "<strong>3</strong> of 5 requests served" in html


def test_a_published_plan_is_not_edited_in_place_but_can_be_copied(coordinator, feasible):
    from tourplanner import planning

    season, plan = feasible
    planning.publish(plan)
    blo = visit_of(plan, "blo")
    before = snapshot(plan)
    response = move(coordinator, season, plan, blo, date="2027-02-04", time="10:00")
    assert response.status_code == 422 and "is published" in response.get_data(as_text=True)
    assert snapshot(plan) == before
    response = coordinator.post("/admin/seasons/edit-2027/review/copy", data={"plan": 1})
    assert response.status_code == 302 and response.headers["Location"].endswith("plan=2")
    copy = db.session.scalar(select(Plan).where(Plan.number == 2))
    assert copy.status == "draft" and len(copy.visits) == 4


def test_replan_from_a_date_keeps_pins_and_earlier_visits_and_shows_changes(app, coordinator, feasible):
    """A venue cancels; re-plan from Feb 3: a background job (run here by hand) makes version 2."""
    from tourplanner import jobs

    app.config.update(JOBS_EMBEDDED_WORKER=False, REVIEW_REPLAN_SECONDS=2)
    season, plan = feasible
    roc = visit_of(plan, "roc")
    act(coordinator, season, roc, "lock")
    blo = db.session.scalar(select(Request).where(Request.ref == "blo"))
    blo.status = "cancelled"
    db.session.commit()
    response = coordinator.post("/admin/seasons/edit-2027/review/replan", data={"plan": 1, "from_date": "2027-02-03"})
    assert response.status_code == 303, response.get_data(as_text=True)
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.rollback()
    started = time.perf_counter()
    job = jobs.run_job(job_id)
    assert time.perf_counter() - started < 10
    assert job.status == "succeeded", job.error
    new = job.plan
    assert new.number == 2 and new.solver["previous_plan"] == 1
    kept = {v.request.ref: (v.team.slug, v.start_dt, v.locked) for v in new.visits}
    old = {v.request.ref: (v.team.slug, v.start_dt, True) for v in plan.visits}
    assert kept["spr"] == old["spr"] and kept["peo"] == old["peo"]  # before Feb 3: pinned and kept
    assert kept["roc"] == old["roc"]  # the pin survives re-planning
    assert "blo" not in kept
    html = coordinator.get("/admin/seasons/edit-2027/review").get_data(as_text=True)
    assert "Plan v2 for edit-2027" in html
    assert "What changed since v1" in html and "1 removed" in html and "Removed: blo" in html


def test_replan_refuses_a_date_outside_the_tour_and_pins_nothing(coordinator, feasible):
    season, plan = feasible
    before = snapshot(plan)
    response = coordinator.post("/admin/seasons/edit-2027/review/replan", data={"plan": 1, "from_date": "2026-12-01"})
    assert response.status_code == 422 and "outside the tour" in response.get_data(as_text=True)
    assert snapshot(plan) == before


POSTS = ["lock", "unlock", "move", "drop"]


@pytest.mark.parametrize("action", POSTS)
def test_anonymous_posts_are_sent_to_login_and_write_nothing(client, feasible, action):
    season, plan = feasible
    before = snapshot(plan)
    blo = visit_of(plan, "blo")
    response = client.post(f"/admin/seasons/{season.name}/review/visits/{blo.id}/{action}",
                           data={"plan": 1, "version": blo.version, "date": "2027-02-04", "time": "10:00"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert snapshot(plan) == before


@pytest.mark.parametrize("path", ["replan", "copy", "requests/peo/put-back"])
def test_anonymous_plan_posts_are_sent_to_login_and_write_nothing(client, feasible, path):
    season, plan = feasible
    response = client.post(f"/admin/seasons/{season.name}/review/{path}", data={"plan": 1, "from_date": "2027-02-01"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1


def test_every_review_route_is_covered_by_an_anonymous_test(app):

    posts = {f"/admin/seasons/<name>/review/{p}" for p in ("replan", "copy", "requests/<ref>/put-back")}
    posts.add("/admin/seasons/<name>/review/visits/<int:visit_id>/<action>")
    gets = {"/admin/seasons/<name>/review/visits/<int:visit_id>"}
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("review.")}
    covered = posts | gets | {
        u.replace("spring-2027", "<name>").replace("/teams/west/days/2027-02-03", "/teams/<slug>/days/<date>")
        .replace("/review/teams/west", "/review/teams/<slug>") for u in REVIEW_GETS}
    assert rules <= covered, rules - covered


def test_visit_page_shows_the_visit_and_its_forms_and_is_for_coordinators_only(client, app, feasible):
    season, plan = feasible
    blo = visit_of(plan, "blo")
    url = f"/admin/seasons/{season.name}/review/visits/{blo.id}"
    assert client.get(url).headers["Location"].startswith("/login")
    as_coordinator(client)
    html = client.get(url).get_data(as_text=True)
    assert "Team Central, Wednesday February 3, 2027, 10:00–11:30 CST (America/Chicago)" in html
    assert f'name="version" value="{blo.version}"' in html
    assert "Check and move" in html and "Drop from this plan" in html


def test_edits_without_a_csrf_token_are_refused_and_write_nothing(app, coordinator, feasible):
    season, plan = feasible
    app.config["WTF_CSRF_ENABLED"] = True
    before = snapshot(plan)
    blo = visit_of(plan, "blo")
    for action in POSTS:
        response = coordinator.post(f"/admin/seasons/{season.name}/review/visits/{blo.id}/{action}",
                                    data={"plan": 1, "version": blo.version, "date": "2027-02-04", "time": "10:00"})
        assert response.status_code == 400, action
    for path in ("replan", "copy"):
        assert coordinator.post(f"/admin/seasons/{season.name}/review/{path}",
                                data={"plan": 1, "from_date": "2027-02-01"}).status_code == 400
    assert snapshot(plan) == before


def test_a_move_with_an_unreadable_time_says_what_is_wrong(coordinator, feasible):
    season, plan = feasible
    before = snapshot(plan)
    response = move(coordinator, season, plan, visit_of(plan, "blo"), date="2027-02-04", time="ten o'clock")
    assert response.status_code == 422
    assert "time must look like 14:30" in unescape(response.get_data(as_text=True))
    assert snapshot(plan) == before


def test_a_visit_of_a_cancelled_request_cannot_move_but_can_be_dropped(coordinator, feasible):
    season, plan = feasible
    peo = visit_of(plan, "peo")
    peo.request.status = "cancelled"
    db.session.commit()
    before = snapshot(plan)
    response = move(coordinator, season, plan, peo, date="2027-02-04", time="10:00")
    assert response.status_code == 422
    assert "request peo is cancelled now: drop it from the plan or re-plan" in unescape(response.get_data(as_text=True))
    assert snapshot(plan) == before
    response = act(coordinator, season, peo, "drop")
    assert response.status_code == 302
    db.session.expire_all()
    assert visit_of(plan, "peo") is None
    blo = visit_of(plan, "blo")  # the next leg now starts in Springfield
    from tourplanner.optimize.travel import travel_matrix

    travel = travel_matrix([39.7817, 40.4842], [-89.6501, -88.9937], ["US", "US"], border_minutes=60)
    minutes, km = travel.minutes, travel.km
    assert (blo.drive_minutes_before, blo.drive_km_before) == (int(minutes[0, 1]), float(km[0, 1]))


def replan(app, client, season, number: int, from_date: str) -> Plan:
    """Re-plan version `number` from a date through the review page; the job runs here and its plan is returned."""
    from tourplanner import jobs

    app.config.update(JOBS_EMBEDDED_WORKER=False, REVIEW_REPLAN_SECONDS=2)
    response = client.post(f"/admin/seasons/{season.name}/review/replan", data={"plan": number, "from_date": from_date})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.rollback()
    job = jobs.run_job(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert job.status == "succeeded", job.error
    return job.plan


def served(plan) -> dict:
    db.session.expire_all()
    return {v.request.ref: v for v in db.session.get(Plan, plan.id).visits if not v.cancelled}


def unserved_reasons(plan) -> dict:
    return {u.request.ref: u.reason for u in db.session.get(Plan, plan.id).unserved}


def test_a_visit_dropped_by_hand_stays_out_of_later_plans_until_put_back(app, coordinator, feasible):
    season, plan = feasible
    assert act(coordinator, season, visit_of(plan, "peo"), "drop").status_code == 302
    page = unescape(coordinator.get(f"/admin/seasons/{season.name}/review").get_data(as_text=True))
    assert "every later plan leaves it out until a coordinator puts it back" in page and ">Put back</button>" in page
    v2 = replan(app, coordinator, season, 1, "2027-02-01")
    assert "peo" not in served(v2) and {"spr", "blo", "roc"} <= set(served(v2))
    assert unserved_reasons(v2)["peo"] == "dropped_by_coordinator"
    page = unescape(coordinator.get(f"/admin/seasons/{season.name}/review?plan=2").get_data(as_text=True))
    assert "Plan v2" in page and ">Put back</button>" in page
    peo = db.session.scalar(select(Request).where(Request.ref == "peo"))
    response = coordinator.post(f"/admin/seasons/{season.name}/review/requests/peo/put-back",
                                data={"plan": 2, "version": peo.version}, follow_redirects=True)
    page = unescape(response.get_data(as_text=True))
    assert "Put peo back: the next plan or re-plan considers it again." in page
    assert "put back: the next plan considers it again" in page and ">Put back</button>" not in page
    v3 = replan(app, coordinator, season, 2, "2027-02-01")
    assert "peo" in served(v3)


def test_a_drop_leaves_no_night_behind_in_the_plan_or_the_published_feed(app, coordinator, feasible):
    """Central drives on from Peoria to Bloomington on Tuesday evening and sleeps there; dropping Bloomington
    moves that night back to Peoria and ends the nights on Tuesday, its last event's day."""
    from tourplanner import feeds, planning
    from tourplanner.models import Overnight, now_utc

    season, plan = feasible
    central = db.session.scalar(select(Team).where(Team.slug == "central"))

    def nights():
        db.session.expire_all()
        return {n.day.isoformat(): n.town for n in db.session.scalars(
            select(Overnight).where(Overnight.plan_id == plan.id, Overnight.team_id == central.id))}

    assert nights()["2027-02-02"] == "Bloomington, IL" and "2027-02-03" in nights()
    sheet = unescape(coordinator.get(f"/admin/seasons/{season.name}/teams/central/days/2027-02-03?plan=1")
                     .get_data(as_text=True))
    assert "Morning in Bloomington, IL." in sheet  # the day sheet's drive counts from where the team slept:
    assert "none today (the 65 km from Peoria, IL were driven last evening)" in sheet
    assert act(coordinator, season, visit_of(plan, "blo"), "drop").status_code == 302
    after = nights()
    assert after["2027-02-02"] == "Peoria, IL" and "2027-02-03" not in after and len(after) == 2
    itinerary = coordinator.get(f"/admin/seasons/{season.name}/review/teams/central").get_data(as_text=True)
    assert "Bloomington" not in itinerary
    planning.publish(db.session.get(Plan, plan.id))
    feeds.clear_cache()
    token = feeds.issue_token(season, "team", team=central, now=now_utc())
    body = coordinator.get(f"/feeds/{token}.ics").get_data(as_text=True)
    assert "Night in Peoria\\, IL" in body and "Bloomington" not in body


def test_another_date_unlocks_blacks_out_the_day_and_the_next_plan_proposes_another(app, client, feasible):
    """Bloomington's Wednesday was locked and published; the venue cannot make it."""
    from tourplanner import feeds, intake, planning
    from tourplanner.models import RefusedDate, now_utc

    season, plan = feasible
    as_coordinator(client)
    assert act(client, season, visit_of(plan, "blo"), "lock").status_code == 302
    planning.publish(db.session.get(Plan, plan.id))
    blo = db.session.scalar(select(Request).where(Request.ref == "blo"))
    venue_token = intake.rotate_token(blo)
    central = db.session.scalar(select(Team).where(Team.slug == "central"))
    team_token = feeds.issue_token(season, "team", team=central, now=now_utc())
    feeds.clear_cache()
    uid = f"visit-{blo.id}@tour.test"
    assert f"UID:{uid}" in client.get(f"/feeds/{team_token}.ics").get_data(as_text=True)

    response = client.post(f"/r/{venue_token}/another-date", data={"message": "Not Wednesdays"}, follow_redirects=True)
    page = unescape(response.get_data(as_text=True))
    assert "We will look for another date" in page
    assert "The date you could not make" in page and "Wednesday, February 3, 2027" in page and "cancelled" in page
    assert "The date we propose" not in page
    for body in (client.get(f"/r/{venue_token}/event.ics").get_data(as_text=True),
                 client.get(f"/feeds/{team_token}.ics").get_data(as_text=True)):
        event = body.split(f"UID:{uid}")[1].split("END:VEVENT")[0]
        assert "STATUS:CANCELLED" in event
    db.session.expire_all()
    assert (blo.pinned_team_id, blo.fixed_start_dt) == (None, None)
    assert not visit_of(plan, "blo").locked
    assert [(r.day, r.start_dt) for r in db.session.scalars(select(RefusedDate))] == [
        (dt.date(2027, 2, 3), dt.datetime(2027, 2, 3, 16, 0, tzinfo=dt.timezone.utc))]
    page = unescape(client.get(f"/admin/requests/{blo.id}").get_data(as_text=True))  # the coordinator's view
    assert "<dt>Turned down</dt><dd id=\"refused-dates\">2027-02-03 " in page

    v2 = replan(app, client, season, 1, "2027-02-01")
    new = served(v2)["blo"]
    assert new.start_dt.astimezone(dt.timezone(dt.timedelta(hours=-6))).date() != dt.date(2027, 2, 3)
    assert {"spr", "peo", "roc"} <= set(served(v2))  # nothing else lost
    planning.publish(db.session.get(Plan, v2.id))
    page = unescape(client.get(f"/r/{venue_token}").get_data(as_text=True))
    assert "The date we propose" in page and "The date you could not make" not in page
    assert f"{new.start_dt.astimezone(dt.timezone(dt.timedelta(hours=-6))):%A, %B} " in page


def test_a_repaired_plan_warns_on_the_review_and_job_pages_and_names_the_visits(coordinator, feasible):
    from tourplanner.models import Job

    season, plan = feasible
    row = db.session.get(Plan, plan.id)
    row.solver = {**row.solver, "repaired": 1, "repaired_requests": ["cha"]}
    job = Job(season=season, status="succeeded", params={"time_limit_s": 2, "seed": 1}, plan=row)
    db.session.add(job)
    db.session.commit()
    for url in (f"/admin/seasons/{season.name}/review", f"/admin/jobs/{job.id}"):
        page = unescape(coordinator.get(url).get_data(as_text=True))
        assert "Warning: the plan checker rejected 1 visit(s) the optimizer proposed" in page, url
        assert "left out of" in page and ": cha" in page, url


def test_a_move_and_a_lock_re_derive_the_teams_nights(coordinator, feasible):
    from tourplanner.models import Overnight

    season, plan = feasible
    teams = {t.slug: t for t in db.session.scalars(select(Team))}

    def nights(slug):
        db.session.expire_all()
        return {n.day.isoformat(): n.town for n in db.session.scalars(
            select(Overnight).where(Overnight.plan_id == plan.id, Overnight.team_id == teams[slug].id))}

    response = move(coordinator, season, plan, visit_of(plan, "blo"), team="north", date="2027-02-04", time="11:00")
    assert response.status_code == 302
    central, north = nights("central"), nights("north")
    assert sorted(central) == ["2027-02-01", "2027-02-02"] and central["2027-02-02"] == "Peoria, IL"
    assert sorted(north)[-1] == "2027-02-04" and north["2027-02-04"] == "Bloomington, IL"
    # A night stored by an older version of the app, after the team's last event: the next lock removes it.
    db.session.add(Overnight(plan_id=plan.id, team_id=teams["central"].id, day=dt.date(2027, 2, 10), lat=40.48,
                             lon=-88.99, town="Bloomington, IL"))
    db.session.commit()
    assert act(coordinator, season, visit_of(plan, "spr"), "lock").status_code == 302
    assert nights("central") == central
