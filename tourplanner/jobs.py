"""Background solve jobs: huey on a SQLite queue inside the app by default, on Redis with workers anywhere.

Why huey: one small library covers both setups with the same task code. Embedded (no REDIS_URL): a
SqliteHuey queue in the instance folder and one consumer thread that the web process starts when a
coordinator submits or looks at a job; queued jobs survive a restart of the app, and no extra server is
needed. Production (REDIS_URL set): RedisHuey, and workers on as many machines as needed, each started
with `flask --app tourplanner worker` (or `huey_consumer tourplanner.jobs.huey`).

The Job row is the truth a coordinator sees. A job is claimed (queued -> running) by one worker, whose
heartbeat thread writes the solver's progress and a heartbeat every JOB_HEARTBEAT_SECONDS and passes a
cancel request on to the solver. A worker that dies stops its heartbeat; the job is then marked failed on
the next read (reap_stale_jobs) and can be re-run. A result is stored only when the checker accepts it,
in the same transaction that marks the job succeeded; a failed job writes no plan, so the published plan
and its feeds stay as they were.
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

from . import planning
from .extensions import db
from .models import Job, Plan, Season, now_utc

log = logging.getLogger(__name__)

DEFAULTS = {
    "HUEY_NAME": "tourplanner",  # Redis key prefix / SQLite queue name; env TOURPLANNER_HUEY_NAME
    "JOBS_EMBEDDED_WORKER": True,  # start a consumer thread in the web process when there is no Redis
    "JOB_HEARTBEAT_SECONDS": 1.0,
    "JOB_STALE_SECONDS": 30.0,  # no heartbeat for this long: the worker is gone
    "JOB_OVERRUN_SECONDS": 300.0,  # a solve still running at twice its limit plus this has hung
    "JOB_MAX_TIME_LIMIT_S": 3600,
    "JOB_NICE": 10,  # solver threads run this much below the web workers, so pages stay fast during a solve
}
ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")
_HUEY_KEY = "tourplanner.huey"
_CONSUMER_KEY = "tourplanner.huey_consumer"
_lock = threading.Lock()


class JobError(ValueError):
    """Parameters a job cannot run with; the message names the parameter."""


def setting(app: Flask, key: str):
    return app.config.get(key, DEFAULTS[key])


# ---------------------------------------------------------------- the queue


def make_huey(app: Flask):
    """The app's huey: Redis when REDIS_URL is set, else a SQLite file in the instance folder."""
    from huey import RedisHuey, SqliteHuey, crontab

    name = app.config.get("HUEY_NAME") or os.environ.get("TOURPLANNER_HUEY_NAME") or DEFAULTS["HUEY_NAME"]
    if app.config.get("REDIS_URL"):
        huey = RedisHuey(name, url=app.config["REDIS_URL"], results=False)
    else:
        huey = SqliteHuey(name, filename=os.path.join(app.instance_path, "jobs.sqlite"), results=False)
    huey.flask_app = app

    def solve_job(job_id: int) -> None:
        with app.app_context():
            run_job(job_id)

    def reap_jobs() -> None:
        with app.app_context():
            reap_stale_jobs()

    def send_mail_batch(messages: list[dict]) -> None:
        with app.app_context():
            send_messages(messages)

    # Retries only matter before a job is claimed (database briefly unreachable or locked): run_job
    # itself turns every later error into a failed job, and a claimed job is never claimed twice.
    huey.solve_job = huey.task(name="solve_job", retries=3, retry_delay=10)(solve_job)
    huey.send_mail_batch = huey.task(name="send_mail_batch")(send_mail_batch)
    huey.reap_jobs = huey.periodic_task(crontab(minute="*"), name="reap_jobs")(reap_jobs)
    return huey


def get_huey(app: Flask | None = None):
    app = app or current_app._get_current_object()
    with _lock:
        if _HUEY_KEY not in app.extensions:
            app.extensions[_HUEY_KEY] = make_huey(app)
        return app.extensions[_HUEY_KEY]


def __getattr__(name: str):
    """`huey_consumer tourplanner.jobs.huey` builds the app from its environment and uses its queue."""
    if name == "huey":
        from . import create_app

        app = create_app()
        with app.app_context():
            reap_stale_jobs()
        globals()["huey"] = get_huey(app)  # built once per process
        return globals()["huey"]
    raise AttributeError(name)


def _embedded_consumer_class():
    from huey.consumer import Consumer

    class EmbeddedConsumer(Consumer):
        """A consumer living in threads of the web process: the server owns the signals."""

        def _set_signal_handlers(self):
            pass

    return EmbeddedConsumer


def start_embedded_worker(app: Flask | None = None) -> bool:
    """Start the in-process consumer thread once (embedded mode only); True when one is running."""
    app = app or current_app._get_current_object()
    if app.config.get("REDIS_URL") or not setting(app, "JOBS_EMBEDDED_WORKER"):
        return False
    huey = get_huey(app)
    with _lock:
        if _CONSUMER_KEY not in app.extensions:
            consumer = _embedded_consumer_class()(huey, workers=1, periodic=False, max_delay=0.5,
                                                  check_worker_health=False)
            consumer.start()
            app.extensions[_CONSUMER_KEY] = consumer
    return True


def stop_embedded_worker(app: Flask, timeout: float = 10.0) -> None:
    """Stop the in-process consumer (tests, shutdown); a running solve is asked to stop first."""
    consumer = app.extensions.pop(_CONSUMER_KEY, None)
    if consumer is None:
        return
    consumer.stop_flag.set()
    deadline = time.monotonic() + timeout
    for _, thread in consumer.worker_threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    consumer.scheduler.join(max(0.0, deadline - time.monotonic()))


# ---------------------------------------------------------------- submitting, cancelling, re-running


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
    from .planning import build_instance, input_hash, instance_dict, plan_for_input

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


def reused_progress(plan: Plan) -> dict:
    """The figures of the plan an identical input made before."""
    k = plan.kpis or {}
    figures = {key: k[key] for key in ("served", "requests", "audience", "drive_km") if key in k}
    return {**figures, "phase": "done", "note": f"same input as version {plan.number}: no new plan"}


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


def queue_mail(messages: list[dict]) -> None:
    """Hand emails ({to, subject, body, ref}) to a worker: a publish never waits for the mail server."""
    app = current_app._get_current_object()
    get_huey(app).send_mail_batch(messages)
    start_embedded_worker(app)


def send_messages(messages: list[dict]) -> int:
    """Send queued emails one by one; a failed one is logged and does not stop the others."""
    from .mail import send_mail

    sent = 0
    for m in messages:
        try:
            send_mail(m["to"], m["subject"], m["body"])
            sent += 1
        except Exception:
            log.exception("email about request %s could not be sent", m.get("ref", "?"))
    return sent


# ---------------------------------------------------------------- running a job (in a worker)


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
            values["progress"] = _progress(info)
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


def _progress(info: dict) -> dict:
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
        values.setdefault("progress", {**_progress(heartbeat.latest), "phase": status})
        db.session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running")
            .values(status=status, finished_dt=now_utc(), **values)
        )
        db.session.commit()
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    return job


def _solve_job(job_id: int, heartbeat: _Heartbeat):
    from .optimize import Plan as OptPlan, check, solve, upper_bound
    from .planning import PlanRejected, build_instance, input_hash, instance_dict, plan_for_input, save_plan

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
        previous = OptPlan.from_dict(json.loads(previous_row.plan_json))
    season_id = season.id
    heartbeat.base = {"requests": len(instance.requests)}
    # Nothing of the session may stay open while the solver runs: on SQLite every transaction holds
    # the write lock (BEGIN IMMEDIATE), and other writers would wait for the whole solve.
    db.session.commit()
    # Road times from the configured routing engine, or the default travel model (and why).
    from .geo.routing import instance_road_matrix

    matrix, travel = instance_road_matrix(instance)
    heartbeat.base["travel"] = travel
    # The time limit always wins, also over a large `steps`: the solver is asked to stop with its best plan.
    heartbeat.deadline = time.monotonic() + params["time_limit_s"]
    heartbeat.start()
    niceness = int(setting(current_app, "JOB_NICE"))
    plan = below_web_priority(niceness, lambda: solve(
        instance, time_limit_s=params["time_limit_s"], seed=params["seed"], progress=heartbeat.progress,
        previous=previous, steps=params.get("steps"), matrix=matrix))
    if heartbeat.cancel.is_set() or _cancel_requested(job_id):
        return "cancelled", {"error": "cancelled by a coordinator; nothing was stored"}
    status = getattr(plan, "status", None) or plan.to_dict().get("status")
    if status != "feasible":
        return "failed", {"error": f"the optimizer returned status {status!r}; nothing was stored"}
    violations = check(instance, plan, matrix=matrix)
    if violations:
        return "failed", {"error": str(PlanRejected(violations))}
    # The ceiling beside the plan: how many requests (and people) no plan that keeps the rules could beat.
    ceiling = below_web_priority(niceness, lambda: upper_bound(instance, matrix=matrix))
    plan = dataclasses.replace(plan, solver={**plan.solver, "ceiling": {"served": ceiling.served,
                                                                        "audience": ceiling.audience}})
    job = db.session.scalar(select(Job).where(Job.id == job_id).with_for_update())
    if job.status != "running":  # reaped meanwhile: the coordinator was told it failed; keep it so
        return job.status, {}
    season = db.session.get(Season, season_id)
    row = save_plan(season, plan, params=params, previous=previous_row, instance=instance, instance_data=data,
                    digest=digest, commit=False, checked=True)
    job.status, job.plan, job.input_hash, job.finished_dt = "succeeded", row, digest, now_utc()
    job.progress = {**_progress(heartbeat.latest), "phase": "done"}
    db.session.commit()
    return "succeeded", {}


def _cancel_requested(job_id: int) -> bool:
    value = db.session.scalar(select(Job.cancel_requested).where(Job.id == job_id))
    db.session.commit()
    return bool(value)


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
