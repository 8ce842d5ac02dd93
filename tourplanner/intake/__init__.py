"""Venue intake: the open season, reading availability, storing (or merging) a request, and the venue's and
coordinators' actions on it. Views call these; nothing here renders a page (mail renders its text).

availability: the form's rows and warnings; submission: a request arriving, duplicates, merges and the
coordinators' decisions and edits; venue_page: the private link and what the venue does there; mail: the
venue's emails. Callers use `intake.X`.
"""

from __future__ import annotations

from ..optimize.calendar import WEEKDAYS as WEEKDAY_CODES
from .availability import (describe_window, holidays_by_region, parse_blackouts, read_availability, rest_days,
                           row_warnings, tour_holidays)
from .mail import mail_venue
from .submission import (EDITABLE_STATUSES, QUEUE_ORDER, REF_ALPHABET, IntakeError, Outcome, coordinator_emails,
                         correct_location, decide, edit_request, find_duplicate, keep_both, merge_duplicate,
                         new_ref, new_venue_token, open_season, review_queue, set_availability, submit_request,
                         unreachable_place, venue_label)
from .venue_page import (ANOTHER_DATE_NOTE, DATE_PROPOSED_STATUSES, NOT_SERVED_WORDS, STATUS_WORDS,
                         VenueStatus, ask_another_date, cancel_request, confirm_date, keep_for_next_season,
                         local_time, not_served_reason, proposed_visit, refused_visit, request_for_token,
                         rotate_token, update_availability, venue_status, venue_token)

__all__ = [
    "ANOTHER_DATE_NOTE", "DATE_PROPOSED_STATUSES", "EDITABLE_STATUSES", "NOT_SERVED_WORDS", "QUEUE_ORDER",
    "REF_ALPHABET", "STATUS_WORDS", "WEEKDAY_CODES", "IntakeError", "Outcome",
    "VenueStatus", "ask_another_date", "cancel_request", "confirm_date", "coordinator_emails", "correct_location",
    "decide", "describe_window", "edit_request", "find_duplicate", "holidays_by_region", "keep_both",
    "keep_for_next_season", "local_time", "mail_venue", "merge_duplicate", "new_ref", "new_venue_token",
    "not_served_reason", "open_season", "parse_blackouts", "proposed_visit", "read_availability",
    "refused_visit", "rest_days", "review_queue", "rotate_token", "row_warnings", "request_for_token",
    "set_availability", "submit_request", "tour_holidays", "unreachable_place", "update_availability",
    "venue_label", "venue_status", "venue_token",
]
