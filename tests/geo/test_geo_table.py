"""The table test: real places, typed the way people type them, land near their true coordinates.

True coordinates are the well-known centres of these places (city halls, downtowns, post offices).
Tolerance depends on the precision the geocoder claims: a ZIP or a city centre within 15 km, an urban
FSA within 40 km, a rural FSA (second character 0) within 120 km.
"""

from __future__ import annotations

import math

import pytest

from tourplanner.geo import locate
from tourplanner.geo.index import default_index_path, load_index

TOLERANCE_KM = {"zip": 15, "city": 15, "fsa": 40, "fsa-rural": 120, "given": 0.01}

# (what a venue types: country, region, city, postal code) -> (true lat, lon, expected precision, expected region)
PLACES = [
    # big cities
    (("US", "NY", "New York", ""), (40.7128, -74.0060, "city", "NY")),
    (("US", "California", "Los Angeles", ""), (34.0522, -118.2437, "city", "CA")),
    (("US", "IL", "Chicago", ""), (41.8781, -87.6298, "city", "IL")),
    (("US", "TX", "Houston", ""), (29.7604, -95.3698, "city", "TX")),
    (("US", "AZ", "Phoenix", ""), (33.4484, -112.0740, "city", "AZ")),
    (("US", "PA", "Philadelphia", ""), (39.9526, -75.1652, "city", "PA")),
    (("US", "WA", "Seattle", ""), (47.6062, -122.3321, "city", "WA")),
    (("US", "CO", "Denver", ""), (39.7392, -104.9903, "city", "CO")),
    (("US", "MA", "Boston", ""), (42.3601, -71.0589, "city", "MA")),
    (("US", "FL", "Miami", ""), (25.7617, -80.1918, "city", "FL")),
    (("US", "AK", "Anchorage", ""), (61.2181, -149.9003, "city", "AK")),
    (("US", "HI", "Honolulu", ""), (21.3069, -157.8583, "city", "HI")),
    (("CA", "ON", "Toronto", ""), (43.6532, -79.3832, "city", "ON")),
    (("CA", "BC", "Vancouver", ""), (49.2827, -123.1207, "city", "BC")),
    (("CA", "AB", "Calgary", ""), (51.0447, -114.0719, "city", "AB")),
    (("CA", "Alberta", "Edmonton", ""), (53.5461, -113.4938, "city", "AB")),
    (("CA", "MB", "Winnipeg", ""), (49.8951, -97.1384, "city", "MB")),
    (("CA", "ON", "Ottawa", ""), (45.4215, -75.6972, "city", "ON")),
    (("CA", "NS", "Halifax", ""), (44.6488, -63.5752, "city", "NS")),
    (("CA", "SK", "Regina", ""), (50.4452, -104.6189, "city", "SK")),
    (("CA", "SK", "Saskatoon", ""), (52.1332, -106.6700, "city", "SK")),
    (("CA", "YT", "Whitehorse", ""), (60.7212, -135.0568, "city", "YT")),
    (("CA", "NT", "Yellowknife", ""), (62.4540, -114.3718, "city", "NT")),
    (("CA", "PE", "Charlottetown", ""), (46.2382, -63.1311, "city", "PE")),
    (("CA", "NB", "Fredericton", ""), (45.9636, -66.6431, "city", "NB")),
    # French names, accents, hyphens, Saint/St./Ste.
    (("CA", "QC", "Montreal", ""), (45.5017, -73.5673, "city", "QC")),
    (("CA", "Québec", "Québec", ""), (46.8139, -71.2080, "city", "QC")),
    (("CA", "PQ", "Quebec City", ""), (46.8139, -71.2080, "city", "QC")),
    (("CA", "QC", "Trois Rivieres", ""), (46.3432, -72.5477, "city", "QC")),
    (("CA", "QC", "St-Jerome", ""), (45.7804, -74.0036, "city", "QC")),
    (("CA", "QC", "Ste Anne des Monts", ""), (49.1242, -66.4924, "city", "QC")),
    (("CA", "QC", "Riviere-du-Loup", ""), (47.8353, -69.5367, "city", "QC")),
    (("CA", "QC", "Levis", ""), (46.8033, -71.1779, "city", "QC")),
    (("CA", "QC", "Gaspe", ""), (48.8316, -64.4869, "city", "QC")),
    (("CA", "QC", "Baie Comeau", ""), (49.2167, -68.1500, "city", "QC")),
    (("CA", "NL", "Saint John's", ""), (47.5615, -52.7126, "city", "NL")),
    (("CA", "NB", "St. John", ""), (45.2733, -66.0633, "city", "NB")),
    (("CA", "ON", "Saint Catharines", ""), (43.1594, -79.2469, "city", "ON")),
    (("US", "MN", "St Paul", ""), (44.9537, -93.0900, "city", "MN")),
    (("US", "FL", "Saint Augustine", ""), (29.9012, -81.3124, "city", "FL")),
    # Mount/Mt., Fort/Ft., apostrophes, alternate names
    (("CA", "NL", "Mt Pearl", ""), (47.5189, -52.8058, "city", "NL")),
    (("US", "WA", "Mt. Vernon", ""), (48.4212, -122.3341, "city", "WA")),
    (("US", "CO", "Ft Collins", ""), (40.5853, -105.0844, "city", "CO")),
    (("CA", "BC", "Ft. Nelson", ""), (58.8050, -122.6970, "city", "BC")),
    (("US", "ID", "Coeur d Alene", ""), (47.6777, -116.7805, "city", "ID")),
    (("US", "AK", "Barrow", ""), (71.2906, -156.7887, "city", "AK")),
    (("CA", "NU", "Frobisher Bay", ""), (63.7467, -68.5170, "city", "NU")),
    # small towns
    (("US", "AZ", "Tuba City", ""), (36.1350, -111.2399, "city", "AZ")),
    (("CA", "BC", "Creston", ""), (49.0955, -116.5135, "city", "BC")),
    (("CA", "SK", "Lloydminster", ""), (53.2780, -110.0050, "city", "SK")),
    (("US", "NM", "Truth or Consequences", ""), (33.1284, -107.2528, "city", "NM")),
    (("US", "UT", "Kanab", ""), (37.0475, -112.5263, "city", "UT")),
    (("CA", "MB", "Flin Flon", ""), (54.7682, -101.8650, "city", "MB")),
    (("CA", "NT", "Inuvik", ""), (68.3607, -133.7230, "city", "NT")),
    (("CA", "MB", "Gimli", ""), (50.6333, -96.9900, "city", "MB")),
    (("US", "ME", "Bar Harbor", ""), (44.3876, -68.2039, "city", "ME")),
    # one name, several states or provinces
    (("US", "IL", "Springfield", ""), (39.7817, -89.6501, "city", "IL")),
    (("US", "MO", "Springfield", ""), (37.2090, -93.2923, "city", "MO")),
    (("US", "MA", "Springfield", ""), (42.1015, -72.5898, "city", "MA")),
    (("US", "ME", "Portland", ""), (43.6591, -70.2568, "city", "ME")),
    (("US", "OR", "Portland", ""), (45.5152, -122.6784, "city", "OR")),
    (("US", "MI", "Sault Ste Marie", ""), (46.4953, -84.3453, "city", "MI")),
    (("CA", "ON", "Sault Ste. Marie", ""), (46.5219, -84.3461, "city", "ON")),
    (("CA", "ON", "Kingston", ""), (44.2312, -76.4860, "city", "ON")),
    (("US", "NY", "Kingston", ""), (41.9270, -73.9974, "city", "NY")),
    (("CA", "ON", "London", ""), (42.9849, -81.2453, "city", "ON")),
    (("US", "KY", "London", ""), (37.1290, -84.0833, "city", "KY")),
    (("US", "TX", "Paris", ""), (33.6609, -95.5555, "city", "TX")),
    (("CA", "ON", "Paris", ""), (43.1940, -80.3840, "city", "ON")),
    # ZIP codes (5 and 9 digits)
    (("US", "", "", "10001"), (40.7506, -73.9972, "zip", "NY")),
    (("US", "", "", "90210"), (34.0901, -118.4065, "zip", "CA")),
    (("US", "", "", "60601"), (41.8858, -87.6181, "zip", "IL")),
    (("US", "AZ", "Phoenix", "85004"), (33.4512, -112.0687, "zip", "AZ")),
    (("US", "", "", "99701"), (64.8378, -147.7164, "zip", "AK")),
    (("US", "AZ", "Tuba City", "86045"), (36.1350, -111.2399, "zip", "AZ")),
    (("US", "ME", "", "04609"), (44.3876, -68.2039, "zip", "ME")),
    (("US", "MT", "Missoula", "59801"), (46.8721, -113.9940, "zip", "MT")),
    (("US", "", "", "02108"), (42.3576, -71.0637, "zip", "MA")),
    (("US", "DC", "Washington", "20500-0003"), (38.8977, -77.0365, "zip", "DC")),
    (("US", "", "", "205000003"), (38.8977, -77.0365, "zip", "DC")),
    # urban FSAs (a full Canadian postal code is placed at its FSA)
    (("CA", "QC", "Montréal", "H2X 1Y4"), (45.5120, -73.5700, "fsa", "QC")),
    (("CA", "ON", "Toronto", "M5V 3L9"), (43.6426, -79.3871, "fsa", "ON")),
    (("CA", "", "", "V6B 4Y8"), (49.2800, -123.1100, "fsa", "BC")),
    (("CA", "AB", "", "T2P"), (51.0470, -114.0700, "fsa", "AB")),
    (("CA", "ON", "Ottawa", "k1a0a6"), (45.4236, -75.7009, "fsa", "ON")),
    (("CA", "QC", "", "G1R 4P5"), (46.8100, -71.2100, "fsa", "QC")),
    (("CA", "MB", "Winnipeg", "R3C 4T3"), (49.8900, -97.1400, "fsa", "MB")),
    (("CA", "NS", "Halifax", "B3H 4R2"), (44.6400, -63.5800, "fsa", "NS")),
    (("CA", "NT", "Yellowknife", "X1A 2P3"), (62.4540, -114.3718, "fsa", "NT")),
    # rural FSAs (second character 0): only the postal code, so the FSA is all there is
    (("CA", "", "", "A0A 2H0"), (47.0257, -52.8890, "fsa-rural", "NL")),  # Ferryland
    (("CA", "", "", "N0B 1S0"), (43.6850, -80.4307, "fsa-rural", "ON")),  # Elora
    (("CA", "", "", "K0K 2T0"), (44.0070, -77.1400, "fsa-rural", "ON")),  # Picton
    (("CA", "", "", "T0L 0T0"), (50.0300, -113.5800, "fsa-rural", "AB")),  # Claresholm
    (("CA", "", "", "C0A 1R0"), (46.1650, -62.6480, "fsa-rural", "PE")),  # Montague
    (("CA", "", "", "K0L 2H0"), (44.4237, -78.2690, "fsa-rural", "ON")),  # Lakefield
    (("CA", "", "", "S0K 2A0"), (52.2010, -105.1230, "fsa-rural", "SK")),  # Humboldt
    # a rural FSA with its town: the town centre is finer than the FSA, so it wins
    (("CA", "BC", "Creston", "V0B 1G0"), (49.0955, -116.5135, "city", "BC")),
    (("CA", "AB", "Claresholm", "T0L 0T0"), (50.0300, -113.5800, "city", "AB")),
    # no state given, but one town clearly dominates
    (("US", "", "Chicago", ""), (41.8781, -87.6298, "city", "IL")),
    (("CA", "", "Toronto", ""), (43.6532, -79.3832, "city", "ON")),
    (("", "", "Winnipeg", ""), (49.8951, -97.1384, "city", "MB")),
]


def distance_km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def index_path():
    path = default_index_path()
    load_index(path)
    return path


def test_table_has_enough_places():
    assert len(PLACES) >= 60
    kinds = {precision for _, (_, _, precision, _) in PLACES}
    assert kinds == {"city", "zip", "fsa", "fsa-rural"}


@pytest.mark.parametrize("typed, truth", PLACES, ids=[", ".join(p for p in t if p) for t, _ in PLACES])
def test_place_is_within_its_precision(index_path, typed, truth):
    country, region, city, postal_code = typed
    lat, lon, precision, true_region = truth
    place = locate(country=country, region=region, city=city, postal_code=postal_code, index_path=index_path)
    off = distance_km(place.lat, place.lon, lat, lon)
    claimed = "fsa-rural" if place.low_precision else place.precision
    assert (claimed, place.region) == (precision, true_region), place.label
    assert off <= TOLERANCE_KM[precision], f"{place.label} is {off:.1f} km from the true point"
