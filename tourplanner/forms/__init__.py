"""WTForms forms of the pages, by area: accounts (login), intake (the venue's request and page, request
edits), admin (CSV upload), planner (season, team, plan). Lengths match the columns they fill."""

from .accounts import ChangePasswordForm, LoginForm
from .admin import RequestsImportForm
from .intake import (BLANK_WINDOWS, CA_PROVINCES, COUNTRY_CHOICES, MAX_WINDOWS, POSTAL_FORMATS, REGIONS, SLOT_CHOICES,
                     US_STATES, VENUE_TYPE_CHOICES, WEEKDAY_CHOICES, AvailabilityForm, AvailabilityRowForm,
                     CoordinateField, LocationForm, MessageForm, MultiCheckboxField, RequestEditForm, RequestForm,
                     WholeNumberField, normal_postal_code)
from .planner import PlanForm, SeasonForm, TeamForm, next_monday

__all__ = [
    "BLANK_WINDOWS", "CA_PROVINCES", "COUNTRY_CHOICES", "ChangePasswordForm", "MAX_WINDOWS", "POSTAL_FORMATS", "REGIONS", "SLOT_CHOICES",
    "US_STATES", "VENUE_TYPE_CHOICES", "WEEKDAY_CHOICES", "AvailabilityForm", "AvailabilityRowForm",
    "CoordinateField", "LocationForm", "LoginForm", "MessageForm", "MultiCheckboxField",
    "PlanForm", "RequestEditForm", "RequestForm", "RequestsImportForm", "SeasonForm", "TeamForm",
    "WholeNumberField", "next_monday", "normal_postal_code",
]
