"""Replay the real X requests recorded by tweepy (shared/recorded/x-tweepy) against the sandbox.

Each request is sent as recorded (method, path, query, body, content type) with only the host
changed to the sandbox and ids the sandbox does not know mapped to ones it does. The sandbox
must answer with the recorded status, the same rate-limit headers (limits set to the recorded
tier through the control plane) and location header, and a body of the same shape: the same
field names with values of the same JSON types, recursively.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from platform_sandbox.x.limits import RECORDED_LIMITS
from tests.sandbox.x.conftest import BAKERY_ID, XClient

RECORDINGS = Path(os.environ.get("X_RECORDINGS_DIR", "/work/shared/recorded/x-tweepy"))
CASSETTES = sorted(RECORDINGS.glob("*.yaml")) if RECORDINGS.is_dir() else []
RECORDED_USER = "783214"


def shape(value: Any) -> Any:
    """Field names and JSON types; a list is described by its first element."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def _body(raw: Any) -> Any:
    text = raw.get("string") if isinstance(raw, dict) else raw
    if isinstance(text, bytes):
        text = gzip.decompress(text).decode() if text[:2] == b"\x1f\x8b" else text.decode()
    return json.loads(text) if text else None


def _header(headers: dict[str, list[str]], name: str) -> str | None:
    for key, values in headers.items():
        if key.lower() == name:
            return values[0]
    return None


class Replayer:
    def __init__(self, x: XClient) -> None:
        self.x = x
        timeline = x.http.get(
            f"/api.x.com/2/users/{BAKERY_ID}/tweets", params={"max_results": 5}, headers=x.auth()
        ).json()["data"]
        self.known_tweets = [t["id"] for t in timeline]
        self.ids: dict[str, str] = {RECORDED_USER: BAKERY_ID}

    def map_id(self, recorded: str) -> str:
        if recorded not in self.ids:
            self.ids[recorded] = self.known_tweets[len(self.ids) % len(self.known_tweets)]
        return self.ids[recorded]

    def path(self, uri: str) -> tuple[str, str]:
        parts = urlsplit(uri)
        path = re.sub(r"/(\d{5,19})(?=/|$)", lambda m: "/" + self.map_id(m.group(1)), parts.path)
        query = re.sub(
            r"\d{5,19}", lambda m: self.map_id(m.group(0)), parts.query.replace("%2C", ",")
        )
        return f"/{parts.hostname}{path}", query


@pytest.mark.skipif(not CASSETTES, reason="recordings not available")
@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: p.stem)
def test_recorded_requests_replay_with_the_same_contract(x: XClient, cassette: Path) -> None:
    limits = {"rate_limits": RECORDED_LIMITS}
    assert (
        x.http.post("/_sandbox/ratelimits", json={"platform": "x", "limits": limits}).status_code
        == 200
    )
    if "search" in cassette.stem:
        for index in range(11):  # enough matches for a full first page and a next_token
            x.http.post(
                "/api.x.com/2/tweets", json={"text": f"post {index} about tweepy"}, headers=x.auth()
            )
    replay = Replayer(x)
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    for interaction in interactions:
        request, recorded = interaction["request"], interaction["response"]
        path, query = replay.path(request["uri"])
        headers = dict(x.auth())
        content_type = _header(request["headers"], "content-type")
        body = request["body"]
        if isinstance(body, dict):
            body = json.dumps(body)
        if content_type:
            headers["Content-Type"] = content_type
        response = x.http.request(
            request["method"], path + (f"?{query}" if query else ""), content=body, headers=headers
        )
        where = f"{cassette.stem}: {request['method']} {path}"
        assert response.status_code == recorded["status"]["code"], f"{where}: {response.text}"

        limit = _header(recorded["headers"], "x-rate-limit-limit")
        assert limit is not None
        assert response.headers["x-rate-limit-limit"] == limit, where
        remaining = int(response.headers["x-rate-limit-remaining"])
        assert 0 <= remaining < int(limit), where
        reset = int(response.headers["x-rate-limit-reset"])
        assert 0 < reset - x.sandbox.ctx.clock.timestamp() <= 900, where

        recorded_location = _header(recorded["headers"], "location")
        if recorded_location is None:
            assert "location" not in response.headers, where
        else:
            expected = re.sub(r"^https://", f"{x.sandbox.url}/", recorded_location)
            expected = re.sub(r"\d+$", "", expected)
            assert re.fullmatch(re.escape(expected) + r"\d{1,19}", response.headers["location"]), (
                where
            )

        recorded_type = (_header(recorded["headers"], "content-type") or "").split(";")[0]
        assert response.headers["content-type"].split(";")[0] == recorded_type, where
        recorded_body = _body(recorded["body"])
        assert shape(response.json()) == shape(recorded_body), where
        if request["method"] == "POST" and "/2/tweets" in path:
            # The follow-up DELETE in the recording targets the post just created.
            recorded_id = recorded_body["data"]["id"]
            replay.ids[recorded_id] = response.json()["data"]["id"]
