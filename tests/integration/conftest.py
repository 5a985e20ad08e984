"""Fixtures shared by the portal's integration tests (a real app over a real database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.portal_support import BASE, DURING_CYCLE, Portal, build_portal
from trustcycle.calendar.clock import use_clock
from trustcycle.db import Database


@pytest.fixture
def portal(database: Database, tmp_path: Path) -> Iterator[Portal]:
    with use_clock(DURING_CYCLE):
        yield build_portal(database, tmp_path)


@pytest.fixture
def client(portal: Portal) -> TestClient:
    return TestClient(portal.app, base_url=BASE)
