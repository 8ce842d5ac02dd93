"""security.md item 12: hypothesis-driven posts to every form and the CSV import never get a 500."""

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.accounts import as_coordinator
from tests.support.maps import seed_tour
from tests.support.routes import fill

pytestmark = pytest.mark.slow

PAYLOADS = ["<script>alert(1)</script>", "'; DROP TABLE request; --", "${7*7}", "\r\nX-Injected: 1", "\x00",
            "2027-02-30", "-1", "99999999999999999999", "1e309", "NaN", "Montréal", "  ", "mon,fun", "25:99",
            "2027-02-03..2027-01-01 mon 09:00-15:00", "../../etc/passwd", "é" * 300]
VALUES = st.one_of(st.text(max_size=40), st.sampled_from(PAYLOADS), st.integers(-10**12, 10**12).map(str),
                   st.text(min_size=250, max_size=2000), st.dates().map(str), st.times().map(lambda t: t.strftime("%H:%M")))
SKIP = {"/logout"}


def field_names(client, url: str) -> list[str]:
    """The names of the inputs a user would fill on the page, or a generic set."""
    page = client.get(url).get_data(as_text=True)
    names = sorted(set(re.findall(r'name="([^"]+)"', page)) - {"csrf_token"})
    return names or ["name", "email", "message", "status", "version", "team", "start", "date"]


@pytest.fixture
def targets(app, client):
    seed_tour(__import__("tourplanner.extensions", fromlist=["db"]).db.session)
    as_coordinator(client)
    found = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or set()) or rule.rule in SKIP:
            continue
        url = fill(rule)
        found.append((url, field_names(client, url) if "GET" in rule.methods else []))
    assert len(found) >= 5
    return found


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_posts_to_every_form_never_get_a_500(client, targets, data):
    for url, names in targets:
        fields = data.draw(st.fixed_dictionaries({n: VALUES for n in names}) if names
                           else st.dictionaries(st.sampled_from(["a", "name", "status"]), VALUES, max_size=3))
        response = client.post(url, data=fields)
        # The database is up here, so a 503 would be a SQL error dressed as "unavailable": it fails too.
        assert response.status_code < 500, f"POST {url} with {fields!r} -> {response.status_code}"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(st.binary(max_size=3000), st.text(max_size=3000).map(str.encode),
                      st.lists(st.lists(st.sampled_from(PAYLOADS + ["ref", "windows", ",", '"']), max_size=20),
                               max_size=20).map(lambda rows: "\n".join(",".join(r) for r in rows).encode())))
def test_random_csv_uploads_never_get_a_500(client, targets, body):
    response = client.post("/admin/seasons/spring-2027/import", data={"file": (io.BytesIO(body), "x.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 422), response.status_code
