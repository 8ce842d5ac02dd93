"""Issue 16.8: odd input an outsider or a coordinator can type never gets a 500.

Every route of `app.url_map` gets, in each path argument and in the query and form fields that name
records (`plan`, `compare`, `target`, `season`, `version`, `day`), a 23-digit id, a superscript two (`"²".isdigit()`
is true, `int("²")` fails), dates outside any season, and a NUL; once as an outsider, once as a coordinator.
Real names, slugs and tokens fill the other arguments, so the odd value reaches the code behind the route."""

from __future__ import annotations

import datetime as dt
import traceback
from urllib.parse import quote

import pytest

from tourplanner.accounts import create_user
from tourplanner.extensions import db
from tourplanner.feeds import issue_token
from tourplanner.intake import rotate_token
from tourplanner.models import AvailabilityWindow, Plan, Request, Team, Venue, Visit, now_utc

ODD_VALUES = ["1" + "0" * 22, "²", "0001-01-01", "9999-12-31", "\x00"]
ODD_FIELDS = ("plan", "compare", "target", "season", "version", "day", "request_id", "job_id", "team")
PASSWORD = "correct horse battery"


@pytest.fixture
def seeded(app, make_season):
    """A season with a team, a request and a published plan; real values for every kind of path argument."""
    season = make_season(name="spring")
    team = Team(season=season, slug="central", name="Central", colour="#2ca02c", base_name="Chicago, IL",
                base_lat=41.8781, base_lon=-87.6298, base_tz="America/Chicago")
    db.session.add(team)  # in the session before anything autoflushes the season it joined
    venue = Venue(name="Lincoln High School", type="high_school", city="Springfield", region="IL", country="US",
                  lat=39.7817, lon=-89.6501, tz="America/Chicago", geocode_source="given", geocode_precision="given")
    request = Request(season=season, ref="W1", venue=venue, contact_email="ann@example.org", status="scheduled",
                      windows=[AvailabilityWindow(first_date=season.start_date, last_date=season.end_date,
                                                  weekdays="mon,tue,wed,thu,fri", start_time=dt.time(9),
                                                  end_time=dt.time(15))])
    start = dt.datetime.combine(season.start_date + dt.timedelta(days=1), dt.time(16), dt.timezone.utc)
    plan = Plan(season=season, number=1, status="published", published_dt=now_utc(), solver={"time_limit_s": 1, "seed": 1}, kpis={},
                plan_json="{}", visits=[Visit(request=request, team=team, start_dt=start,
                                              end_dt=start + dt.timedelta(minutes=90), order=0)])
    db.session.add_all([team, request, plan])
    db.session.commit()
    create_user("coord@example.org", PASSWORD)
    return {
        "name": season.name, "slug": team.slug, "token": rotate_token(request),
        "feed_token": issue_token(season, "team", team=team, now=now_utc()),
        "date": season.start_date.isoformat(), "day": season.start_date.isoformat(),
        "action": "lock", "lib": "leaflet", "filename": "leaflet.js",
    }


def urls_with_odd_values(app, real: dict):
    """(method, url, form) for every route, with one odd value in each argument and in the record fields."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):  # logging out would end the coordinator's walk
            continue
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for odd in ODD_VALUES:
            for target in [*rule.arguments, None]:  # None: real path, odd query and form fields
                values = {}
                for arg in rule.arguments:
                    if arg == target:
                        values[arg] = odd
                    elif arg == "token" and rule.rule.startswith("/feeds/"):
                        values[arg] = real["feed_token"]
                    else:
                        values[arg] = real.get(arg, "1")
                path = rule.rule
                for arg, value in values.items():
                    path = path.replace(f"<{arg}>", quote(value, safe="")).replace(
                        f"<int:{arg}>", quote(value, safe="")).replace(f"<path:{arg}>", quote(value, safe=""))
                # Path arguments odd one at a time; with a real path, each record field odd on its own.
                for fields in ([{}] if target else [{name: odd} for name in ODD_FIELDS]):
                    query = "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()) if fields else ""
                    for method in methods:
                        yield method, path + query, {**fields, "kind": "team", "action": "approve"}


@pytest.mark.parametrize("as_coordinator", [False, True], ids=["outsider", "coordinator"])
def test_no_route_answers_odd_input_with_a_500(app, client, seeded, as_coordinator):
    if as_coordinator:
        assert client.post("/login", data={"email": "coord@example.org", "password": PASSWORD}).status_code == 302
    failures = []
    for method, url, form in urls_with_odd_values(app, seeded):
        try:
            with client.open(url, method=method, data=form if method == "POST" else None) as response:
                status = response.status_code  # the with closes a file the route streams (the map assets)
        except Exception as exc:  # in tests an unhandled error propagates instead of becoming the 500 page
            where = [f for f in traceback.extract_tb(exc.__traceback__) if "/tourplanner/" in f.filename][-1:]
            status = f"500 ({type(exc).__name__}: {str(exc)[:80]} at {where})"
        if not isinstance(status, int) or status >= 500:
            failures.append((method, url, status))
        db.session.rollback()
    assert failures == [], "\n".join(map(str, failures))


def test_day_maps_far_outside_the_season_are_404(client, seeded):
    for day in ("0001-01-01", "9999-12-31"):
        response = client.get(f"/feeds/{seeded['feed_token']}/days/{day}/map")
        assert response.status_code == 404 and "Traceback" not in response.get_data(as_text=True)


def test_a_nul_in_the_path_is_a_plain_404(client, seeded):
    response = client.get("/r/abc%00def")
    assert response.status_code == 404
