"""Support tests read datetimes in UTC firm time unless a test overrides ``TIME_ZONE``."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _firm_time_zone_utc(settings):
    settings.TIME_ZONE = "UTC"
