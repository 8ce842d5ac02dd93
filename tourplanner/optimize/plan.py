"""Plan (formats.md section 3): frozen dataclasses that read and write the JSON exactly, and its KPIs."""
from __future__ import annotations

from dataclasses import dataclass, field

UNSERVED_REASONS = {
    "outside_tour_dates": "no window leaves room for the event inside the tour dates and day hours",
    "holiday_or_day_off": "every possible date is a team day off or a public holiday at the venue",
    "no_reachable_window": "no team can get there inside any of its windows, even with nothing else to do",
    "pinned_conflict": "its pin (team or start time) cannot be kept",
    "dropped_for_value": "feasible on its own, but left out for visits worth more or needing less driving",
    "no_road": "no road or car ferry reaches the venue (the team travels by van)",
}


class PlanError(ValueError):
    """A plan JSON that does not follow formats.md section 3."""


@dataclass(frozen=True)
class Ferry:
    """The car ferry a leg crosses on: route name, crossing minutes, departure (ISO, terminal's offset)."""

    name: str
    minutes: int
    depart: str

    def to_dict(self) -> dict:
        return {"name": self.name, "minutes": self.minutes, "depart": self.depart}


@dataclass(frozen=True)
class Visit:
    """One scheduled event: start/end carry the venue's UTC offset at that moment.

    `drive_*_before` count the road part of the leg; a leg that crosses water names its `ferry`.
    """

    request: str
    start: str
    end: str
    drive_minutes_before: int
    drive_km_before: float
    ferry: Ferry | None = None

    def to_dict(self) -> dict:
        d = {"request": self.request, "start": self.start, "end": self.end,
             "drive_minutes_before": self.drive_minutes_before, "drive_km_before": self.drive_km_before}
        if self.ferry is not None:
            d["ferry"] = self.ferry.to_dict()
        return d


@dataclass(frozen=True)
class Night:
    """Where a team sleeps after a tour day (a town, or a point on the road during a relocation)."""

    date: str
    lat: float
    lon: float

    def to_dict(self) -> dict:
        return {"date": self.date, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Route:
    team: str
    visits: tuple[Visit, ...]
    nights: tuple[Night, ...] = ()

    def to_dict(self) -> dict:
        return {"team": self.team, "visits": [v.to_dict() for v in self.visits],
                "nights": [n.to_dict() for n in self.nights]}


@dataclass(frozen=True)
class Unserved:
    request: str
    reason: str
    detail: str = ""

    def to_dict(self) -> dict:
        return {"request": self.request, "reason": self.reason, "detail": self.detail}


def plan_kpis(routes, n_requests: int, audience_of) -> dict:
    """KPIs of a set of routes (formats.md section 3); audience_of(request_id) -> int."""
    kpis = visit_kpis([v for r in routes for v in r.visits], n_requests, audience_of)
    return kpis | {"drive_km": round(kpis["drive_km"], 1)}


def visit_kpis(visits, n_requests: int, audience_of) -> dict:
    """The KPIs of any visits with `request`, `drive_km_before` and `drive_minutes_before` (km not rounded):
    the plan JSON's, and the plan page's whole and per team."""
    return {
        "served": len(visits),
        "requests": n_requests,
        "audience": sum(audience_of(v.request) for v in visits),
        "drive_km": sum(v.drive_km_before for v in visits),
        "drive_minutes": sum(v.drive_minutes_before for v in visits),
    }


@dataclass(frozen=True)
class Plan:
    """The optimizer's answer: routes per team, unserved requests with reasons, KPIs."""

    instance: str
    status: str
    solver: dict
    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    kpis: dict = field(default_factory=dict)

    def route(self, team: str) -> Route | None:
        return next((r for r in self.routes if r.team == team), None)

    @classmethod
    def from_dict(cls, d: dict) -> "Plan":
        try:
            routes = tuple(
                Route(team=r["team"],
                      visits=tuple(Visit(request=v["request"], start=v["start"], end=v["end"],
                                         drive_minutes_before=int(v["drive_minutes_before"]),
                                         drive_km_before=float(v["drive_km_before"]),
                                         ferry=None if v.get("ferry") is None else Ferry(
                                             name=str(v["ferry"]["name"]), minutes=int(v["ferry"]["minutes"]),
                                             depart=str(v["ferry"]["depart"])))
                             for v in r["visits"]),
                      nights=tuple(Night(date=n["date"], lat=float(n["lat"]), lon=float(n["lon"]))
                                   for n in r.get("nights", [])))
                for r in d["routes"])
            unserved = tuple(Unserved(request=u["request"], reason=u["reason"], detail=u.get("detail", ""))
                             for u in d.get("unserved", []))
            return cls(instance=d.get("instance", ""), status=d["status"], solver=dict(d.get("solver", {})),
                       routes=routes, unserved=unserved, kpis=dict(d.get("kpis", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanError(f"plan: malformed ({type(exc).__name__}: {exc})") from None

    def to_dict(self) -> dict:
        return {"instance": self.instance, "status": self.status, "solver": dict(self.solver),
                "routes": [r.to_dict() for r in self.routes], "unserved": [u.to_dict() for u in self.unserved],
                "kpis": dict(self.kpis)}
