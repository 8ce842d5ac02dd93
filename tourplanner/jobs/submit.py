"""Submitting, cancelling, re-running and reaping jobs: the Job row is the truth a coordinator sees.

A job that reaches a worker is claimed by it (queued -> running); a worker that dies stops its
heartbeat, and the job is marked failed on the next read (reap_stale_jobs) and can be re-run.
"""

from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from sqlalchemy import select, update

from .. import review
from ..extensions import db
from ..models import Job, Plan, Season, now_utc
from ..planning import build_instance, input_hash, instance_dict, plan_for_input
from .queue import get_huey, start_embedded_worker
from .settings import ACTIVE, JobError, setting
from .status import reused_progress
from .worker import reap_stale_jobs

log = logging.getLogger(__name__)


def job_params(*, time_limit_s, seed, steps=None, previous_plan_id=None) -> dict:
    """Checked solver parameters of a job; the time limit is capped by JOB_MAX_TIME_LIMIT_S, from every door."""
    max_time_limit = int(setting(current_app, "JOB_MAX_TIME_LIMIT_S"))
    try:
        time_limit_s = int(time_limit_s)
        seed = int(seed)
        steps = None if steps in (None, "") else int(steps)
    except (TypeError, ValueError):
        raise JobError("time limit, seed and steps must be whole numbers") from None
    if not 1 <= time_limit_s <= max_time_limit:
        raise JobError(f"time limit must be 1 to {max_time_limit} seconds, got {time_limit_s}")
    if seed < 0:
        raise JobError(f"seed must be 0 or more, got {seed}")
    if steps is not None and steps < 1:
        raise JobError(f"steps must be 1 or more, got {steps}")
    params = {"time_limit_s": time_limit_s, "seed": seed}
    if steps is not None:
        params["steps"] = steps
    if previous_plan_id is not None:
        params["previous_plan_id"] = int(previous_plan_id)
    return params


def submit_job(season: Season, params: dict, *, enqueue: bool = True) -> Job:
    """Queue a solve of the season as it is now; the same input as an existing plan or job gives that one.

    Raises PlanningError / InstanceError (naming the request) when the rows cannot become an instance,
    JobError when the queue (Redis) is unavailable. enqueue=False only records the job, for a caller that runs it itself (the `plan` command).
    """
    reap_stale_jobs()
    data = instance_dict(season)
    build_instance(season, data)  # bad rows are refused here, before anything is queued
    digest = input_hash(data, params)
    existing = plan_for_input(season, digest)
    if existing is not None:
        now = now_utc()
        job = Job(season=season, status="succeeded", params=params, input_hash=digest, plan=existing,
                  progress=reused_progress(existing), started_dt=now, finished_dt=now, heartbeat_dt=now)
        db.session.add(job)
        db.session.commit()
        return job
    active = db.session.scalar(
        select(Job).where(Job.season_id == season.id, Job.input_hash == digest, Job.status.in_(ACTIVE))
        .order_by(Job.id).limit(1)
    )
    if active is not None:
        return active
    job = Job(season=season, status="queued", params=params, input_hash=digest, progress={"phase": "queued"})
    db.session.add(job)
    db.session.commit()
    if not enqueue:
        return job
    app = current_app._get_current_object()
    try:
        get_huey(app).solve_job(job.id)
    except Exception as exc:  # e.g. Redis down: the job row says so, and so does the caller
        log.exception("could not queue job %s", job.id)
        message = f"the job queue is unavailable ({type(exc).__name__}: {exc}); planning is not possible right now"
        job.status, job.error, job.finished_dt = "failed", message, now_utc()
        db.session.commit()
        raise JobError(message) from exc
    start_embedded_worker(app)
    return job


def cancel_job(job: Job) -> None:
    """A queued job is cancelled at once; a running one is asked to stop (its solver sees it)."""
    if job.status == "queued":
        db.session.execute(
            update(Job).where(Job.id == job.id, Job.status == "queued")
            .values(status="cancelled", cancel_requested=True, finished_dt=now_utc())
        )
    elif job.status == "running":
        job.cancel_requested = True
    db.session.commit()
    db.session.refresh(job)


def rerun_job(job: Job) -> Job:
    """A new job with the same parameters, for a failed or cancelled one."""
    if job.status not in ("failed", "cancelled"):
        raise JobError(f"job {job.id} is {job.status}; only a failed or cancelled job can be re-run")
    return submit_job(job.season, dict(job.params))


def start_replan(season: Season, plan: Plan, from_date: dt.date, *, time_limit_s: int = 4, seed: int = 1,
                 enqueue: bool = True) -> Job:
    """Pin every visit before from_date (pins already set stay), then queue a re-plan from this version.

    The solve runs as a background job (previous_plan_id): the optimizer starts from this plan and keeps
    what still fits. Returns the Job; the same input twice gives the same plan.
    """
    review.pin_before(season, plan, from_date)
    params = job_params(time_limit_s=time_limit_s, seed=seed, previous_plan_id=plan.id)
    return submit_job(season, params, enqueue=enqueue)
