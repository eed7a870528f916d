"""``/health``: 200 when database and broker answer, 503 naming the one that doesn't."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.config import Settings


def _health(settings: Settings, **overrides: Any) -> tuple[int, dict[str, Any]]:
    from growth_manager.app import create_app

    app = create_app(settings.model_copy(update=overrides))
    with TestClient(app) as client:
        response = client.get("/health")
    app.state.database.dispose()
    body: dict[str, Any] = response.json()
    return response.status_code, body


@pytest.fixture
def healthy(settings: Settings, tmp_path: Path) -> Settings:
    # The test database, and an embedded broker file of this test's own.
    return settings.model_copy(
        update={"broker_url": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"}
    )


@pytest.mark.usefixtures("database")
def test_healthy_answers_200_with_both_checks(healthy: Settings) -> None:
    status, body = _health(healthy)
    assert status == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.usefixtures("database")
def test_healthy_with_redis_broker(healthy: Settings) -> None:
    status, body = _health(healthy, broker_url="redis://127.0.0.1:6379/13")
    assert status == 200, body


@pytest.mark.parametrize(
    "database_url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing",  # nothing listens on port 1
        "sqlite:////nonexistent-directory/growth.sqlite3",
    ],
    ids=["closed-port", "bad-path"],
)
def test_database_down_answers_503_naming_it(healthy: Settings, database_url: str) -> None:
    status, body = _health(healthy, database_url=database_url)
    assert status == 503, body
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.parametrize(
    "broker_url",
    ["redis://127.0.0.1:1/0", "sqla+sqlite:////nonexistent-directory/broker.sqlite3"],
    ids=["redis-closed-port", "sqlite-bad-path"],
)
@pytest.mark.usefixtures("database")
def test_broker_down_answers_503_naming_it(healthy: Settings, broker_url: str) -> None:
    status, body = _health(healthy, broker_url=broker_url)
    assert status == 503, body
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
