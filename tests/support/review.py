"""Venues and windows for plans built row by row, and the review pages a coordinator reads."""

from __future__ import annotations

import datetime as dt

from tourplanner.models import AvailabilityWindow, Venue


def venue(name, city, region, lat, lon, tz, country="US", kind="high_school", **kw):
    return Venue(name=name, type=kind, city=city, region=region, country=country, lat=lat, lon=lon, tz=tz,
                 geocode_source="given", geocode_precision="given", **kw)


def weekday_window(season, start=dt.time(9, 0), end=dt.time(15, 0), days="mon,tue,wed,thu,fri", first=None, last=None):
    return AvailabilityWindow(first_date=first or season.start_date, last_date=last or season.end_date,
                              weekdays=days, start_time=start, end_time=end)


REVIEW_GETS = [
    "/admin/seasons/spring-2027/review",
    "/admin/seasons/spring-2027/review/teams/west",
    "/admin/seasons/spring-2027/review/weeks",
    "/admin/seasons/spring-2027/teams/west/days/2027-02-03",
    "/admin/seasons/spring-2027/export/requests.csv",
    "/admin/seasons/spring-2027/export/plan.json",
    "/admin/seasons/spring-2027/export/itinerary.csv",
]
