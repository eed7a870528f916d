"""structlog JSON logging with request/task ids and redaction of secrets.

Every log line goes through :func:`redact`, which replaces the value of any key that looks like
a credential and scrubs bearer tokens, ``access_token=`` style pairs and secret query parameters
(``code``, ``state``… see :mod:`log_redaction`) out of free text, so a token can't reach the logs
even through a library's message or uvicorn's access log, whose lines go through this formatter.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from log_redaction import redact_query

SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|password|passwd|authorization|cookie|api[_-]?key|code_verifier|"
    r"client_secret|fernet|session|csrf)",
    re.IGNORECASE,
)
# Keys whose names contain a secret-ish word but whose values are safe and useful to log.
SAFE_KEYS = {"token_id", "token_type", "expires_in", "session_id_hash", "tokens_refreshed"}
TEXT_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/=%]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|password|"
        r"input_token|fb_exchange_token|oauth_token)[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"
    ),
]
REDACTED = "[redacted]"


def redact_text(text: str) -> str:
    # Query strings first (uvicorn's access lines: an OAuth callback's code and state), then
    # credentials written as key=value or Bearer anywhere else.
    text = redact_query(text)
    for pattern in TEXT_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if key not in SAFE_KEYS and SECRET_KEY_PATTERN.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {str(k): _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value("", v) for v in value]
    return value


def redact(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    return {key: _redact_value(key, value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).handlers[:] = []
        logging.getLogger(noisy).propagate = True
    # httpx2 logs full request URLs at INFO, which can carry codes and tokens in query strings.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpcore2").setLevel(logging.WARNING)
