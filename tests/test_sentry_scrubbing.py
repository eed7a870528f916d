"""Sentry events carry no credentials from URLs: the real SDK, a transport that keeps events."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from growth_manager.observability import init_sentry


class KeepingTransport(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.events.append(item.payload.json)


@pytest.fixture
def transport() -> Iterator[KeepingTransport]:
    keeping = KeepingTransport()
    init_sentry("http://public@127.0.0.1:9/1", "test", transport=keeping)
    yield keeping
    sentry_sdk.init(dsn=None)  # later tests run without Sentry


def test_an_error_in_an_oauth_callback_reaches_sentry_without_code_or_state(
    transport: KeepingTransport,
) -> None:
    # Made at run time: the event's stack trace quotes this file's source lines.
    code, state, token = (secrets.token_urlsafe(12) for _ in range(3))
    app = FastAPI()

    @app.get("/api/v1/oauth/x/callback")
    def callback() -> None:
        sentry_sdk.add_breadcrumb(
            category="httplib",
            data={"url": f"https://graph.facebook.com/v23.0/me?access_token={token}"},
        )
        raise RuntimeError("exchange failed")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/oauth/x/callback", params={"code": code, "state": state})
    assert response.status_code == 500
    sentry_sdk.flush()
    assert len(transport.events) == 1
    event = json.dumps(transport.events[0])
    assert "exchange failed" in event  # the event itself arrived
    request = transport.events[0]["request"]
    assert request["query_string"] == "code=[redacted]&state=[redacted]"
    for secret in (code, state, token):
        assert secret not in event
