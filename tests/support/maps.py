"""A seeded tour for map pages: two teams, a published and a draft plan, nights, an unserved request, tokens."""

from __future__ import annotations

import datetime as dt

from tourplanner.models import (
    FeedToken, Overnight, Plan, Request, Season, Team, TeamMember, UnservedRequest, Venue, Visit, new_token, now_utc,
)

UTC = dt.timezone.utc


PAYLOAD_VENUE = "St Mary\\`)[0];alert(7);//<img src=x onerror=alert(1)>${alert(3)}</script>"


CONTACT_MARKERS = ("Zed Contactperson", "zed.contact@example.org", "+1 217 555 0199", "12 Secretive Street")


# (name, city, region, country, lat, lon, tz, show_on_public_map)
VENUES = [
    (PAYLOAD_VENUE, "Springfield", "IL", "US", 39.7817, -89.6501, "America/Chicago", False),
    ("Lincoln High School", "Decatur", "IL", "US", 39.8403, -88.9548, "America/Chicago", False),
    ("Grace Church", "Bloomington", "IL", "US", 40.4842, -88.9937, "America/Chicago", True),
    ("Champaign Central", "Champaign", "IL", "US", 40.1164, -88.2434, "America/Chicago", False),
    ("Memphis Community Hall", "Memphis", "TN", "US", 35.1495, -90.0490, "America/Chicago", False),
    ("Jackson College", "Jackson", "MS", "US", 32.2988, -90.1848, "America/Chicago", False),
    ("Little Rock Library", "Little Rock", "AR", "US", 34.7465, -92.2896, "America/Chicago", False),
    ("Far Away School", "Thunder Bay", "ON", "CA", 48.3809, -89.2477, "America/Toronto", False),
]


def seed_tour(session) -> dict:
    """A season with two teams, a published plan 1 (7 visits, nights, one unserved) and a draft plan 2."""
    season = Season(name="spring-2027", start_date=dt.date(2027, 2, 1), weeks=11)
    north = Team(season=season, slug="north", name="North <i>van</i>", colour="#1f77b4", base_name="Peoria, IL",
                 base_lat=40.6936, base_lon=-89.5890, base_tz="America/Chicago")
    south = Team(season=season, slug="south", name="South van", colour="#d62728", base_name="Memphis, TN",
                 base_lat=35.1495, base_lon=-90.0490, base_tz="America/Chicago")
    session.add_all([season, north, south])
    requests = []
    for i, (name, city, region, country, lat, lon, tz, shown) in enumerate(VENUES):
        venue = Venue(name=name, type="high_school", street=CONTACT_MARKERS[3], city=city, region=region,
                      country=country, postal_code="62701" if country == "US" else "P7B 1A1", lat=lat, lon=lon, tz=tz,
                      geocode_source="given", geocode_precision="zip", show_on_public_map=shown)
        requests.append(Request(season=season, venue=venue, ref=f"r{i + 1}", contact_name=CONTACT_MARKERS[0],
                                contact_email=CONTACT_MARKERS[1], contact_phone=CONTACT_MARKERS[2], audience=80 + i,
                                status="scheduled" if i < 7 else "approved"))
    session.add_all(requests)
    published = Plan(season=season, number=1, status="published", published_dt=now_utc())
    draft = Plan(season=season, number=2, status="draft")
    session.add_all([published, draft])
    # north: Mon, Tue of week 1 and Mon, Tue of week 2; south: three days of week 1
    north_days = [(0, 0, 15), (1, 1, 15), (2, 7, 15), (3, 8, 16)]
    south_days = [(4, 1, 16), (5, 2, 15), (6, 3, 16)]
    for plan, rows in ((published, north_days + south_days), (draft, north_days[:2])):
        for order, (i, day, hour) in enumerate(rows):
            team = north if (i, day, hour) in north_days else south
            start = dt.datetime.combine(season.start_date + dt.timedelta(days=day), dt.time(hour), UTC)
            session.add(Visit(plan=plan, request=requests[i], team=team, start_dt=start,
                              end_dt=start + dt.timedelta(minutes=90), order=order, drive_km_before=80.0,
                              drive_minutes_before=65))
    cancelled_start = dt.datetime(2027, 2, 10, 15, tzinfo=UTC)
    session.add(Visit(plan=published, request=requests[7], team=north, start_dt=cancelled_start,
                      end_dt=cancelled_start + dt.timedelta(hours=1), order=9, cancelled=True))
    for day, town, lat, lon in ((0, "Decatur, IL", 39.84, -88.95), (1, "Bloomington, IL", 40.48, -88.99)):
        session.add(Overnight(plan=published, team=north, day=season.start_date + dt.timedelta(days=day),
                              lat=lat, lon=lon, town=town))
    session.add(UnservedRequest(plan=draft, request=requests[7], reason="too_far", detail="400 km from any route"))
    member = TeamMember(team=north, name="Nomad Nora", email="nora@example.org")
    session.add(member)
    session.commit()
    team_token, team_hash = new_token()
    member_token, member_hash = new_token()
    revoked_token, revoked_hash = new_token()
    session.add_all([
        FeedToken(token_hash=team_hash, kind="team", season=season, team=north),
        FeedToken(token_hash=member_hash, kind="member", season=season, member=member),
        FeedToken(token_hash=revoked_hash, kind="team", season=season, team=north, revoked_dt=now_utc()),
    ])
    session.commit()
    return {"season": season, "north": north, "south": south, "team_token": team_token,
            "member_token": member_token, "revoked_token": revoked_token}
