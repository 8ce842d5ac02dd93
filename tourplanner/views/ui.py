"""Words for codes: templates show 'High school' and 'New, not yet reviewed', never 'high_school' or 'submitted'."""

from functools import partial

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


WORD_FILTERS = {
    "request_status": REQUEST_STATUS_LABELS,
    "plan_status": PLAN_STATUS_LABELS,
    "job_status": JOB_STATUS_LABELS,
    "venue_type": VENUE_TYPE_LABELS,
    "country_name": COUNTRY_LABELS,
}
for _name, _labels in WORD_FILTERS.items():
    bp.add_app_template_filter(partial(_word, _labels), _name)


@bp.app_template_filter("region_name")
def region_name(code, country: str = "") -> str:
    """'IL' -> 'Illinois'; with no country, whichever country has that code (US first)."""
    for c in ([country] if country else list(REGIONS)):
        if (c, code) in REGION_LABELS:
            return REGION_LABELS[(c, code)]
    return code or ""
