"""What a job's page says: its progress in figures and in one line."""

from __future__ import annotations

from .. import planning
from ..models import Job, Plan, now_utc
from .settings import FINISHED


def progress_figures(info: dict) -> dict:
    """The solver's progress as a job stores it: the figures a page shows, and the time left."""
    keep = ("phase", "served", "requests", "audience", "drive_km", "elapsed_s", "time_limit_s", "travel")
    out = {k: info[k] for k in keep if k in info}
    if "elapsed_s" in out and "time_limit_s" in out:
        out["time_left_s"] = max(0.0, round(float(out["time_limit_s"]) - float(out["elapsed_s"]), 1))
    return out


def progress_line(p: dict) -> str:
    parts = [p.get("phase", "")]
    if "served" in p:
        parts.append(f"served {p['served']}")
    if "audience" in p:
        parts.append(f"audience {p['audience']}")
    if "drive_km" in p:
        parts.append(f"{float(p['drive_km']):,.0f} km")
    if "elapsed_s" in p:
        parts.append(f"{float(p['elapsed_s']):.0f} s")
    if "time_left_s" in p:
        parts.append(f"{float(p['time_left_s']):.0f} s left")
    return " · ".join(str(x) for x in parts if x != "")


def job_status(job: Job, now=None) -> dict:
    """What the job page shows (and its JSON endpoint returns)."""
    p = dict(job.progress or {})
    now = now or now_utc()
    limit = float(p.get("time_limit_s") or job.params.get("time_limit_s") or 0)
    elapsed = p.get("elapsed_s")
    if elapsed is None and job.started_dt is not None:
        elapsed = ((job.finished_dt or now) - job.started_dt).total_seconds()
    elapsed = float(elapsed or 0.0)
    if job.status == "succeeded":
        percent = 100
    elif job.status == "running" and limit:
        percent = int(min(99, max(1, 100 * elapsed / limit)))
    else:
        percent = 0
    return {
        "id": job.id,
        "status": job.status,
        "finished": job.status in FINISHED,
        "phase": p.get("phase") or job.status,
        "served": p.get("served"),
        "requests": p.get("requests"),
        "audience": p.get("audience"),
        "drive_km": p.get("drive_km"),
        "elapsed_s": round(elapsed, 1),
        "time_limit_s": limit,
        "time_left_s": 0.0 if job.status in FINISHED else round(max(0.0, limit - elapsed), 1),
        "percent": percent,
        "note": p.get("note", ""),
        "error": job.error,
        "cancel_requested": job.cancel_requested,
        "plan_id": job.plan_id,
        "plan_number": job.plan.number if job.plan is not None else None,
        # the solver's safety net fired: visits the checker rejected were left out (never silent)
        "repaired": list((job.plan.solver or {}).get("repaired_requests") or []) if job.plan is not None else [],
        "replan": planning.replan_words(job.plan) if job.plan is not None else "",
        "worker": job.worker,
    }


def reused_progress(plan: Plan) -> dict:
    """The figures of the plan an identical input made before."""
    k = plan.kpis or {}
    figures = {key: k[key] for key in ("served", "requests", "audience", "drive_km") if key in k}
    return {**figures, "phase": "done", "note": f"same input as version {plan.number}: no new plan"}
