"""Offline geocoding and time zones: the points and zones a coordinator would check."""

from __future__ import annotations

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
    assert (place.precision, place.tz, place.label) == ("zip", "America/Phoenix", "ZIP 85004, Phoenix, AZ")


def test_locate_urban_fsa_label(index_path):
    place = locate(country="CA", region="QC", city="Montreal", postal_code="h2x1y4", index_path=index_path)
    assert (place.precision, place.label, place.low_precision) == (
        "fsa", "FSA H2X, Montréal, QC (area centre)", False)


def test_locate_given_coordinates(index_path):
    place = locate(country="US", region="AZ", city="Tuba City", lat=36.135, lon=-111.24, index_path=index_path)
    assert (place.precision, place.source, place.tz) == ("given", "given", "America/Denver")


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(country="US", postal_code="8500"), "ZIP code '8500' is malformed: a US ZIP code has 5 digits"),
        (dict(country="CA", postal_code="H2X 1Y"), "postal code 'H2X 1Y' is malformed: a Canadian postal code looks like A1A 1A1"),
        (dict(country="US", city="Springfield"), "'Springfield' is a town in 21 states"),
        (dict(country="US", region="Narnia", city="Springfield"), "'Narnia' is not a state of the United States"),
        (dict(country="FR", city="Paris"), "country 'FR' is not served"),
        (dict(country="US", region="AZ", postal_code="62701"), "ZIP code 62701 is in IL, not AZ"),
        (dict(country="CA", region="ON", postal_code="H2X 1Y4"), "postal code H2X 1Y4 belongs to QC, not ON"),
        (dict(country="US", region="IL", city="Nowhereville"), "no town 'Nowhereville' in IL"),
        (dict(country="US", lat=40.0), "give both latitude and longitude"),
    ],
)
def test_locate_errors_name_the_problem(index_path, kw, message):
    with pytest.raises(GeocodeError, match=message.replace("(", r"\(")):
        locate(index_path=index_path, **kw)
