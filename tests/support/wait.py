"""Polling for what another thread, process or browser does, with one deadline and a plain message."""

from __future__ import annotations

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
