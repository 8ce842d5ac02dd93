"""Running a job in a worker: claim it, solve with a heartbeat beside the solver, check, store.

The heartbeat thread writes the solver's progress and a heartbeat every JOB_HEARTBEAT_SECONDS and passes
a cancel request on to the solver. A result is stored only when the checker accepts it, in the same
transaction that marks the job succeeded; a failed job writes no plan, so the published plan and its
feeds stay as they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import traceback

from flask import Flask, current_app
from sqlalchemy import select, update

from .. import optimize
from ..extensions import db
from ..geo.routing import instance_road_matrix
from ..models import Job, Plan, Season, now_utc
from ..planning import PlanRejected, build_instance, input_hash, instance_dict, plan_for_input, save_plan
from .settings import setting
from .status import progress_figures, progress_line, reused_progress

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"[:120]


class _Heartbeat(threading.Thread):
    """Writes the latest progress and a heartbeat, and reads the cancel flag, off the solver's thread."""

    def __init__(self, engine, job_id: int, interval: float, echo=None):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.engine, self.job_id, self.interval, self.echo = engine, job_id, interval, echo
        self.latest: dict = {}
        self.base: dict = {}  # what the solver does not report, e.g. how many requests there are
        self.cancel = threading.Event()  # a coordinator cancelled, or the job was reaped: nothing is stored
        self.deadline = float("inf")  # time.monotonic() when the job's time limit is up: the best plan is kept
        self.done = threading.Event()
        self._written: dict | None = None

    def progress(self, info: dict):
        """The solver's progress callback: cheap, never raises; False asks the solver to stop."""
        try:
            self.latest = {**self.base, **info}
        except Exception:  # OR-Tools would swallow it and go on with garbage
            pass
        return False if self.cancel.is_set() or time.monotonic() >= self.deadline else None

    def beat(self) -> None:
        info = dict(self.latest)
        values = {"heartbeat_dt": now_utc()}
        if info and info != self._written:
            values["progress"] = progress_figures(info)
            if self.echo:
                self.echo(progress_line(values["progress"]))
        with self.engine.begin() as conn:
            still_running = conn.execute(
                update(Job).where(Job.id == self.job_id, Job.status == "running").values(**values)).rowcount
            if not still_running or conn.execute(select(Job.cancel_requested).where(Job.id == self.job_id)).scalar():
                self.cancel.set()  # cancelled, or reaped as stale or overrun: the solver really stops
        self._written = info

    def run(self) -> None:
        while not self.done.wait(self.interval):
            try:
                self.beat()
            except Exception:
                log.exception("heartbeat of job %s failed", self.job_id)

    def stop(self) -> None:
        self.done.set()
        if self.is_alive():
            self.join(10)


def lower_priority(niceness: int) -> int:
    """Run the calling thread (and threads it starts) at `niceness` or lower priority; returns its niceness.

    On Linux a nice value belongs to a thread, so an embedded worker thread is lowered without slowing the
    web threads of the same process; a priority once lowered cannot be raised again without privileges."""
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        if current < niceness:
            os.setpriority(os.PRIO_PROCESS, thread, niceness)
        return os.getpriority(os.PRIO_PROCESS, thread)
    except (AttributeError, OSError):  # not Linux, or not allowed: run as is
        return 0


def below_web_priority(niceness: int, work):
    """work() in a thread of its own at a lower CPU priority: the web threads stay fast during a solve, and
    the job's thread and its heartbeat keep their priority (a starved heartbeat would look like a dead worker)."""
    outcome: dict = {}

    def run():
        lower_priority(niceness)
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed back to the job's thread, which records it
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=f"{threading.current_thread().name}-solver", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def run_job(job_id: int, *, echo=None) -> Job | None:
    """Claim a queued job and run it: rows -> instance -> solve -> check -> a saved draft plan."""
    app = current_app._get_current_object()
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", worker=worker_name(), started_dt=now_utc(), heartbeat_dt=now_utc())
    ).rowcount
    db.session.commit()
    if not claimed:
        return db.session.get(Job, job_id)  # cancelled while queued, or claimed by another worker
    heartbeat = _Heartbeat(db.engine, job_id, float(setting(app, "JOB_HEARTBEAT_SECONDS")), echo)
    try:
        outcome = _solve_job(job_id, heartbeat)
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", job_id)
        outcome = ("failed", {"error": f"{type(exc).__name__}: {exc}"[:4000]})
        log.debug(traceback.format_exc())
    finally:
        heartbeat.stop()
    status, values = outcome
    if status != "succeeded":  # a success was committed together with its plan
        values.setdefault("progress", {**progress_figures(heartbeat.latest), "phase": status})
        db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running")
            .values(status=status, finished_dt=now_utc(), **values)
        )
        db.session.commit()
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def _solve_job(job_id: int, heartbeat: _Heartbeat):
    job = db.session.get(Job, job_id)
    season, params = job.season, dict(job.params)
    data = instance_dict(season)
    instance = build_instance(season, data)
    digest = input_hash(data, params)
    existing = plan_for_input(season, digest)
    if existing is not None:
        job.status, job.plan, job.input_hash, job.finished_dt = "succeeded", existing, digest, now_utc()
        job.progress = reused_progress(existing)
        db.session.commit()
        return "succeeded", {}
    previous_row = None
    previous = None
    if params.get("previous_plan_id"):
        previous_row = db.session.get(Plan, params["previous_plan_id"])
        if previous_row is None or previous_row.season_id != season.id:
            return "failed", {"error": f"the plan to re-plan from ({params['previous_plan_id']}) is gone"}
        previous = optimize.Plan.from_dict(json.loads(previous_row.plan_json))
    season_id = season.id
    heartbeat.base = {"requests": len(instance.requests)}
    # Nothing of the session may stay open while the solver runs: on SQLite every transaction holds
    # the write lock (BEGIN IMMEDIATE), and other writers would wait for the whole solve.
    db.session.commit()
    # Road times from the configured routing engine, or the default travel model (and why).
    matrix, travel = instance_road_matrix(instance)
    heartbeat.base["travel"] = travel
    # The time limit always wins, also over a large `steps`: the solver is asked to stop with its best plan.
    heartbeat.deadline = time.monotonic() + params["time_limit_s"]
    heartbeat.start()
    niceness = int(setting(current_app, "JOB_NICE"))
    walks = int(setting(current_app, "JOB_SOLVE_WALKS")) or None
    plan = below_web_priority(niceness, lambda: optimize.solve(
        instance, time_limit_s=params["time_limit_s"], seed=params["seed"], progress=heartbeat.progress,
        previous=previous, steps=params.get("steps"), matrix=matrix, walks=walks))
    if heartbeat.cancel.is_set() or _cancel_requested(job_id):
        return "cancelled", {"error": "cancelled by a coordinator; nothing was stored"}
    status = getattr(plan, "status", None) or plan.to_dict().get("status")
    if status != "feasible":
        return "failed", {"error": f"the optimizer returned status {status!r}; nothing was stored"}
    violations = optimize.check(instance, plan, matrix=matrix)
    if violations:
        return "failed", {"error": str(PlanRejected(violations))}
    # The ceiling beside the plan: how many requests (and people) no plan that keeps the rules could beat.
    ceiling = below_web_priority(niceness, lambda: optimize.upper_bound(instance, matrix=matrix))
    plan = dataclasses.replace(plan, solver={**plan.solver, "ceiling": {"served": ceiling.served,
                                                                        "audience": ceiling.audience}})
    job = db.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    if job.status != "running":  # reaped meanwhile: the coordinator was told it failed; keep it so
        return job.status, {}
    season = db.session.get(Season, season_id)
    row = save_plan(season, plan, params=params, previous=previous_row, instance=instance, instance_data=data,
                    digest=digest, commit=False, checked=True)
    job.status, job.plan, job.input_hash, job.finished_dt = "succeeded", row, digest, now_utc()
    job.progress = {**progress_figures(heartbeat.latest), "phase": "done"}
    db.session.commit()
    return "succeeded", {}


def _cancel_requested(job_id: int) -> bool:
    value = db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
    db.session.commit()
    return bool(value)


def reap_stale_jobs(now=None, app: Flask | None = None) -> int:
    """Mark running jobs as failed when their worker stopped sending heartbeats, or when a solve runs far
    past its time limit (a hung solver); they can be re-run, and a late result is never stored."""
    app = app or current_app._get_current_object()
    now = now or now_utc()
    cutoff_dt = now - dt.timedelta(seconds=float(setting(app, "JOB_STALE_SECONDS")))
    reaped = 0
    for job in db.session.scalars(select(Job).where(Job.status == "running")).all():
        beat = job.heartbeat_dt or job.started_dt or job.created_dt
        limit = float(job.params.get("time_limit_s") or 0)
        overrun = job.started_dt is not None and (now - job.started_dt).total_seconds() > 2 * limit + float(
            setting(app, "JOB_OVERRUN_SECONDS"))
        if beat < cutoff_dt:
            job.error = (f"the worker {job.worker or '?'} stopped responding (last heartbeat "
                         f"{beat:%Y-%m-%d %H:%M:%S} UTC); nothing was stored. Re-run the job.")
        elif overrun:
            job.error = (f"the solve ran far past its time limit of {limit:.0f} s on {job.worker or '?'}; "
                         "nothing was stored. Re-run the job.")
        else:
            continue
        job.status, job.finished_dt = "failed", now
        reaped += 1
    if reaped:
        db.session.commit()
    return reaped
