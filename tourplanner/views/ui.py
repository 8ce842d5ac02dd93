"""Words for codes: templates show 'High school' and 'New, not yet reviewed', never 'high_school' or 'submitted'."""

from flask import Blueprint

from ..forms import COUNTRY_CHOICES, REGIONS, VENUE_TYPE_CHOICES

bp = Blueprint("ui", __name__)

# A coordinator's words for a request's status (the venue's own page words them for the venue).
REQUEST_STATUS_LABELS = {
    "submitted": "New, not yet reviewed",
    "approved": "Approved, waiting for a date",
    "declined": "Declined",
    "scheduled": "Date proposed to the venue",
    "confirmed": "Confirmed by the venue",
    "cancelled": "Cancelled",
}
PLAN_STATUS_LABELS = {"draft": "Draft", "published": "Published"}
JOB_STATUS_LABELS = {
    "queued": "Waiting to start",
    "running": "Running",
    "succeeded": "Finished",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
VENUE_TYPE_LABELS = dict(VENUE_TYPE_CHOICES)
COUNTRY_LABELS = dict(COUNTRY_CHOICES)
REGION_LABELS = {(country, code): name for country, regions in REGIONS.items() for code, name in regions}


def _word(labels: dict, code) -> str:
    """A known code's words; an unknown one readable rather than hidden."""
    if code is None:
        return ""
    return labels.get(code) or str(code).replace("_", " ").capitalize()


@bp.app_template_filter("request_status")
def request_status(code) -> str:
    return _word(REQUEST_STATUS_LABELS, code)


@bp.app_template_filter("plan_status")
def plan_status(code) -> str:
    return _word(PLAN_STATUS_LABELS, code)


@bp.app_template_filter("job_status")
def job_status(code) -> str:
    return _word(JOB_STATUS_LABELS, code)


@bp.app_template_filter("venue_type")
def venue_type(code) -> str:
    return _word(VENUE_TYPE_LABELS, code)


@bp.app_template_filter("country_name")
def country_name(code) -> str:
    return _word(COUNTRY_LABELS, code)


@bp.app_template_filter("region_name")
def region_name(code, country: str = "") -> str:
    """'IL' -> 'Illinois'; with no country, whichever country has that code (US first)."""
    for c in ([country] if country else list(REGIONS)):
        if (c, code) in REGION_LABELS:
            return REGION_LABELS[(c, code)]
    return code or ""
