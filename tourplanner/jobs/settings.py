"""What every part of the job machinery shares: its settings, the job states, the parameter error."""

from __future__ import annotations

from flask import Flask

DEFAULTS = {
    "HUEY_NAME": "tourplanner",  # Redis key prefix / SQLite queue name; env TOURPLANNER_HUEY_NAME
    "JOBS_EMBEDDED_WORKER": True,  # start a consumer thread in the web process when there is no Redis
    "JOB_HEARTBEAT_SECONDS": 1.0,
    "JOB_STALE_SECONDS": 30.0,  # no heartbeat for this long: the worker is gone
    "JOB_OVERRUN_SECONDS": 300.0,  # a solve still running at twice its limit plus this has hung
    "JOB_MAX_TIME_LIMIT_S": 3600,
    "JOB_NICE": 10,  # solver threads run this much below the web workers, so pages stay fast during a solve
    "JOB_SOLVE_WALKS": 0,  # search walks (processes) per solve; 0: one per core, at most two (optimize.solve)
}
ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")


class JobError(ValueError):
    """Parameters a job cannot run with; the message names the parameter."""


def setting(app: Flask, key: str):
    return app.config.get(key, DEFAULTS[key])
