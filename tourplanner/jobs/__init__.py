"""Background solve jobs and queued emails: the queue (queue), submitting and reaping (submit), running a
job in a worker and reaping (worker), emails through the queue (mail), what a job's page says (status), and
the settings and states they share (settings).

Callers use `jobs.X`; `huey_consumer tourplanner.jobs.huey` finds the app's queue here.
"""

from __future__ import annotations

from ..mail import send_messages
from .mail import queue_mail, queue_publish_mail
from .queue import get_huey, make_huey, start_embedded_worker, stop_embedded_worker
from .settings import ACTIVE, DEFAULTS, FINISHED, JobError, setting
from .status import job_status, progress_figures, progress_line, reused_progress
from .submit import cancel_job, job_params, rerun_job, start_replan, submit_job
from .worker import below_web_priority, lower_priority, reap_stale_jobs, run_job, worker_name

__all__ = [
    "ACTIVE", "DEFAULTS", "FINISHED", "JobError", "below_web_priority", "cancel_job", "get_huey", "job_params",
    "job_status", "lower_priority", "make_huey", "progress_figures", "progress_line", "queue_mail",
    "queue_publish_mail", "reap_stale_jobs", "reused_progress", "rerun_job", "run_job", "send_messages",
    "setting", "start_embedded_worker", "start_replan", "stop_embedded_worker", "submit_job", "worker_name",
]


def __getattr__(name: str):
    """`huey_consumer tourplanner.jobs.huey` builds the app from its environment and uses its queue."""
    if name == "huey":
        from .. import create_app  # the app imports the views, which import this package: a cycle at the top

        app = create_app()
        with app.app_context():
            reap_stale_jobs()
        globals()["huey"] = get_huey(app)  # built once per process
        return globals()["huey"]
    raise AttributeError(name)
