"""A published tour across every North American zone kind, written straight into the tables."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tourplanner.extensions import db
from tourplanner.models import Overnight, Plan, Request, Season, Team, TeamMember, Venue, Visit

UTC = dt.timezone.utc
SEASON_START = dt.date(2027, 2, 22)  # eleven weeks over the March 14, 2027 DST change
PUBLISHED_1 = dt.datetime(2027, 1, 20, 12, 0, tzinfo=UTC)
CONTACT = {"contact_name": "Zed Contactperson", "contact_email": "zed.contact@example.org", "contact_phone": "+1 604 555 0199"}
STREET = "742 Secretstreet Ave"

# name, city, region, country, lat, lon, tz
PLACES = {
    "west": [
        ("Lincoln High School", "Los Angeles", "CA", "US", 34.0522, -118.2437, "America/Los_Angeles"),
        ("Kitsilano Community Centre", "Vancouver", "BC", "CA", 49.2827, -123.1207, "America/Vancouver"),
        ("Desert Vista College", "Phoenix", "AZ", "US", 33.4484, -112.0740, "America/Phoenix"),
        ("Mile High Church", "Denver", "CO", "US", 39.7392, -104.9903, "America/Denver"),
        ("Prairie Hall", "Regina", "SK", "CA", 50.4452, -104.6189, "America/Regina"),
        ("Lakeside Library", "Chicago", "IL", "US", 41.8781, -87.6298, "America/Chicago"),
    ],
    "east": [
        ("Danforth Collegiate", "Toronto", "ON", "CA", 43.6532, -79.3832, "America/Toronto"),
        ("Brooklyn Arts Center", "New York", "NY", "US", 40.6782, -73.9442, "America/New_York"),
        ("Harbourfront Hall", "Halifax", "NS", "CA", 44.6488, -63.5752, "America/Halifax"),
        ("Signal Hill School", "St. John's", "NL", "CA", 47.5615, -52.7126, "America/St_Johns"),
    ],
}


def local(day: dt.date, hour: int, minute: int, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(tz)).astimezone(UTC)


def make_tour(name: str = "spring-2027", *, events_per_team: int = 12, payload: dict | None = None,
              weeks: int = 11) -> dict:
    """Season, two teams with members, requests and venues, and one published plan with overnights.

    Event k of a team is on a weekday every few days at 09:00-13:00 local; one east visit is
    cancelled and one west request confirmed. `payload` overrides fields of the first west request.
    """
    season = Season(name=name, start_date=SEASON_START, weeks=weeks)
    db.session.add(season)
    teams = {}
    for slug, (base, lat, lon, tz) in {"west": ("Los Angeles", 34.05, -118.24, "America/Los_Angeles"),
                                         "east": ("Toronto", 43.65, -79.38, "America/Toronto")}.items():
        team = Team(season=season, slug=slug, name=slug.title(), base_name=base, base_lat=lat, base_lon=lon, base_tz=tz)
        team.members = [TeamMember(name=f"{slug.title()} Nomad {i}", email=f"{slug}{i}@example.org") for i in (1, 2)]
        teams[slug] = team
    db.session.add_all(teams.values())
    plan = Plan(season=season, number=1, status="published", published_dt=PUBLISHED_1, created_dt=PUBLISHED_1)
    db.session.add(plan)
    visits = []
    last_day = SEASON_START + dt.timedelta(days=7 * weeks - 1)
    for slug, team in teams.items():
        places = PLACES[slug]
        day = SEASON_START
        for k in range(events_per_team):
            while day.weekday() == 6:  # Sundays are rest days
                day += dt.timedelta(days=1)
            if day > last_day:
                break
            vname, city, region, country, lat, lon, tz = places[k % len(places)]
            venue = Venue(name=vname, type="community", street=STREET, city=city, region=region, country=country,
                          postal_code="00000", lat=lat, lon=lon, tz=tz, geocode_source="given", geocode_precision="given")
            fields = dict(CONTACT, notes=f"Gym door {k}; park behind.", audience=100 + k)
            if payload and slug == "west" and k == 0:
                fields.update({key: value for key, value in payload.items() if key != "venue_name"})
                venue.name = payload.get("venue_name", venue.name)
            request = Request(season=season, venue=venue, ref=f"{slug}-{k}", status="scheduled", **fields)
            start = local(day, 9 + (k % 4), 30 if k % 2 else 0, tz)
            visit = Visit(plan=plan, request=request, team=team, start_dt=start, end_dt=start + dt.timedelta(minutes=90),
                          order=k, sequence=k % 3, changed_dt=PUBLISHED_1 - dt.timedelta(days=k),
                          drive_minutes_before=0 if k == 0 else 95 + 5 * k, drive_km_before=0.0 if k == 0 else 120.5 + k)
            visits.append(visit)
            day += dt.timedelta(days=1 + (k % 3))
    west = [v for v in visits if v.team is teams["west"]]
    east = [v for v in visits if v.team is teams["east"]]
    if len(west) > 2:
        west[2].request.status = "confirmed"
    if len(east) > 3:
        east[3].cancelled = True
        east[3].request.status = "cancelled"
        east[3].sequence += 1
    for team in teams.values():
        mine = [v for v in visits if v.team is team]
        d = SEASON_START
        while d <= last_day and mine:
            venue = next((v.request.venue for v in mine if v.start_dt.date() >= d), mine[-1].request.venue)
            db.session.add(Overnight(plan=plan, team=team, day=d, lat=venue.lat, lon=venue.lon, town=f"{venue.city}, {venue.region}"))
            d += dt.timedelta(days=1)
    db.session.add_all(visits)
    db.session.commit()
    return {"season": season, "teams": teams, "plan": plan, "visits": visits}


def republish(season: Season, plan: Plan, *, published: dt.datetime, moves: dict | None = None,
              cancel: tuple = ()) -> Plan:
    """A new published plan copying `plan`: moved visits (request_id -> new UTC start) and cancelled ones
    get SEQUENCE + 1 and DTSTAMP = `published`, the way planning.publish does; the rest stays as it was."""
    moves = moves or {}
    new = Plan(season=season, number=plan.number + 1, status="published", published_dt=published, created_dt=published)
    db.session.add(new)
    for v in plan.visits:
        start, end, seq, changed, cancelled = v.start_dt, v.end_dt, v.sequence, v.changed_dt, v.cancelled
        if v.request_id in moves:
            start = moves[v.request_id]
            end = start + (v.end_dt - v.start_dt)
            seq, changed = seq + 1, published
        if v.request_id in cancel and not v.cancelled:
            cancelled, seq, changed = True, seq + 1, published
        new.visits.append(Visit(request_id=v.request_id, team_id=v.team_id, start_dt=start, end_dt=end, order=v.order,
                                cancelled=cancelled, sequence=seq, changed_dt=changed,
                                drive_minutes_before=v.drive_minutes_before, drive_km_before=v.drive_km_before))
    for o in plan.overnights:
        new.overnights.append(Overnight(team_id=o.team_id, day=o.day, lat=o.lat, lon=o.lon, town=o.town))
    db.session.commit()
    return new


def expected_times(plan: Plan, *, include_cancelled: bool = True) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """What the plan says: each screening's UID and its UTC start and end."""
    return {
        f"visit-{v.request_id}@tour.test": (v.start_dt, v.end_dt)
        for v in plan.visits
        if include_cancelled or not v.cancelled
    }
