"""The optional online geocoder (any geopy service), used only when GEOCODER is configured, cached in the DB."""

from __future__ import annotations

import atexit
import logging
from typing import Callable

from geopy.exc import GeopyError
from sqlalchemy.exc import IntegrityError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import get_geocoder_for_service

from ..extensions import db
from ..models import GeocodeResult
from .names import REGIONS
from .place import COUNTRY_NAMES, GeocodeError, Place, timezone_at

log = logging.getLogger(__name__)
atexit.register(lambda: _SERVICES.clear())  # close provider sessions while the interpreter still runs
_GENERIC_AGENTS = {"", "tourplanner", "geopy", "python-requests"}
_SERVICES: dict[tuple, Callable] = {}


def online_query(*, country: str, region: str, city: str, postal_code: str, street: str) -> str:
    """One line for the provider and the cache key: '12 Main St, Springfield, IL 62701, United States'."""
    tail = " ".join(p for p in (REGIONS.get(country, {}).get(region, region), postal_code.strip()) if p)
    parts = [street.strip(), city.strip(), tail, COUNTRY_NAMES.get(country, country).removeprefix("the ")]
    return ", ".join(p for p in parts if p)


def make_service(name: str, user_agent: str, options: dict | None = None, min_delay_s: float = 1.0) -> Callable:
    """A rate-limited geocode callable for a geopy service name (Nominatim asks for 1 request a second)."""
    if not user_agent or user_agent.strip().lower() in _GENERIC_AGENTS:
        raise GeocodeError(
            "GEOCODER_USER_AGENT must name this deployment and a contact, e.g. 'tourplanner-acme (ops@acme.org)'"
        )
    try:
        cls = get_geocoder_for_service(name)
    except GeopyError as exc:
        raise GeocodeError(f"GEOCODER={name!r} is not a geopy service name") from exc
    geocoder = cls(user_agent=user_agent, **(options or {}))
    return RateLimiter(geocoder.geocode, min_delay_seconds=min_delay_s, max_retries=1,
                       error_wait_seconds=2 * min_delay_s, swallow_exceptions=False)


def configured_service():
    """(name, geocode callable) from the app config, or None when no provider is configured."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    config = current_app.config
    name = (config.get("GEOCODER") or "").strip().lower()
    if not name or name == "offline":
        return None
    options = dict(config.get("GEOCODER_OPTIONS") or {})
    key = (name, config.get("GEOCODER_USER_AGENT"), tuple(sorted(options.items())))
    if key not in _SERVICES:
        delay = float(config.get("GEOCODER_MIN_DELAY_S", 1.0))
        _SERVICES[key] = make_service(name, config.get("GEOCODER_USER_AGENT"), options, delay)
    return name, _SERVICES[key]


def locate_online(service, *, country: str, region: str, city: str, postal_code: str, street: str) -> Place | None:
    """Ask the provider (or the cache); None when it has no answer or is unreachable."""
    name, geocode = service
    query = online_query(country=country, region=region, city=city, postal_code=postal_code, street=street)
    precision = "address" if street.strip() else "city"
    cached = db.session.execute(
        db.select(GeocodeResult).filter_by(query=query[:400], source=name)
    ).scalar_one_or_none()
    if cached is not None:
        return Place(cached.lat, cached.lon, cached.precision, cached.tz, cached.country, cached.region,
                     query, name)
    kwargs = {"exactly_one": True}
    if name == "nominatim" and country:
        kwargs["country_codes"] = country.lower()
    try:
        location = geocode(query, **kwargs)
    except GeopyError as exc:
        log.warning("online geocoder %s failed for %r: %s", name, query, exc)
        return None
    if location is None:
        return None
    tz = timezone_at(location.latitude, location.longitude)
    row = GeocodeResult(query=query[:400], source=name, lat=location.latitude, lon=location.longitude,
                        precision=precision, country=country, region=region, tz=tz)
    try:
        with db.session.begin_nested():  # kept with the caller's transaction; never commits its other work
            db.session.add(row)
    except IntegrityError:
        pass  # another request cached the same answer first
    return Place(location.latitude, location.longitude, precision, tz, country, region,
                 location.address or query, name)
