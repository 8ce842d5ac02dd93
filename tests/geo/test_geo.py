"""Offline geocoding and time zones: the points and zones a coordinator would check."""

from __future__ import annotations

import re

import pytest

from tourplanner.geo import GeocodeError, Place, locate, timezone_at
from tourplanner.geo.index import default_index_path, load_index


@pytest.fixture(scope="session")
def index_path():
    """The user's cached index (built on the first run, only loaded afterwards)."""
    path = default_index_path()
    load_index(path)
    return path


@pytest.mark.parametrize(
    "lat, lon, zone",
    [
        (33.4484, -112.0740, "America/Phoenix"),  # Phoenix: no DST
        (36.1350, -111.2399, "America/Denver"),  # Tuba City, Navajo Nation: observes DST
        (47.5615, -52.7126, "America/St_Johns"),  # St. John's: UTC-3:30
        (50.4452, -104.6189, "America/Regina"),  # Regina: CST all year
        (49.0955, -116.5135, "America/Creston"),  # Creston BC: MST all year
        (53.2780, -110.0050, "America/Edmonton"),  # Lloydminster, Saskatchewan side, keeps Alberta time
        (53.2780, -110.0140, "America/Edmonton"),  # Lloydminster, Alberta side
        (58.8050, -122.6970, "America/Fort_Nelson"),  # Fort Nelson: MST all year since 2015
    ],
)
def test_timezone_at_hard_places(lat, lon, zone):
    assert timezone_at(lat, lon) == zone


def test_timezone_at_rejects_impossible_coordinates():
    with pytest.raises(GeocodeError, match="latitude 95.0 is outside"):
        timezone_at(95, 0)


def test_locate_city_with_state(index_path):
    place = locate(country="US", region="IL", city="Springfield", index_path=index_path)
    assert place == Place(39.80172, -89.64371, "city", "America/Chicago", "US", "IL",
                          "Springfield, IL (city centre)", "offline")


def test_locate_zip_label(index_path):
    place = locate(country="US", postal_code="85004", index_path=index_path)
    assert (place.precision, place.tz, place.label) == ("zip", "America/Phoenix", "Phoenix, AZ (ZIP 85004)")


def test_locate_urban_fsa_label(index_path):
    place = locate(country="CA", region="QC", city="Montreal", postal_code="h2x1y4", index_path=index_path)
    assert (place.precision, place.label, place.low_precision) == (
        "fsa", "Montréal, QC (postal area H2X)", False)


@pytest.mark.parametrize(
    "country, typed, code",
    [("CA", "Nouvelle-Écosse", "NS"), ("CA", "Colombie-Britannique", "BC"), ("CA", "Île-du-Prince-Édouard", "PE"),
     ("CA", "Terre-Neuve-et-Labrador", "NL"), ("CA", "P.Q.", "QC"), ("CA", "Yukon Territory", "YT"),
     ("US", "new york", "NY"), ("US", "Calif.", "CA"), ("US", "mt", "MT"), ("US", "D.C.", "DC")],
)
def test_region_names_in_english_and_french(country, typed, code):
    from tourplanner.geo.names import normalize_region

    assert normalize_region(country, typed) == code


def test_zip_settles_a_town_name_shared_by_many_states(index_path):
    place = locate(country="US", city="Springfield", postal_code="62701", index_path=index_path)
    assert (place.precision, place.region, place.label) == ("zip", "IL", "Springfield, IL (ZIP 62701)")


def test_locate_given_coordinates(index_path):
    place = locate(country="US", region="AZ", city="Tuba City", lat=36.135, lon=-111.24, index_path=index_path)
    assert (place.precision, place.source, place.tz) == ("given", "given", "America/Denver")


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(country="US", postal_code="8500"), "ZIP code '8500' is malformed: a US ZIP code has 5 digits"),
        (dict(country="CA", postal_code="H2X 1Y"), "postal code 'H2X 1Y' is malformed: a Canadian postal code looks like A1A 1A1"),
        (dict(country="US", city="Springfield"), "'Springfield' is a town in 21 states"),
        (dict(country="CA", postal_code="85004"), "(85004 looks like a US ZIP code: is the country right?)"),
        (dict(country="US", region="Narnia", city="Springfield"), "'Narnia' is not a state of the United States"),
        (dict(country="FR", city="Paris"), "country 'FR' is not served"),
        (dict(country="US", region="AZ", postal_code="62701"), "ZIP code 62701 is in IL, not AZ"),
        (dict(country="CA", region="ON", postal_code="H2X 1Y4"), "postal code H2X 1Y4 belongs to QC, not ON"),
        (dict(country="US", region="IL", city="Nowhereville"), "no town 'Nowhereville' in IL"),
        (dict(country="US", lat=40.0), "give both latitude and longitude"),
    ],
)
def test_locate_errors_name_the_problem(index_path, kw, message):
    with pytest.raises(GeocodeError, match=re.escape(message)):
        locate(index_path=index_path, **kw)


def test_geopy_geocoder_returns_locations(index_path):
    from geopy.geocoders.base import Geocoder
    from geopy.location import Location

    from tourplanner.geo.geocoder import OfflineGeocoder

    geocoder = OfflineGeocoder(index_path=index_path)
    assert isinstance(geocoder, Geocoder)
    location = geocoder.geocode("Tuba City, AZ 86045")
    assert isinstance(location, Location)
    assert (location.address, location.raw["precision"], location.raw["tz"]) == (
        "Tuba City, AZ (ZIP 86045)", "zip", "America/Denver")
    assert geocoder.geocode({"city": "Ste-Foy", "province": "Québec", "country": "Canada"}).address == \
        "Sainte-Foy, QC (city centre)"
    assert geocoder.geocode("Nowhereville, IL") is None
    springfields = geocoder.geocode("Springfield", exactly_one=False)
    assert len(springfields) == 21
    assert springfields[0].address == "Springfield, MO (city centre)"  # largest first
    with pytest.raises(GeocodeError, match="unknown query fields: colour"):
        geocoder.geocode({"city": "Regina", "colour": "red"})


@pytest.mark.parametrize(
    "text, fields",
    [
        ("12 Main St, Springfield, IL 62701", dict(street="12 Main St", city="Springfield", region="IL",
                                                   postal_code="62701", country="US")),
        ("Los Angeles, CA", dict(city="Los Angeles", region="CA", country="US")),  # CA after a town is California
        ("Montréal, QC, CA", dict(city="Montréal", region="QC", country="CA")),  # CA after a province is Canada
        ("Tuba City AZ", dict(city="Tuba City", region="AZ", country="US")),
        ("H2X 1Y4", dict(postal_code="H2X 1Y4", country="CA")),
        ("1 Yonge St, Toronto, ON M5E 1W7, Canada", dict(street="1 Yonge St", city="Toronto", region="ON",
                                                         postal_code="M5E 1W7", country="CA")),
    ],
)
def test_parse_query(text, fields):
    from tourplanner.geo.geocoder import parse_query

    expected = {"country": "", "region": "", "city": "", "postal_code": "", "street": "", **fields}
    assert parse_query(text) == expected


def test_rural_fsa_is_marked_low_precision(index_path):
    place = locate(country="CA", postal_code="A0A 2H0", index_path=index_path)
    assert (place.precision, place.low_precision, place.region, place.tz) == ("fsa", True, "NL", "America/St_Johns")
    assert place.label == "Southeastern Avalon Peninsula (Ferryland), NL (rural postal area A0A, placed roughly)"


def test_swapped_or_unsigned_coordinates_are_caught(index_path):
    with pytest.raises(GeocodeError, match="check the order \\(latitude first\\) and the signs"):
        locate(country="US", lat=33.45, lon=112.07, index_path=index_path)  # west without its minus sign
    with pytest.raises(GeocodeError, match="latitude -112.07 is outside -90..90: latitude and longitude swapped"):
        locate(country="US", lat=-112.07, lon=33.45, index_path=index_path)


def test_given_coordinates_take_region_from_the_nearest_town(index_path):
    place = locate(country="", lat=50.45, lon=-104.61, index_path=index_path)
    assert (place.country, place.region, place.tz, place.label) == (
        "CA", "SK", "America/Regina", "near Regina, SK (given coordinates)")


def test_holiday_calendar_needs_the_province_for_thanksgiving():
    import datetime as dt

    from tourplanner.geo import holiday_calendar

    ontario = holiday_calendar("CA", "Ontario", years=2027)
    assert ontario.get(dt.date(2027, 10, 11)) == "Thanksgiving Day"
    assert ontario.get(dt.date(2027, 2, 15)) == "Family Day"
    quebec = holiday_calendar("Canada", "QC", years=2027)
    assert dt.date(2027, 6, 24) in quebec  # Fête nationale
    national = holiday_calendar("CA", years=2027)
    assert dt.date(2027, 10, 11) in national  # the government calendar keeps Thanksgiving
    texas = holiday_calendar("US", "TX", years=2027)
    assert dt.date(2027, 3, 2) in texas  # Texas Independence Day
    with pytest.raises(GeocodeError, match="'Narnia' is not a state or province of US"):
        holiday_calendar("US", "Narnia")


def test_damaged_index_file_is_rebuilt_not_trusted(tmp_path):
    from tourplanner.geo.index import read_index

    path = tmp_path / "geo-index.json"
    path.write_text('{"version": 1, "zips": {}}')
    assert read_index(path) is None
    path.write_text("not json")
    assert read_index(path) is None


@pytest.mark.parametrize(
    "lat, lon, january, july",
    [
        (33.4484, -112.0740, "-07:00", "-07:00"),  # Phoenix: no DST
        (36.1350, -111.2399, "-07:00", "-06:00"),  # Tuba City: DST, unlike the rest of Arizona
        (47.5615, -52.7126, "-03:30", "-02:30"),  # St. John's
        (50.4452, -104.6189, "-06:00", "-06:00"),  # Regina
        (49.0955, -116.5135, "-07:00", "-07:00"),  # Creston
        (53.2780, -110.0050, "-07:00", "-06:00"),  # Lloydminster (SK side) keeps Alberta time with DST
        (58.8050, -122.6970, "-07:00", "-07:00"),  # Fort Nelson
    ],
)
def test_local_noon_offsets_at_hard_places(lat, lon, january, july):
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone_at(lat, lon))
    offsets = [dt.datetime(2027, m, 15, 12, tzinfo=zone).strftime("%z") for m in (1, 7)]
    assert [f"{o[:3]}:{o[3:]}" for o in offsets] == [january, july]
