"""Planning and publishing from the command line: what the Publish button does, checks and emails included."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from tests.support.mail import outbox
from tourplanner import feeds
from tourplanner.extensions import db
from tourplanner.models import Plan, Request

URL = re.compile(r"https?://[^\s<>\"]+")


def test_plan_says_the_version_it_saved_and_publish_makes_it_the_published_one(app, runner, season):
    result = runner.invoke(args=["plan", "--season", "march", "--time-limit", "1", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert ("saved plan version 1 of season march as a draft; publish it with: "
            "flask --app tourplanner publish --season march --number 1") in result.output
    result = runner.invoke(args=["publish", "--season", "march", "--number", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "published version 1 of season march: 3 new, 0 changed, 0 withdrawn; 3 venue(s) emailed"
    assert season.published_plan().number == 1
    assert {r.status for r in db.session.scalars(select(Request))} == {"scheduled"}
    messages = outbox(app)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == ["r1@example.org", "r2@example.org", "r3@example.org"]
    assert all(m["Subject"].startswith("Proposed screening date:") for m in messages)
    again = runner.invoke(args=["publish", "--season", "march"])
    assert again.exit_code == 0 and "is the published version already; nothing sent" in again.output
    assert len(outbox(app)) == 3


def test_publish_without_email_tells_no_venue(app, runner, season):
    assert runner.invoke(args=["plan", "--season", "march", "--time-limit", "1"]).exit_code == 0
    result = runner.invoke(args=["publish", "--season", "march", "--no-email"])
    assert result.exit_code == 0, result.output
    assert "3 new, 0 changed, 0 withdrawn; not emailed (--no-email)" in result.output
    assert outbox(app) == []
    assert season.published_plan().number == 1


def test_publish_refuses_what_the_page_refuses(app, runner, season):
    result = runner.invoke(args=["publish", "--season", "march"])
    assert result.exit_code != 0 and "season march has no plan yet" in result.output
    assert runner.invoke(args=["plan", "--season", "march", "--time-limit", "1"]).exit_code == 0
    assert "has no plan version 7" in runner.invoke(args=["publish", "--season", "march", "--number", "7"]).output
    db.session.scalar(select(Request).where(Request.ref == "r2")).status = "cancelled"
    db.session.commit()
    result = runner.invoke(args=["publish", "--season", "march", "--no-email"])
    assert result.exit_code != 0
    assert "request(s) r2 were cancelled or declined after version 1 was made; re-plan before publishing" in result.output
    assert db.session.scalar(select(Plan)).status == "draft"


@pytest.mark.slow
def test_demo_season_planned_and_published_from_the_command_line_gives_feeds_whose_links_open(app, runner, client):
    """The whole Nomad path at the configured public host: demo -> plan -> publish -> feeds -> every link."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["plan", "--season", "demo", "--time-limit", "5", "--seed", "1"])
    assert result.exit_code == 0, result.output
    number = int(re.search(r"saved plan version (\d+)", result.output).group(1))
    result = runner.invoke(args=["publish", "--season", "demo", "--number", str(number), "--no-email"])
    assert result.exit_code == 0, result.output
    feeds.clear_cache()
    from tourplanner.models import Season

    season = db.session.scalar(select(Season).where(Season.name == "demo"))
    checked = 0
    for team in season.teams:
        token = feeds.issue_token(season, "team", team=team, now=dt.datetime(2027, 1, 5, tzinfo=dt.timezone.utc))
        body = client.get(f"/feeds/{token}.ics").data
        urls = set()
        for item in Calendar.from_ical(body).walk("VEVENT"):
            urls.update(URL.findall(str(item.get("DESCRIPTION", ""))))
            if "URL" in item:
                urls.add(str(item["URL"]))
        assert urls
        for url in sorted(urls):
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == ("https", "tour.test"), url
            response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
            assert response.status_code == 200, url
            checked += 1
    assert checked > 5 * 77  # every day of every team has a page and a map
