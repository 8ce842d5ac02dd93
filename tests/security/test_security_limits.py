"""security.md item 12: every text field is bounded by its column, oversized posts get 413 everywhere, and one
character too many is a named error, not a database error."""

import pytest
from flask import g
from sqlalchemy import func, select
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import Length

from tourplanner import forms
from tourplanner.forms import ChangePasswordForm
from tourplanner.extensions import db
from tourplanner.models import Request, Season, Team, TeamMember, User, Venue
from tourplanner.views.planner import SeasonForm, TeamForm

# form class -> {field: the column it fills}; None = a column without a length (Text), bounded by the form alone.
FILLS = {
    forms.LoginForm: {"email": User.email, "password": None},
    forms.RequestForm: {"venue_name": Venue.name, "contact_name": Request.contact_name, "contact_email": Request.contact_email,
                        "contact_phone": Request.contact_phone, "city": Venue.city, "street": Venue.street,
                        "postal_code": Venue.postal_code, "notes": None, "blackouts": None},
    forms.RequestEditForm: {"venue_name": Venue.name, "contact_name": Request.contact_name,
                            "contact_email": Request.contact_email, "contact_phone": Request.contact_phone, "notes": None},
    forms.LocationForm: {"street": Venue.street, "city": Venue.city, "region": Venue.region,
                         "postal_code": Venue.postal_code},
    forms.MessageForm: {"message": None},
    SeasonForm: {"name": Season.name},
    TeamForm: {"name": Team.name, "slug": Team.slug, "base_city": Team.base_name, "base_region": Venue.region,
               "base_postal_code": Venue.postal_code, "region_hint": Team.region_hint, "members": None},
    ChangePasswordForm: {"current": None, "new": None, "repeat": None},
}
# Text inputs that are never stored as typed: the honeypot, the version check, coordinates read as floats,
# and the repeated password (it must equal the bounded new one).
NOT_STORED = {(forms.RequestForm, "website"), (forms.RequestEditForm, "version"), (SeasonForm, "version"),
              (TeamForm, "version"), (TeamForm, "colour"), (forms.LocationForm, "latitude"),
              (forms.LocationForm, "longitude"), (ChangePasswordForm, "repeat")}


def max_length(unbound_field) -> int | None:
    return next((v.max for v in unbound_field.kwargs.get("validators", ()) if isinstance(v, Length) and v.max > 0), None)


def text_fields(form_class):
    for name in dir(form_class):
        unbound = getattr(form_class, name)
        if getattr(unbound, "field_class", None) and issubclass(unbound.field_class, (StringField, PasswordField)):
            yield name, unbound


@pytest.mark.parametrize("form_class", list(FILLS), ids=lambda c: c.__name__)
def test_every_text_field_has_a_maximum_no_longer_than_its_column(form_class):
    for name, unbound in text_fields(form_class):
        if (form_class, name) in NOT_STORED:
            continue
        limit = max_length(unbound)
        assert limit, f"{form_class.__name__}.{name} has no maximum length"
        assert name in FILLS[form_class], f"{form_class.__name__}.{name}: which column does it fill? (add it to FILLS)"
        column = FILLS[form_class][name]
        if column is None:
            assert limit <= 10_000 or issubclass(unbound.field_class, TextAreaField), name
            continue
        assert limit <= column.type.length, f"{form_class.__name__}.{name}: form allows {limit}, column {column}"


def test_a_post_over_max_content_length_gets_413_on_every_form_and_stores_nothing(app, coordinator, make_request):
    from tourplanner.models import new_token

    season = make_season_named(app)
    request = make_request(season=season)
    token, request.status_token_hash = new_token()
    db.session.commit()
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit <= 2 * 1024 * 1024
    big = "x" * (limit + 1024)
    before = db.session.scalar(select(func.count()).select_from(Request)), request.notes, request.version
    for url in ("/login", "/request", f"/r/{token}/another-date", f"/admin/requests/{request.id}/edit",
                f"/admin/seasons/{season.name}/import", "/admin/seasons/new", "/admin/password"):
        g.pop("_login_user", None)
        response = coordinator.post(url, data={"notes": big, "message": big})
        assert response.status_code == 413, f"{url}: {response.status_code}"
        page = response.get_data(as_text=True).lower()
        assert "413" in page or "too much" in page, url  # a page that says what went wrong
    db.session.expire_all()
    request = db.session.get(Request, request.id)
    assert (db.session.scalar(select(func.count()).select_from(Request)), request.notes, request.version) == before


def make_season_named(app):
    import datetime as dt

    season = Season(name="limits-2027", start_date=dt.date(2027, 2, 1), weeks=11)
    db.session.add(season)
    db.session.commit()
    return season


@pytest.mark.parametrize("field, limit", [("venue_name", 200), ("contact_name", 120), ("contact_phone", 40),
                                          ("notes", 4000)])
def test_one_character_too_many_in_the_coordinator_edit_is_named_and_not_stored(app, coordinator, make_request,
                                                                              field, limit):
    request = make_request()
    data = {"version": request.version, "venue_name": request.venue.name, "venue_type": request.venue.type,
            "contact_name": request.contact_name, "contact_email": request.contact_email, "contact_phone": "",
            "audience": request.audience, "priority": request.priority, "notes": request.notes,
            "duration_minutes": ""}
    response = coordinator.post(f"/admin/requests/{request.id}/edit", data={**data, field: "y" * (limit + 1)})
    assert response.status_code == 422
    assert f"{limit} characters" in response.get_data(as_text=True)
    db.session.expire_all()
    request = db.session.get(Request, request.id)
    assert "y" * (limit + 1) not in (request.venue.name, request.contact_name, request.contact_phone, request.notes)


def test_team_member_and_team_names_over_their_columns_are_named(app, coordinator):
    season = make_season_named(app)
    base = {"name": "West", "slug": "west", "colour": "#1f77b4", "base_country": "US", "base_lat": "34.05",
            "base_lon": "-118.24"}
    too_long_team = coordinator.post(f"/admin/seasons/{season.name}/teams/new", data={**base, "name": "T" * 81})
    assert too_long_team.status_code == 400 and "80 characters" in too_long_team.get_data(as_text=True)
    too_long_member = coordinator.post(f"/admin/seasons/{season.name}/teams/new",
                                       data={**base, "members": "N" * 121 + " <n@example.org>"})
    assert too_long_member.status_code == 400 and "120 characters" in too_long_member.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == 0
