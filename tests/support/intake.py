"""The public request form as a venue fills it in, and what the pages and the mail say back."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from tourplanner.models import now_utc


def season_start(today: dt.date | None = None) -> dt.date:
    """A Monday three weeks ahead: the open season whatever day the tests run."""
    today = today or now_utc().date()
    monday = today + dt.timedelta(days=21 - today.weekday())
    return monday


def day(season, offset: int) -> str:
    return (season.start_date + dt.timedelta(days=offset)).isoformat()


def form_data(season, **over) -> dict:
    """A complete, valid request from an Arizona school, with keyword overrides."""
    data = {
        "venue_name": "Central High School",
        "venue_type": "high_school",
        "contact_name": "Ana Ruiz",
        "contact_email": "ana.ruiz@example.org",
        "contact_phone": "602 555 0142",
        "country": "US",
        "region": "AZ",
        "city": "Phoenix",
        "postal_code": "85004",
        "street": "",
        "audience": "300",
        "duration_minutes": "90",
        "windows-0-first_date": day(season, 0),
        "windows-0-last_date": day(season, 25),
        "windows-0-weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "windows-0-start_time": "09:00",
        "windows-0-end_time": "15:00",
        "windows-1-first_date": "",
        "windows-1-last_date": "",
        "windows-1-start_time": "",
        "windows-1-end_time": "",
        "blackouts": day(season, 14),
        "notes": "Projector and screen in the gym.",
        "website": "",
        "send": "1",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def page_text(response) -> str:
    """The page as a person reads it: tags dropped, entities decoded, spaces folded."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def private_link(response) -> str:
    match = re.search(r'class="private-link"><a href="https?://[^/]+(/r/[A-Za-z0-9_-]+)"', response.get_data(as_text=True))
    assert match, "the thank-you page shows the private link"
    return match.group(1)

