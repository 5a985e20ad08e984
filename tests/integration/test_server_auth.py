"""A real Prefect server with `PREFECT_SERVER_API_AUTH_STRING` set refuses anonymous calls."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

from deployments.serve import PrefectServer, ServeError

AUTH = ("officer", "correct-horse-battery-staple")


def free_port() -> int:
    """A TCP port nobody is listening on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One Prefect server for the module, on a free loopback port, with basic auth on.

    `prefect server start` takes a port, not a socket, so the port is free only when
    chosen: another process may take it before the server binds. Then the server exits
    (or something else answers) and another port is tried, up to three."""
    home: Path = tmp_path_factory.mktemp("prefect-home")
    env = {"PREFECT_SERVER_API_AUTH_STRING": ":".join(AUTH)}
    for attempt in range(3):
        srv = PrefectServer("127.0.0.1", free_port(), home / str(attempt), env=env)
        try:
            srv.start()
        except ServeError as exc:
            srv.stop()
            # "Port N is already in use", or another server answering on it.
            clash = "already in use" in str(exc) or "already answers" in str(exc)
            if attempt == 2 or not clash:
                raise
            continue
        try:
            yield srv
        finally:
            srv.stop()
        return


def test_an_unauthenticated_api_request_is_refused(server: PrefectServer) -> None:
    response = httpx.post(f"{server.api_url}/flows/filter", json={})
    assert response.status_code == 401


def test_a_request_with_the_wrong_password_is_refused(server: PrefectServer) -> None:
    response = httpx.post(f"{server.api_url}/flows/filter", json={}, auth=(AUTH[0], "guess"))
    assert response.status_code == 401


def test_an_authenticated_api_request_succeeds(server: PrefectServer) -> None:
    response = httpx.post(f"{server.api_url}/flows/filter", json={}, auth=AUTH)
    assert response.status_code == 200
    assert response.json() == []


def test_the_health_probe_stays_open_without_credentials(server: PrefectServer) -> None:
    # Prefect 3.8.8 exempts GET /api/health and /api/ready from basic auth (for load
    # balancers); it reveals nothing, but the proxy in front must not rely on it for auth.
    assert httpx.get(f"{server.api_url}/health").status_code == 200


def test_the_prefect_client_authenticates_with_prefect_api_auth_string(
    server: PrefectServer,
) -> None:
    async def count_flows() -> int:
        async with get_client() as client:
            return len(await client.read_flows())

    updates = {PREFECT_API_URL: server.api_url, PREFECT_API_AUTH_STRING: ":".join(AUTH)}
    with temporary_settings(updates=updates):
        assert asyncio.run(count_flows()) == 0
