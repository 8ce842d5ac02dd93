"""Coordinators: a confirmation that says what will happen before publishing or deleting a team, member lines
checked one by one, one reason per unserved request, the venue's blackout dates on the visit page."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from tourplanner.extensions import db
from tourplanner.models import BlackoutDate, Plan, Request, Team, TeamMember, UnservedRequest, Visit

UTC = dt.timezone.utc


def text(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def published(app, make_season, make_request):
    """Version 1 published (r1 on Mar 2, r2 on Mar 3); version 2 moves r2, adds r3, drops r1, leaves r4 out."""
    season = make_season(name="march", start_date=dt.date(2027, 3, 1), weeks=2)
    team = Team(season=season, slug="east", name="East", base_name="Springfield, IL", base_lat=39.78, base_lon=-89.65,
                base_tz="America/Chicago")
    db.session.add(team)
    requests = {ref: make_request(season, ref=ref, status="approved", contact_email=f"{ref}@example.org")
                for ref in ("r1", "r2", "r3", "r4")}
    start = dt.datetime(2027, 3, 2, 15, tzinfo=UTC)

    def visit(plan, ref, day):
        return Visit(plan=plan, request=requests[ref], team=team, start_dt=start + dt.timedelta(days=day),
                     end_dt=start + dt.timedelta(days=day, hours=1), order=day)

    v1 = Plan(season=season, number=1, status="published", published_dt=dt.datetime(2027, 2, 1, tzinfo=UTC))
    v2 = Plan(season=season, number=2, status="draft")
    db.session.add_all([v1, v2, visit(v1, "r1", 0), visit(v1, "r2", 1), visit(v2, "r2", 2), visit(v2, "r3", 3)])
    v2.unserved.append(UnservedRequest(request=requests["r4"], reason="dropped_for_value",
                                       detail="feasible on its own, but left out for visits worth more or needing less driving"))
    for ref in ("r1", "r2"):
        requests[ref].status = "scheduled"
    db.session.commit()
    return {"season": season, "team": team, "v1": v1, "v2": v2, "requests": requests}


def test_publish_asks_first_and_says_how_many_venues_are_emailed_and_dates_change(coordinator, published):
    v2 = published["v2"]
    page = coordinator.get("/admin/seasons/march/plans").get_data(as_text=True)
    assert f'href="/admin/plans/{v2.id}/publish">Publish…</a>' in page  # a link to the step, not a one-click form
    confirm = text(coordinator.get(f"/admin/plans/{v2.id}/publish"))
    assert ("Publish v2: 3 venues will be emailed, 1 date change, 1 new, 1 withdrawn; 0 stay as they are; "
            "1 request(s) are not in this version. Every team calendar updates.") in confirm
    assert "Publish v2 and email 3 venues" in confirm
    assert db.session.get(Plan, v2.id).status == "draft"
    unconfirmed = coordinator.post(f"/admin/plans/{v2.id}/publish")  # a bare POST only shows the step again
    assert unconfirmed.status_code == 200 and db.session.get(Plan, v2.id).status == "draft"
    coordinator.post(f"/admin/plans/{v2.id}/publish", data={"confirm": "yes"})
    assert db.session.get(Plan, v2.id).status == "published"


def test_publish_step_says_why_it_cannot_publish(coordinator, published):
    published["requests"]["r3"].status = "cancelled"
    db.session.commit()
    page = text(coordinator.get(f"/admin/plans/{published['v2'].id}/publish"))
    assert "This cannot be done as it is: request(s) r3 were cancelled or declined after version 2 was made" in page
    assert "Publish v2 and email" not in page


def test_deleting_a_team_asks_first(coordinator, make_season):
    season = make_season(name="april")
    team = Team(season=season, slug="spare", name="Spare", base_name="Peoria, IL", base_lat=40.69, base_lon=-89.59,
                base_tz="America/Chicago", members=[TeamMember(name="Ana Ruiz", email="ana@example.org")])
    db.session.add(team)
    db.session.commit()
    setup = coordinator.get("/admin/seasons/april/setup").get_data(as_text=True)
    assert 'href="/admin/seasons/april/teams/spare/delete">Delete team…</a>' in setup
    confirm = text(coordinator.get("/admin/seasons/april/teams/spare/delete"))
    assert "Delete team Spare? What will happen Team Spare (Peoria, IL) and its 1 member(s) are deleted" in confirm
    coordinator.post("/admin/seasons/april/teams/spare/delete")  # no confirmation: nothing happens
    assert db.session.scalar(select(func.count()).select_from(Team)) == 1
    coordinator.post("/admin/seasons/april/teams/spare/delete", data={"confirm": "yes"})
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0


@pytest.mark.parametrize("line,message", [
    ("bad line without email", 'line 2 ("bad line without email") has no email address: write each member as a '
                               "name and an email, like Ana Ruiz <ana@example.org>"),
    ("cy@example.org", 'line 2 ("cy@example.org") has no name'),
    ("Cy <cy@example>", 'line 2 ("Cy <cy@example>"): The part after the @-sign is not valid'),
])
def test_member_lines_need_a_name_and_an_email_and_a_bad_one_is_named(coordinator, make_season, line, message):
    make_season(name="april")
    response = coordinator.post("/admin/seasons/april/teams/new", data={
        "name": "North", "colour": "#123456", "base_country": "US", "base_lat": "40.69", "base_lon": "-89.59",
        "members": f"Ana Ruiz <ana@example.org>\n{line}"})
    assert response.status_code == 400
    assert message in text(response)
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == 0


def test_each_unserved_row_gives_one_reason_and_a_suggestion(coordinator, published):
    html = coordinator.get("/admin/seasons/march/review?plan=2").get_data(as_text=True)
    table = html.split('id="unserved"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if "<td>r4</td>" in r)
    cells = [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    assert cells[5] == "feasible on its own, but left out for visits worth more or needing less driving"
    assert "outweighs" not in row  # not a second, different reason beside it
    assert cells[6]  # and what could work


def test_visit_page_shows_the_venues_windows_and_blackout_dates(coordinator, published):
    request = published["requests"]["r2"]
    request.blackouts = [BlackoutDate(day=dt.date(2027, 3, 10)), BlackoutDate(day=dt.date(2027, 3, 4))]
    db.session.commit()
    visit = db.session.scalar(select(Visit).where(Visit.plan_id == published["v2"].id, Visit.request_id == request.id))
    page = text(coordinator.get(f"/admin/seasons/march/review/visits/{visit.id}?plan=2"))
    assert "Windows (venue's local time): Mar 1–Mar 14 Mon Tue Wed Thu Fri 09:00–15:00" in page
    assert "Blackout dates (the venue cannot host): Thu Mar 4, Wed Mar 10." in page
