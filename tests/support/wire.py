"""A transport that records every request a provider sends, as sent: for tests that count a
read's requests or inspect what was asked for."""

from __future__ import annotations

from urllib.parse import unquote

import httpx2


class RecordingTransport(httpx2.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx2.Request] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return super().handle_request(request)

    @property
    def urls(self) -> list[str]:
        """Each request's URL, percent-decoded."""
        return [unquote(str(request.url)) for request in self.requests]

    @property
    def sent(self) -> list[str]:
        """Each request's decoded URL followed by its body (form posts carry their query)."""
        return [
            unquote(str(r.url)) + unquote(r.content.decode(errors="replace")) for r in self.requests
        ]
