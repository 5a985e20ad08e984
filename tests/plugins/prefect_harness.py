"""Pytest fixture: one Prefect test harness (a temporary API and database) per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Run the session's flows and tasks against a throwaway Prefect server."""
    # Heartbeats would outlive short test flows and log errors after the server stops.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        # 120 s, not Prefect's 30: on a loaded 2-CPU machine the server's start (its
        # migrations on a fresh SQLite file) has been seen to take longer than 30 s.
        with prefect_test_harness(server_startup_timeout=120):
            yield
