"""Fixtures of the job tests: a client that lets the worker write between requests."""

from __future__ import annotations

import pytest

from tests.support.apps import ClosingClient
from tourplanner.extensions import db


class ReleasingClient(ClosingClient):
    """A test client that ends the shared session's transaction after each request.

    The test's app context is shared with the requests, so a read would otherwise keep SQLite's
    write lock (every transaction begins IMMEDIATE) while the worker waits for it.
    """

    def open(self, *args, **kwargs):
        try:
            return super().open(*args, **kwargs)
        finally:
            db.session.rollback()


@pytest.fixture
def client(app):
    """In jobs/, every test client (the coordinator's too) is a ReleasingClient."""
    app.test_client_class = ReleasingClient
    return app.test_client()
