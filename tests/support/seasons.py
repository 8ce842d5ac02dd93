"""Requests around Springfield, IL: the small season that planning, jobs and publishing tests solve."""

from __future__ import annotations

import datetime as dt
import random

from tourplanner.extensions import db
from tourplanner.models import AvailabilityWindow, Request, Venue

SPRINGFIELD = [("r1", "Lincoln High School", 39.80, -89.64), ("r2", "Capital College", 39.75, -89.68),
               ("r3", "First Church", 39.83, -89.60)]


def add_busy_requests(season, count: int) -> None:
    """Approved requests scattered within ~250 km of Springfield, IL (deterministic)."""
    rng = random.Random(7)
    for i in range(count):
        venue = Venue(name=f"Busy School {i}", type="high_school", city="Springfield", region="IL", country="US",
                      lat=39.78 + rng.uniform(-2, 2), lon=-89.65 + rng.uniform(-2.5, 2.5), tz="America/Chicago",
                      geocode_source="given", geocode_precision="given")
        db.session.add(Request(season=season, venue=venue, ref=f"busy{i}", contact_email=f"busy{i}@example.org",
                               status="approved", audience=rng.randint(50, 400), windows=[AvailabilityWindow(
                                   first_date=season.start_date, last_date=season.end_date,
                                   weekdays="mon,tue,wed,thu,fri", start_time=dt.time(8), end_time=dt.time(16))]))
    db.session.commit()
