"""Credentials out of URLs in log lines, for Growth Manager and the platform sandbox alike.

Access logs print each request's full path with its query string, and OAuth and the Graph API
put secrets there: the authorization ``code`` and ``state`` on a callback, ``client_secret``,
``fb_exchange_token`` and ``access_token`` on Graph calls. :func:`redact_query` replaces the
value of every such query parameter, wherever a URL appears in a line.

This is its own top-level package, beside ``growth_manager`` and ``platform_sandbox`` in the same
distribution, because neither product may import the other: the sandbox stands in for
platforms and must not know Growth Manager's code, and Growth Manager only ever sees the
sandbox's URLs. It depends on nothing but the standard library, so both can use it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Query parameters whose values are credentials or single-use proofs, on any platform. Names
# match whole and case-insensitively: ``code`` is redacted, ``error_code`` and ``country_code``
# are not.
SECRET_QUERY_PARAMETERS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "input_token",
        "fb_exchange_token",
        "client_secret",
        "app_secret",
        "appsecret_proof",
        "code",
        "state",
        "code_verifier",
        "password",
        "passwd",
        "secret",
        "api_key",
        "apikey",
        "oauth_token",
        "oauth_verifier",
        "assertion",
        "client_assertion",
        "signature",
    }
)

_NAMES = "|".join(sorted(map(re.escape, SECRET_QUERY_PARAMETERS), key=len, reverse=True))
# A parameter starts after ``?``, ``&`` or ``;``, or their percent-encoded forms when a URL sits
# inside another URL's query (``redirect_uri=…%3Fcode%3D…``). Its value runs to the next
# separator, plain or encoded, or to the end of the URL.
_PARAMETER = re.compile(
    rf"(?i)((?:[?&;]|%3F|%26)(?:{_NAMES})(?:=|%3D))((?:[^&;#\s\"'<>%]|%(?!26|3B))*)"
)


def redact_query(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced by ``[redacted]``."""
    if "=" not in text and "%3" not in text.upper():
        return text
    return _PARAMETER.sub(lambda m: m.group(1) + REDACTED if m.group(2) else m.group(0), text)


def _redact_argument(value: Any) -> Any:
    return redact_query(value) if isinstance(value, str) else value


class RedactQueryFilter(logging.Filter):
    """A logging filter that applies :func:`redact_query` to a record's message and arguments,
    for handlers whose formatter is not ours (uvicorn's access and error logs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_argument(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_argument(arg) for key, arg in record.args.items()}
        return True
