"""Real X API interactions recorded by the tweepy project (../shared/recorded/x-tweepy)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
RECORDINGS_DIR = SHARED / "recorded" / "x-tweepy"


@dataclass
class Interaction:
    cassette: str
    method: str
    uri: str
    request_headers: dict[str, list[str]]
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any


def _decode(body: Any) -> bytes:
    """Sync-client cassettes hold gzip bytes (``!!binary``); async ones hold plain text even
    where the recorded headers still say gzip."""
    if body is None:
        return b""
    raw = body if isinstance(body, bytes) else str(body).encode()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw


def load_interactions() -> list[Interaction]:
    interactions: list[Interaction] = []
    for path in sorted(RECORDINGS_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        for item in data["interactions"]:
            req, res = item["request"], item["response"]
            headers = {k.lower(): v[0] for k, v in res["headers"].items()}
            raw = _decode(res["body"].get("string"))
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            interactions.append(
                Interaction(
                    cassette=path.name,
                    method=req["method"],
                    uri=req["uri"],
                    request_headers=req.get("headers") or {},
                    request_body=req.get("body"),
                    status=res["status"]["code"],
                    headers=headers,
                    body=body,
                )
            )
    return interactions
