"""What a venue reads about its date: links in every email, plain words when the tour cannot come, one note."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import select

from tests.support.mail import outbox
from tourplanner import intake
from tourplanner.extensions import db
from tourplanner.models import Plan, Request, Team, UnservedRequest, Visit

UTC = dt.timezone.utc


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def test_every_email_about_a_date_carries_the_venues_own_link(app, client, runner, season):
    links = {r.ref: intake.rotate_token(r) for r in db.session.scalars(select(Request))}
    assert runner.invoke(args=["plan", "--season", "march", "--time-limit", "1"]).exit_code == 0
    result = runner.invoke(args=["publish", "--season", "march"])
    assert result.exit_code == 0, result.output
    messages = outbox(app)
    assert len(messages) == 3  # one per request of the season
    for message in messages:
        ref = re.search(r"Request reference: (\w+)", message.get_content()).group(1)
        assert f"    https://tour.test/r/{links[ref]}\n" in message.get_content()
        assert "confirm the date, ask for another one, add it to your calendar, or cancel" in message.get_content()
        page = client.get(f"/r/{links[ref]}")  # the link the venue already had keeps working: no new one was made
        assert page.status_code == 200 and "Status: Date proposed." in text(page)


def test_a_request_without_a_rebuildable_link_gets_the_old_words(app, season):
    from tourplanner.planning import venue_email, venue_link

    request = db.session.scalar(select(Request).where(Request.ref == "r1"))  # made without a salt
    assert venue_link(request) is None
    visit = Visit(request=request, team_id=1, start_dt=dt.datetime(2027, 3, 2, 15, tzinfo=UTC),
                  end_dt=dt.datetime(2027, 3, 2, 16, tzinfo=UTC), order=0)
    subject, body = venue_email(visit, "new")
    assert "with the private link we sent you when you made the request" in body
    app.config["SECRET_KEY"] = "a-new-key"  # links made under the old key cannot be rebuilt: same old words
    intake.rotate_token(request)
    app.config["SECRET_KEY"] = "another-key"
    assert venue_link(request) is None


def left_out(season, request, reason: str) -> Plan:
    plan = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2027, 2, 20, tzinfo=UTC))
    plan.unserved.append(UnservedRequest(request=request, reason=reason, detail="no_road: Hawaii"))
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.mark.parametrize("city,region,reason,why", [
    ("Honolulu", "HI", "no_road", "the team travels by van, and no road or car ferry reaches Honolulu, HI."),
    ("Washington", "DC", "holiday_or_day_off", "every day you gave is a public holiday or one of the team's rest days."),
    ("Whitehorse", "YT", "no_reachable_window",
     "the team's route does not come close enough to Whitehorse, YT on the days and hours you gave."),
])
def test_a_venue_left_out_reads_why_in_plain_words_and_may_keep_its_request(client, make_request, season, city, region,
                                                                              reason, why):
    request = make_request(season, ref="far", status="approved", city=city, region=region,
                           status_message="Approved: we will propose a date soon.")
    token = intake.rotate_token(request)
    assert "we are fitting it into the tour" in text(client.get(f"/r/{token}"))  # before the plan is published
    left_out(season, request, reason)
    page = text(client.get(f"/r/{token}"))
    assert "Status: Not in this season's tour." in page
    assert f"We are sorry: this season's tour could not include your venue, because {why}" in page
    assert "fitting it into the tour" not in page and "propose a date soon" not in page  # replaced, not stacked
    assert "no_road" not in page and reason not in page  # no internal words
    kept = client.post(f"/r/{token}/keep", follow_redirects=True)
    assert "We keep your request for the next season's tour" in text(kept)
    assert db.session.get(Request, request.id).keep_for_next_dt is not None
    assert "Keep my request for the next season" not in text(client.get(f"/r/{token}"))


def test_keep_for_next_season_is_refused_for_a_request_in_the_tour(client, make_request, season):
    request = make_request(season, ref="in", status="approved")
    token = intake.rotate_token(request)
    page = text(client.post(f"/r/{token}/keep", follow_redirects=True))
    assert "Only a request this season's tour could not include" in page
    assert db.session.get(Request, request.id).keep_for_next_dt is None


def proposed(season, request) -> Visit:
    team = db.session.scalar(select(Team))
    plan = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2027, 2, 20, tzinfo=UTC))
    visit = Visit(plan=plan, request=request, team=team, start_dt=dt.datetime(2027, 3, 2, 15, tzinfo=UTC),
                  end_dt=dt.datetime(2027, 3, 2, 16, 30, tzinfo=UTC), order=0)
    request.status = "scheduled"
    db.session.add_all([plan, visit])
    db.session.commit()
    return visit


def test_the_approval_note_goes_once_a_date_is_proposed(client, make_request, season):
    request = make_request(season, ref="n1", status="submitted")
    token = intake.rotate_token(request)
    intake.decide(request, True, "Approved: we will propose a date soon.", now=dt.datetime(2027, 2, 1, tzinfo=UTC))
    assert "Note: Approved: we will propose a date soon." in text(client.get(f"/r/{token}"))
    proposed(season, request)
    page = text(client.get(f"/r/{token}"))
    assert "Status: Date proposed." in page and "propose a date soon" not in page


def test_after_asking_for_another_date_the_page_says_one_is_being_looked_for(client, make_request, season):
    request = make_request(season, ref="n2", status="approved", status_message="Approved: we will propose a date soon.")
    token = intake.rotate_token(request)
    proposed(season, request)
    client.post(f"/r/{token}/another-date", data={"message": "Thursdays suit us better"})
    page = text(client.get(f"/r/{token}"))
    assert "Status: Looking for another date." in page
    assert re.search(r"You asked for another date on \w+ \d+\. We are looking for a new one and will write to you", page)
    assert "Your note: Thursdays suit us better" in page
    assert "propose a date soon" not in page and "fitting it into the tour" not in page
    assert "The venue asked for another date" not in page  # the coordinators' wording stays theirs


def test_coordinators_see_who_asked_to_be_kept_for_next_season(app, client, make_request, season):
    from tourplanner.accounts import create_user

    request = make_request(season, ref="far2", status="approved", city="Honolulu", region="HI")
    token = intake.rotate_token(request)
    left_out(season, request, "no_road")
    client.post(f"/r/{token}/keep")
    create_user("coord@example.org", "a long password", "Coordinator")
    client.post("/login", data={"email": "coord@example.org", "password": "a long password"})
    assert "asked on" in text(client.get(f"/admin/requests/{request.id}")) and "kept for the next season" in text(
        client.get(f"/admin/requests/{request.id}"))
