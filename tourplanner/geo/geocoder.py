"""OfflineGeocoder: a geopy Geocoder answering from the offline index, plus the free-text query parser."""

from __future__ import annotations

import re
from pathlib import Path

from geopy.adapters import BaseSyncAdapter
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .index import default_index_path, load_index
from .names import normalize_country, normalize_region, region_countries
from .place import GeocodeError, Place, PlaceNotFound, all_candidates, locate_offline

_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_ZIP_AT_END = re.compile(r"(?:^|\s)(\d{5}(?:-\d{4})?)$")
_CA_POSTAL_AT_END = re.compile(r"(?:^|\s)([A-Za-z]\d[A-Za-z](?:[ -]?\d[A-Za-z]\d)?)$")
_STRUCTURED_KEYS = {
    "country": "country", "region": "region", "state": "region", "province": "region",
    "city": "city", "town": "city", "postal_code": "postal_code", "postalcode": "postal_code",
    "zip": "postal_code", "street": "street", "lat": "lat", "lon": "lon",
}  # fmt: skip


def parse_query(text: str) -> dict:
    """Split 'Springfield, IL 62701' / 'H2X 1Y4' / '12 Main St, Regina, SK' / '45.5,-73.6' into locate() fields."""
    fields = {"country": "", "region": "", "city": "", "postal_code": "", "street": ""}
    text = (text or "").strip()
    coords = _COORDINATES.match(text)
    if coords:
        fields.update(lat=float(coords.group(1)), lon=float(coords.group(2)))
        return fields
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) >= 2 and _is_country(parts[-1], parts[-2]):
        fields["country"] = normalize_country(parts.pop())
    if parts:
        last = parts[-1]
        for pattern in (_ZIP_AT_END, _CA_POSTAL_AT_END):
            match = pattern.search(last)
            if match:
                rest = last[: match.start(1)].strip()
                fields["postal_code"] = match.group(1)
                if rest:
                    parts[-1] = rest
                else:
                    parts.pop()
                break
    if len(parts) >= 2 and _region_of(parts[-1], fields["country"]):
        fields["region"] = parts.pop()
    elif parts:
        city, region = _split_trailing_region(parts[-1], fields["country"])
        if region:
            parts[-1], fields["region"] = city, region
    if parts and not fields["postal_code"] and re.fullmatch(r"\d[\d -]*", parts[-1]):
        fields["postal_code"] = parts.pop()  # digits are a ZIP code, even a malformed one
    if parts:
        fields["city"] = parts.pop()
    fields["street"] = ", ".join(parts)
    if not fields["country"]:
        if fields["postal_code"]:
            fields["country"] = "CA" if fields["postal_code"][0].isalpha() else "US"
        elif fields["region"]:
            countries = region_countries(fields["region"])
            fields["country"] = countries[0] if len(countries) == 1 else "US"  # 'CA' alone is California
    return fields


def _is_country(part: str, before: str) -> bool:
    code = normalize_country(part)
    if not code:
        return False
    if len(part.strip()) > 3:
        return True  # 'Canada', 'United States'
    before_region = re.sub(r"\s+\S*\d\S*$", "", before.strip())  # 'QC H2X 1Y4' -> 'QC'
    return bool(_region_of(before_region, "") or _region_of(before, ""))


def _region_of(text: str, country: str) -> bool:
    countries = [country] if country else ["US", "CA"]
    return any(normalize_region(c, text) for c in countries)


def _split_trailing_region(text: str, country: str) -> tuple[str, str]:
    """'Springfield IL' -> ('Springfield', 'IL'); ('', '') when no region ends the text."""
    words = text.split()
    for n in (3, 2, 1):
        if len(words) > n and _region_of(" ".join(words[-n:]), country):
            return " ".join(words[:-n]), " ".join(words[-n:])
    return text, ""


def structured_fields(query: dict) -> dict:
    """locate() fields from a structured query; unknown keys are an error, not silently dropped."""
    unknown = set(query) - set(_STRUCTURED_KEYS)
    if unknown:
        raise GeocodeError(f"unknown query fields: {', '.join(sorted(unknown))}; use {', '.join(sorted(_STRUCTURED_KEYS))}")
    fields = {"country": "", "region": "", "city": "", "postal_code": "", "street": ""}
    for key, value in query.items():
        fields[_STRUCTURED_KEYS[key]] = value
    return fields


def place_location(place: Place) -> Location:
    """A geopy Location whose raw dict carries the whole Place."""
    raw = {field: getattr(place, field) for field in Place.__dataclass_fields__}
    return Location(place.label, (place.lat, place.lon), raw)


class _NoNetwork(BaseSyncAdapter):
    """The offline geocoder's adapter: it never opens a connection."""

    def __init__(self, *, proxies=None, ssl_context=None):
        super().__init__(proxies=proxies, ssl_context=ssl_context)

    def get_json(self, url, *, timeout, headers):
        raise RuntimeError("the offline geocoder makes no requests")

    def get_text(self, url, *, timeout, headers):
        raise RuntimeError("the offline geocoder makes no requests")


class OfflineGeocoder(Geocoder):
    """A geopy geocoder for the US and Canada that needs no network: ZIPs, FSAs and towns of 500+."""

    def __init__(self, index_path: str | Path | None = None, **kwargs):
        kwargs.setdefault("adapter_factory", _NoNetwork)
        super().__init__(**kwargs)
        self.index_path = index_path

    @property
    def index(self):
        return load_index(self.index_path or default_index_path())

    def geocode(self, query, *, exactly_one=True, timeout=None):
        """Location(s) for a free-text or structured (dict) query; None when nothing matches.

        A malformed postal code, an unknown state or an ambiguous town name raises GeocodeError.
        """
        fields = structured_fields(query) if isinstance(query, dict) else parse_query(str(query))
        fields.pop("street", None)
        if exactly_one:
            try:
                return place_location(locate_offline(self.index, **fields))
            except PlaceNotFound:
                return None
        if fields.get("lat") is not None or fields.get("postal_code") or not fields.get("city"):
            try:
                return [place_location(locate_offline(self.index, **fields))]
            except PlaceNotFound:
                return []
        return [place_location(p) for p in all_candidates(
            self.index, country=fields["country"], region=fields["region"], city=fields["city"])]

