"""Polling for what another thread, process or browser does, with one deadline and a plain message."""

from __future__ import annotations

import os
import pathlib
import signal
import time


def wait_for(check, timeout=30.0, what="the condition", interval=0.1):
    """The first truthy value check() returns, polled until `timeout` seconds; an AssertionError after."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}: last {value!r}")
        time.sleep(interval)


def outlives(pid: int, seconds: float) -> bool:
    """Whether process `pid` is still running (a zombie counts as gone) after `seconds`; one that is gets a
    SIGKILL, so that a failing test leaves no process behind."""
    def alive():
        try:
            return pathlib.Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + seconds
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    still = alive()
    if still:
        os.kill(pid, signal.SIGKILL)
    return still
