"""Fixtures of the intake tests."""

from __future__ import annotations

import pytest

from tests.support.intake import season_start


@pytest.fixture
def season(make_season):
    """In intake/, `season` is the one open for requests: it starts three weeks from today."""
    return make_season(name="spring", start_date=season_start())
