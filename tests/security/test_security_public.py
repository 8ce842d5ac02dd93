"""security.md item 9 with a published plan: no contact data on any public page, on the public map, or in the
calendar a venue may forward (its event.ics); secret-link Nomad pages are private and are not checked here."""

import re

from tests.support.tour import CONTACT, STREET, make_tour
from tourplanner import feeds
from tourplanner.extensions import db
from tourplanner.models import new_token

MARKERS = (*CONTACT.values(), "604 555 0199", "604-555-0199", STREET, "Secretstreet", "Gym door")


def test_no_contact_data_on_any_public_route_with_a_published_plan(app, client):
    feeds.clear_cache()
    tour = make_tour()
    token, tour["visits"][0].request.status_token_hash = new_token()
    db.session.commit()
    public = [r for r in app.url_map.iter_rules()
              if "GET" in (r.methods or ()) and not r.rule.startswith(("/admin", "/feeds/", "/r/", "/static/", "/maps/assets/"))]
    assert {r.rule for r in public} >= {"/", "/request", "/login", "/healthz"}
    assert all("<" not in r.rule for r in public), "a new public route with parameters: add it here"
    home = client.get("/").get_data(as_text=True)
    assert "Los Angeles" in home or "Vancouver" in home  # the public coverage map is there, with towns
    pages = {r.rule: client.get(r.rule).get_data(as_text=True) for r in public}
    pages["venue event.ics"] = client.get(f"/r/{token}/event.ics").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]*src="(/[^"]+)"', home)
    for src in scripts:  # data the home map loads from our own URLs
        pages[src] = client.get(src).get_data(as_text=True)
    for url, body in pages.items():
        for marker in MARKERS:
            assert marker not in body, f"{url} shows {marker!r}"
