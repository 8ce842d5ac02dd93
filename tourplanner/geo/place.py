"""Place, GeocodeError and the offline lookup: coordinates > full postal code > city > FSA."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import tzfpy
from geopy.exc import GeocoderQueryError

from .index import GeoIndex, Town
from .names import (
    CA_POSTAL_LETTER,
    REGIONS,
    normalize_country,
    normalize_place,
    normalize_region,
    region_countries,
)

COUNTRY_NAMES = {"US": "the United States", "CA": "Canada"}
REGION_WORD = {"US": "state", "CA": "province"}
# A town must be this many times bigger than every other town of its name to be chosen without a state.
_DOMINANT = 20
# Given coordinates farther than this from every town of 500+ are taken as a typo (swapped or unsigned).
_MAX_KM_FROM_TOWN = 300
# Towns on a border that GeoNames files under one side only: (country, side typed, name) -> side filed.
_STRADDLING = {("CA", "SK", "lloydminster"): "AB", ("US", "AR", "texarkana"): "TX", ("US", "VA", "bristol"): "TN"}

_US_ZIP = re.compile(r"^(\d{5})(?:[- ]?(\d{4}))?$")
_CA_POSTAL = re.compile(r"^([ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z])(?:(\d[ABCEGHJ-NPRSTV-Z]\d))?$")


class GeocodeError(GeocoderQueryError):
    """A place that cannot be found or is malformed; the message says which part."""


class PlaceNotFound(GeocodeError):
    """Well-formed, but not in the data (an online provider may still know it)."""


@dataclass(frozen=True)
class Place:
    """A geocoded point with its time zone and how precise it is."""

    lat: float
    lon: float
    precision: str
    tz: str
    country: str
    region: str
    label: str
    source: str
    low_precision: bool = False  # rural FSAs span hundreds of kilometres


def timezone_at(lat: float, lon: float) -> str:
    """The IANA zone at a point, from zone polygons (never from a ZIP table: it is wrong for the Navajo Nation)."""
    _check_coordinates(lat, lon)
    zone = tzfpy.get_tz(float(lon), float(lat))
    if not zone:
        raise GeocodeError(f"no time zone is known at {lat:.4f}, {lon:.4f}")
    return zone


def _check_coordinates(lat, lon) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise GeocodeError(f"coordinates must be numbers, got {lat!r}, {lon!r}") from exc
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise GeocodeError(f"latitude {lat} is outside -90..90: latitude and longitude swapped?")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise GeocodeError(f"longitude {lon} is outside -180..180")
    return lat, lon


def parse_postal_code(country: str, postal_code: str) -> str:
    """The canonical code ('85004', 'H2X 1Y4' or an FSA 'H2X'), or GeocodeError saying the expected format."""
    raw = (postal_code or "").strip()
    other = guess_country(raw)
    hint = f" ({raw} looks like a {'US ZIP' if other == 'US' else 'Canadian postal'} code: is the country right?)"
    if country == "US":
        match = _US_ZIP.match(raw)
        if not match:
            raise GeocodeError(f"ZIP code {raw!r} is malformed: a US ZIP code has 5 digits (85004) or 9 (85004-1234)"
                               + (hint if other == "CA" else ""))
        return match.group(1)
    match = _CA_POSTAL.match(raw.upper().replace(" ", "").replace("-", ""))
    if not match:
        raise GeocodeError(f"postal code {raw!r} is malformed: a Canadian postal code looks like A1A 1A1 (e.g. H2X 1Y4)"
                           + (hint if other == "US" else ""))
    return f"{match.group(1)} {match.group(2)}" if match.group(2) else match.group(1)


def guess_country(postal_code: str = "", region: str = "") -> str:
    """US or CA from the shape of a postal code or the region name; '' when it could be either."""
    code = (postal_code or "").strip().upper()
    if code:
        if _US_ZIP.match(code):
            return "US"
        if _CA_POSTAL.match(code.replace(" ", "").replace("-", "")):
            return "CA"
    countries = region_countries(region) if region else []
    return countries[0] if len(countries) == 1 else ""


def _place(index_lat, index_lon, precision, country, region, label, source="offline", low=False) -> Place:
    lat, lon = round(float(index_lat), 6), round(float(index_lon), 6)
    return Place(lat, lon, precision, timezone_at(lat, lon), country, region, label, source, low)


def _town_label(town: Town) -> str:
    return f"{town.name}, {town.region} (city centre)"


def find_towns(index: GeoIndex, country: str, region: str, city: str) -> list[Town]:
    """Towns of this name, best first: exact names, then alternate names; largest first within each."""
    key = f"{country}|{region}|{normalize_place(city)}"
    numbers = index.names.get(key) or index.alternates.get(key) or []
    towns = [index.towns[n] for n in numbers]
    if not towns and region:
        extra = index.zip_towns.get(key)
        if extra:
            towns = [Town(extra[2], country, region, extra[0], extra[1], 0)]
    if not towns and region:
        towns = _border_towns(index, country, region, city)
    return towns


def _border_towns(index: GeoIndex, country: str, region: str, city: str) -> list[Town]:
    """A town that straddles a line but is filed under one side only (Lloydminster is under AB)."""
    other = _STRADDLING.get((country, region, normalize_place(city)))
    if not other:
        return []
    return [Town(t.name, country, region, t.lat, t.lon, t.population)
            for t in find_towns(index, country, other, city)]


def _pick_town(towns: list[Town], country: str, region: str, city: str) -> Town:
    """The one town meant; without a state, only when one town of that name clearly dominates."""
    if region or len({t.region for t in towns}) == 1:
        return towns[0]
    first, second = towns[0], next(t for t in towns if t.region != towns[0].region)
    if first.population >= _DOMINANT * max(second.population, 1):
        return first
    regions = sorted({t.region for t in towns})
    shown = ", ".join(regions[:8]) + (", ..." if len(regions) > 8 else "")
    raise GeocodeError(
        f"{city!r} is a town in {len(regions)} {REGION_WORD[country]}s of {COUNTRY_NAMES[country]} "
        f"({shown}): give the {REGION_WORD[country]}"
    )


def _country_of_town(index: GeoIndex, city: str) -> str:
    """US or CA for a bare town name: the country that has it, or the one with the much bigger town."""
    best = {code: find_towns(index, code, "", city) for code in REGIONS}
    found = {code: towns[0] for code, towns in best.items() if towns}
    if len(found) == 1:
        return next(iter(found))
    if len(found) == 2:
        us, ca = found["US"], found["CA"]
        if us.population >= _DOMINANT * max(ca.population, 1):
            return "US"
        if ca.population >= _DOMINANT * max(us.population, 1):
            return "CA"
        raise GeocodeError(f"{city!r} is a town in both the United States and Canada: give the country")
    return ""


def _zip_place(index: GeoIndex, zip5: str, region: str) -> Place | None:
    row = index.zips.get(zip5)
    if row is None:
        return None
    lat, lon, city, state = row
    if region and state != region:
        raise GeocodeError(f"ZIP code {zip5} is in {state}, not {region}: check the ZIP code or the state")
    return _place(lat, lon, "zip", "US", state, f"{city.title() if city.isupper() else city}, {state} (ZIP {zip5})")


def _fsa_place(index: GeoIndex, fsa: str, town: Town | None) -> Place | None:
    row = index.fsas.get(fsa)
    if row is None:
        return None
    lat, lon, locality, province = row
    rural = fsa[1] == "0"
    name = town.name if town else locality
    # In the venue's words: "Québec City, QC (postal area G1R)"; a rural area is wide, so say it is rough.
    where = f"rural postal area {fsa}, placed roughly" if rural else f"postal area {fsa}"
    return _place(lat, lon, "fsa", "CA", province, f"{name}, {province} ({where})", low=rural)


def locate_offline(
    index: GeoIndex, *, country: str, region: str = "", city: str = "", postal_code: str = "",
    lat=None, lon=None,
) -> Place:
    """The best offline answer; GeocodeError names the part that could not be found or is malformed."""
    given = lat is not None or lon is not None
    country_code = normalize_country(country) if country else guess_country(postal_code, region)
    if country and not country_code:
        raise GeocodeError(f"country {country!r} is not served: use US or CA")
    if not country_code and not country and city and not region and not given:
        country_code = _country_of_town(index, city)
    if given:
        if lat is None or lon is None or lat == "" or lon == "":
            raise GeocodeError("give both latitude and longitude, or neither")
        lat, lon = _check_coordinates(lat, lon)
        near, km = index.nearest_town(lat, lon, country_code)
        if km > _MAX_KM_FROM_TOWN:
            where = COUNTRY_NAMES.get(country_code, "the United States or Canada")
            raise GeocodeError(f"coordinates {lat:.4f}, {lon:.4f} are {km:.0f} km from any town in {where}: "
                               "check the order (latitude first) and the signs (west is negative)")
        country_code = country_code or near.country
    if not country_code:
        raise GeocodeError("country is missing: give US or CA")
    region_code = ""
    if region and region.strip():
        region_code = normalize_region(country_code, region)
        if not region_code:
            raise GeocodeError(
                f"{region!r} is not a {REGION_WORD[country_code]} of {COUNTRY_NAMES[country_code]}"
            )
    if given:
        region_code = region_code or near.region
        where = f"{city}, {region_code}" if city else f"near {near.name}, {near.region}"
        label = f"{where} (given coordinates)"
        return _place(lat, lon, "given", country_code, region_code, label, source="given")

    code = parse_postal_code(country_code, postal_code) if (postal_code or "").strip() else ""
    if code and country_code == "CA" and region_code and region_code not in CA_POSTAL_LETTER[code[0]]:
        raise GeocodeError(
            f"postal code {code} belongs to {'/'.join(CA_POSTAL_LETTER[code[0]])}, not {region_code}: "
            "check the postal code or the province"
        )
    if code and country_code == "US":
        found = _zip_place(index, code, region_code)
        if found:
            return found
    towns = find_towns(index, country_code, region_code, city) if city and city.strip() else []
    fsa = code[:3] if code and country_code == "CA" else ""
    # An urban FSA is a few kilometres across, finer than a city centre: it stands in for the full code.
    if fsa and fsa[1] != "0":
        named = towns[0] if towns and (region_code or len({t.region for t in towns}) == 1) else None
        found = _fsa_place(index, fsa, named)
        if found:
            return found
    if towns:
        town = _pick_town(towns, country_code, region_code, city)
        return _place(town.lat, town.lon, "city", country_code, town.region, _town_label(town))
    if fsa:
        found = _fsa_place(index, fsa, None)
        if found:
            return found
    raise PlaceNotFound(_not_found_message(country_code, region_code, city, code))


def _not_found_message(country: str, region: str, city: str, code: str) -> str:
    parts = []
    if code:
        what = "ZIP code" if country == "US" else "postal code area"
        parts.append(f"{what} {code if country == 'US' else code[:3]} is not known")
    if city and city.strip():
        where = f"{region}" if region else COUNTRY_NAMES[country]
        parts.append(f"no town {city.strip()!r} in {where}")
    if not parts:
        return "nothing to look up: give a postal code, a city with its state or province, or coordinates"
    return "; ".join(parts)


def all_candidates(index: GeoIndex, *, country: str, region: str = "", city: str = "") -> list[Place]:
    """Every town that matches a name (for geocode(exactly_one=False)), largest first."""
    countries = [normalize_country(country)] if country else list(REGIONS)
    places = []
    for code in countries:
        reg = normalize_region(code, region) if region else ""
        if region and not reg:
            continue
        for town in find_towns(index, code, reg, city):
            places.append(_place(town.lat, town.lon, "city", code, town.region, _town_label(town)))
    return places
