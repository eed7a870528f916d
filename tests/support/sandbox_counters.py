"""Counting the requests a sync makes, with the sandbox's own fault book."""

from __future__ import annotations

from typing import Protocol

import httpx2

from tests.support.sandbox import SandboxHandle


class OnSandbox(Protocol):
    @property
    def handle(self) -> SandboxHandle: ...


class Counters:
    """Named request counters on the sandbox: "delay" rules of 0 ms that never run out. The
    sandbox applies the first rule a request matches, so the patterns must not overlap."""

    def __init__(self, platform: OnSandbox, **patterns: str) -> None:
        self.url = platform.handle.url
        self.ids: dict[str, int] = {}
        for name, pattern in patterns.items():
            response = httpx2.post(
                f"{self.url}/_sandbox/faults",
                json={"kind": "delay", "path": pattern, "regex": True, "times": None},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            self.ids[name] = response.json()["id"]

    def hits(self) -> dict[str, int]:
        rules = httpx2.get(f"{self.url}/_sandbox/faults", timeout=10).json()["faults"]
        by_id = {rule["id"]: rule["hits"] for rule in rules}
        return {name: by_id[rule_id] for name, rule_id in self.ids.items()}

    def clear(self) -> None:
        httpx2.delete(f"{self.url}/_sandbox/faults", timeout=10)
