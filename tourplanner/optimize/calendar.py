"""Weekdays, public holidays and countries of time zones: the calendar both the instance and the model read."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from .errors import InstanceError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

CANADIAN_ZONES = frozenset(
    "America/Atikokan America/Blanc-Sablon America/Cambridge_Bay America/Creston America/Dawson "
    "America/Dawson_Creek America/Edmonton America/Fort_Nelson America/Glace_Bay America/Goose_Bay "
    "America/Halifax America/Inuvik America/Iqaluit America/Moncton America/Rankin_Inlet America/Regina "
    "America/Resolute America/St_Johns America/Swift_Current America/Toronto America/Vancouver "
    "America/Whitehorse America/Winnipeg America/Montreal America/Nipigon America/Thunder_Bay "
    "America/Rainy_River America/Pangnirtung America/Yellowknife".split())


def country_of_zone(tz: str) -> str:
    """US or CA for a team's start/end point (they carry a zone, not a country)."""
    return "CA" if tz in CANADIAN_ZONES or tz.startswith("Canada/") else "US"


def years_between(first: dt.date, end: dt.date) -> tuple[int, ...]:
    """The years from first's to end's, both included: the holiday tables a season needs."""
    return tuple(range(first.year, end.year + 1))


@lru_cache(maxsize=512)
def holiday_dates(country: str, region: str, years: tuple[int, ...]) -> frozenset:
    """Public holidays of a country and region (Canada needs the province, or Thanksgiving is missing)."""
    import holidays  # imported on first use: it takes a while, and many commands never need it

    try:
        table = holidays.country_holidays(country, subdiv=region or None, years=list(years))
    except NotImplementedError:
        raise InstanceError(f"no public-holiday calendar for country {country!r} region {region!r}") from None
    return frozenset(table.keys())
