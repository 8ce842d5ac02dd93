"""Concrete URLs for the app's routes, walked from app.url_map."""

from __future__ import annotations

import re


SAMPLE = {"name": "spring-2027", "token": "x" * 43, "slug": "west", "ref": "R1", "number": "1", "job_id": "1",
          "plan_id": "1", "visit_id": "1", "request_id": "1", "team_id": "1", "member_id": "1", "day": "2027-02-03",
          "date": "2027-02-03", "filename": "leaflet.js", "kind": "team", "id": "1"}


def fill(rule, **values) -> str:
    """A concrete URL for a rule, with sample values for its parameters."""
    sample = {**SAMPLE, **values}
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: sample.get(m.group(1), "1"), rule.rule)
