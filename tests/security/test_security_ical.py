"""security.md item 11 end to end: injection payloads typed into a venue, its notes, its contact and a team name,
served by the real feed URLs, parse back as the same events with the same properties."""

import pytest
from icalendar import Calendar

from tests.support.tour import make_tour
from tourplanner import feeds, ical
from tourplanner.extensions import db
from tourplanner.models import new_token, now_utc

PAYLOADS = [",;\\", "a\rX-INJ:1", "b\nX-INJ:1", "c\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:evil", "\rX-INJ:1",
            "d\u2028X-INJ:1"]


def served(client, url) -> tuple[bytes, list]:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.data, Calendar.from_ical(response.data).walk("VEVENT")


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_payloads_in_stored_fields_keep_every_feed_whole(app, client, payload):
    feeds.clear_cache()
    clean = make_tour(name="clean-2027")
    feeds.clear_cache()
    clean_team = feeds.issue_token(clean["season"], "team", team=clean["teams"]["west"], now=now_utc())
    _, clean_events = served(client, f"/feeds/{clean_team}.ics")
    tour = make_tour(payload={"venue_name": f"V {payload}", "notes": f"N {payload}",
                              "contact_name": f"C {payload}"[:120]})
    tour["teams"]["west"].name = f"T {payload}"[:80]
    token, tour["visits"][0].request.status_token_hash = new_token()
    db.session.commit()
    team = feeds.issue_token(tour["season"], "team", team=tour["teams"]["west"], now=now_utc())
    coordinators = feeds.issue_token(tour["season"], "coordinators", now=now_utc())
    body, events = served(client, f"/feeds/{team}.ics")
    assert len(events) == len(clean_events)
    assert [sorted(e.keys()) for e in events] == [sorted(e.keys()) for e in clean_events]
    assert not any(line.startswith(b"X-INJ") or line == b"UID:evil" for line in body.split(b"\r\n"))
    first = next(e for e in events if str(e["UID"]) == f"visit-{tour['visits'][0].request_id}@tour.test")
    assert ical.clean_text(f"V {payload}") in str(first["SUMMARY"]) + str(first["LOCATION"])
    for url in (f"/feeds/{coordinators}.ics", f"/r/{token}/event.ics"):
        body, events = served(client, url)
        assert not any(line.startswith(b"X-INJ") or line == b"UID:evil" for line in body.split(b"\r\n")), url
        assert all(not name.startswith("X-INJ") for e in events for name in e), url
