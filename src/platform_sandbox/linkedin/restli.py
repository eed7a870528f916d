"""Rest.li 2.0 query syntax: ``List(a,b)``, records ``(k:v,k2:(k3:v3))`` and URL-encoded URNs.

Under protocol 2.0.0 the reserved characters ``(),:`` inside a value are percent-encoded by the
client (``urn%3Ali%3Ashare%3A1``) while the structural ones are literal, so the raw query string
has to be parsed before percent-decoding, which is why handlers pass ``request.url.query``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, unquote_plus

RestliValue = str | list[Any] | dict[str, Any]


class RestliSyntaxError(ValueError):
    pass


def raw_query_params(query: str) -> dict[str, list[str]]:
    """Query parameters with their values still percent-encoded (keys decoded)."""
    out: dict[str, list[str]] = {}
    for part in query.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        out.setdefault(unquote_plus(key), []).append(value)
    return out


def parse(raw: str) -> RestliValue:
    """Parse one encoded Rest.li value; leaf strings come back percent-decoded."""
    value, pos = _parse_value(raw, 0)
    if pos != len(raw):
        raise RestliSyntaxError(f"unexpected {raw[pos]!r} at {pos} in {raw!r}")
    return value


def _parse_value(raw: str, pos: int) -> tuple[RestliValue, int]:
    if raw.startswith("List(", pos):
        return _parse_list(raw, pos + 5)
    if raw.startswith("(", pos):
        return _parse_record(raw, pos + 1)
    end = pos
    while end < len(raw) and raw[end] not in ",)":
        if raw[end] in "(:":
            raise RestliSyntaxError(f"unexpected {raw[end]!r} at {end} in {raw!r}")
        end += 1
    return unquote(raw[pos:end]), end


def _parse_list(raw: str, pos: int) -> tuple[RestliValue, int]:
    items: list[Any] = []
    if raw.startswith(")", pos):
        return items, pos + 1
    while True:
        item, pos = _parse_value(raw, pos)
        items.append(item)
        if pos >= len(raw):
            raise RestliSyntaxError(f"unterminated List in {raw!r}")
        if raw[pos] == ")":
            return items, pos + 1
        if raw[pos] != ",":
            raise RestliSyntaxError(f"expected ',' at {pos} in {raw!r}")
        pos += 1


def _parse_record(raw: str, pos: int) -> tuple[RestliValue, int]:
    record: dict[str, Any] = {}
    if raw.startswith(")", pos):
        return record, pos + 1
    while True:
        colon = raw.find(":", pos)
        if colon < 0:
            raise RestliSyntaxError(f"expected ':' after {pos} in {raw!r}")
        key = unquote(raw[pos:colon])
        value, pos = _parse_value(raw, colon + 1)
        record[key] = value
        if pos >= len(raw):
            raise RestliSyntaxError(f"unterminated record in {raw!r}")
        if raw[pos] == ")":
            return record, pos + 1
        if raw[pos] != ",":
            raise RestliSyntaxError(f"expected ',' at {pos} in {raw!r}")
        pos += 1


def parse_urn_list(raw: str) -> list[str]:
    value = parse(raw)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RestliSyntaxError(f"expected List(urn,...) in {raw!r}")
    return list(value)
