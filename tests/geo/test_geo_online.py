"""The online provider wiring (geopy's Nominatim pointed at a fake server on 127.0.0.1) and `flask geocode`."""

from __future__ import annotations

import json

import pytest
from tests.support.fake_json_server import FakeJSONServer

from tourplanner.extensions import db
from tourplanner.geo import GeocodeError, locate
from tourplanner.models import GeocodeResult

ANSWERS = {  # what the fake Nominatim knows, by the start of the query
    "1 Main St, Springfield": {"lat": "39.8010", "lon": "-89.6440", "display_name": "1 Main St, Springfield, IL"},
    "Tinytown": {"lat": "40.1000", "lon": "-88.2000", "display_name": "Tinytown, Champaign County, Illinois"},
}


def nominatim_answer(path: str, query: dict) -> list:
    return [answer for prefix, answer in ANSWERS.items() if query.get("q", "").startswith(prefix)]


@pytest.fixture
def nominatim():
    """A fake Nominatim on a free port; its .asked lists the queries it received."""
    fake = FakeJSONServer(nominatim_answer)
    yield fake
    fake.close()


@pytest.fixture
def app_config(app_config, nominatim):
    return {
        **app_config,
        "GEOCODER": "nominatim",
        "GEOCODER_USER_AGENT": "tourplanner-tests (ops@example.org)",
        "GEOCODER_OPTIONS": {"domain": f"127.0.0.1:{nominatim.port}", "scheme": "http"},
        "GEOCODER_MIN_DELAY_S": 0,
    }


def test_street_address_goes_online_and_is_cached(app, nominatim):
    place = locate(country="US", region="IL", city="Springfield", postal_code="62701", street="1 Main St")
    assert (place.lat, place.lon, place.precision, place.source, place.tz) == (
        39.801, -89.644, "address", "nominatim", "America/Chicago")
    (path, asked), = nominatim.asked
    assert path == "/search"
    assert asked["q"] == "1 Main St, Springfield, Illinois 62701, United States"
    assert asked["countrycodes"] == "us"
    db.session.commit()
    row = db.session.execute(db.select(GeocodeResult)).scalar_one()
    assert (row.source, row.precision, row.region, row.tz) == ("nominatim", "address", "IL", "America/Chicago")
    again = locate(country="US", region="IL", city="Springfield", postal_code="62701", street="1 Main St")
    assert (again.lat, again.precision, again.source, len(nominatim.asked)) == (39.801, "address", "nominatim", 1)


def test_offline_answer_needs_no_provider(app, nominatim):
    place = locate(country="US", region="IL", city="Springfield")
    assert (place.source, place.precision, nominatim.asked) == ("offline", "city", [])


def test_provider_is_asked_when_offline_data_has_no_such_town(app, nominatim):
    place = locate(country="US", region="IL", city="Tinytown")
    assert (place.lat, place.precision, place.source) == (40.1, "city", "nominatim")
    assert len(nominatim.asked) == 1


def test_street_unknown_online_falls_back_to_offline(app, nominatim):
    place = locate(country="US", region="IL", city="Springfield", street="999 Nowhere Rd")
    assert (place.source, place.precision, place.label) == ("offline", "city", "Springfield, IL (city centre)")


def test_provider_down_falls_back_to_offline(app, nominatim):
    nominatim.close()
    app.config["GEOCODER_OPTIONS"] = {"domain": f"127.0.0.1:{nominatim.port}", "scheme": "http", "timeout": 2}
    place = locate(country="US", postal_code="85004", street="200 W Washington St")
    assert (place.source, place.precision) == ("offline", "zip")


def test_generic_user_agent_is_refused(app):
    app.config["GEOCODER_USER_AGENT"] = "tourplanner"
    with pytest.raises(GeocodeError, match="GEOCODER_USER_AGENT must name this deployment"):
        locate(country="US", region="IL", city="Springfield", street="1 Main St")


def test_flask_geocode_prints_one_json_line_per_query(app, runner):
    app.config["GEOCODER"] = None
    result = runner.invoke(args=["geocode", "Springfield, IL", "H2X 1Y4", "8500"])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0] == {"query": "Springfield, IL", "lat": 39.80172, "lon": -89.64371, "precision": "city",
                        "tz": "America/Chicago", "country": "US", "region": "IL", "source": "offline",
                        "label": "Springfield, IL (city centre)"}
    assert (lines[1]["precision"], lines[1]["region"], lines[1]["tz"]) == ("fsa", "QC", "America/Toronto")
    assert lines[2] == {"query": "8500", "error": "ZIP code '8500' is malformed: a US ZIP code has 5 digits "
                                                  "(85004) or 9 (85004-1234)"}
    assert result.exit_code == 1


def test_flask_geo_index_reports_a_current_index(app, runner):
    from tourplanner.geo.index import load_index, user_cache_path

    load_index(user_cache_path())  # make sure the machine-wide copy exists
    app.config["GEO_INDEX_PATH"] = str(user_cache_path())
    result = runner.invoke(args=["geo-index"])
    assert result.exit_code == 0
    assert result.output.startswith(f"{user_cache_path()} is current (")
