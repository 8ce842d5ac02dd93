"""Geography: offline geocoding for the US and Canada, time zones, holiday calendars, road matrices."""

from __future__ import annotations

from .index import default_index_path, load_index
from .names import normalize_country, normalize_region
from .online import configured_service, locate_online
from .place import GeocodeError, Place, PlaceNotFound, guess_country, locate_offline, parse_postal_code, timezone_at

__all__ = ["GeocodeError", "Place", "PlaceNotFound", "holiday_calendar", "locate", "timezone_at"]


def locate(*, country, region="", city="", postal_code="", street="", lat=None, lon=None, index_path=None) -> Place:
    """A venue's point: given coordinates, else the online provider for a street (when configured), else offline."""
    texts = (country, region, city, postal_code, street)
    country, region, city, postal_code, street = (str(v or "").strip() for v in texts)  # forms give None
    index = load_index(index_path or default_index_path())
    if lat is not None or lon is not None:
        return locate_offline(index, country=country, region=region, city=city, lat=lat, lon=lon)
    service = configured_service()
    fields = dict(country=country, region=region, city=city, postal_code=postal_code)
    if service and street:
        place = _online(service, fields, street)
        if place:
            return place
    try:
        return locate_offline(index, **fields)
    except PlaceNotFound:
        if service:
            place = _online(service, fields, street)
            if place:
                return place
        raise


def _online(service, fields: dict, street: str) -> Place | None:
    country = normalize_country(fields["country"]) or guess_country(fields["postal_code"], fields["region"])
    if not country:
        return None
    region = normalize_region(country, fields["region"]) if fields["region"] else ""
    code = parse_postal_code(country, fields["postal_code"]) if fields["postal_code"] else ""
    return locate_online(service, country=country, region=region, city=fields["city"], postal_code=code,
                         street=street)


def holiday_calendar(country: str, region: str = "", years=None):
    """The public holidays of a venue's state or province (Canada needs the province, or Thanksgiving is missing)."""
    import holidays  # 50 ms to import, needed only when a plan is built: not in every web worker

    code = normalize_country(country)
    if not code:
        raise GeocodeError(f"country {country!r} is not served: use US or CA")
    subdiv = normalize_region(code, region) if region else None
    if region and not subdiv:
        raise GeocodeError(f"{region!r} is not a state or province of {code}")
    if code == "CA" and not subdiv:  # without a province only the federal (government) holidays are complete
        return holidays.country_holidays(code, years=years, categories=("government", "public"))
    return holidays.country_holidays(code, subdiv=subdiv, years=years)
