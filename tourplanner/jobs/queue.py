"""The job queue: huey on a SQLite file inside the app by default, on Redis with workers anywhere.

Why huey: one small library covers both setups with the same task code. Embedded (no REDIS_URL): a
SqliteHuey queue in the instance folder and one consumer thread that the web process starts when a
coordinator submits or looks at a job; queued jobs survive a restart of the app, and no extra server is
needed. Production (REDIS_URL set): RedisHuey, and workers on as many machines as needed, each started
with `flask --app tourplanner worker` (or `huey_consumer tourplanner.jobs.huey`).
"""

from __future__ import annotations

import os
import threading
import time

from flask import Flask, current_app

from ..mail import send_messages
from .settings import DEFAULTS, setting
from .worker import reap_stale_jobs, run_job

_HUEY_KEY = "tourplanner.huey"
_CONSUMER_KEY = "tourplanner.huey_consumer"
_lock = threading.Lock()


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

    # A queued message names its task by module and function ("tourplanner.jobs.solve_job"): the names
    # stay those of the package, so jobs queued before an upgrade (Redis, or the SQLite file) still run.
    for task in (solve_job, reap_jobs, send_mail_batch):
        task.__module__ = __package__
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
