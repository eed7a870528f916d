"""``log_redaction``: secret query parameters out of log lines, for both processes."""

from __future__ import annotations

import io
import logging

import pytest

from log_redaction import REDACTED, SECRET_QUERY_PARAMETERS, RedactQueryFilter, redact_query


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '127.0.0.1:5 - "GET /api/v1/oauth/x/callback?state=s-1_2&code=AbC.9~x HTTP/1.1" 303',
            '127.0.0.1:5 - "GET /api/v1/oauth/x/callback?state=[redacted]&code=[redacted] '
            'HTTP/1.1" 303',
        ),
        (
            "/v23.0/oauth/access_token?client_id=1&client_secret=s3&grant_type=fb_exchange_token"
            "&fb_exchange_token=EAAB",
            "/v23.0/oauth/access_token?client_id=1&client_secret=[redacted]"
            "&grant_type=fb_exchange_token&fb_exchange_token=[redacted]",
        ),
        (
            "/debug_token?input_token=EAAx;appsecret_proof=ab12&ACCESS_TOKEN=EAAy#frag",
            "/debug_token?input_token=[redacted];appsecret_proof=[redacted]"
            "&ACCESS_TOKEN=[redacted]#frag",
        ),
        # A URL inside another URL's query, percent-encoded.
        (
            "/login?next=%2Fcb%3Fcode%3Dc0de%26state%3Dst4te%26page%3D2",
            "/login?next=%2Fcb%3Fcode%3D[redacted]%26state%3D[redacted]%26page%3D2",
        ),
        # Names that merely end like a secret one are left alone, as is text outside a query.
        (
            "/x?error_code=190&country_code=de&status=ok code=1 state=2",
            "/x?error_code=190&country_code=de&status=ok code=1 state=2",
        ),
        ("/x?code=&fields=id", "/x?code=&fields=id"),
    ],
)
def test_redact_query(line: str, expected: str) -> None:
    assert redact_query(line) == expected


def test_every_parameter_named_in_the_hardening_review_is_covered() -> None:
    named = {
        "access_token",
        "client_secret",
        "code",
        "state",
        "fb_exchange_token",
        "input_token",
        "refresh_token",
        "code_verifier",
        "password",
        "appsecret_proof",
    }
    assert named <= SECRET_QUERY_PARAMETERS
    for name in named:
        assert redact_query(f"/p?a=1&{name}=VALUE-123") == f"/p?a=1&{name}={REDACTED}"


def test_the_filter_redacts_uvicorn_style_access_records() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactQueryFilter())
    logger = logging.getLogger("tests.log_redaction.access")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:1",
            "GET",
            "/me?access_token=EAAsecret",
            "1.1",
            200,
        )
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == '127.0.0.1:1 - "GET /me?access_token=[redacted] HTTP/1.1" 200\n'
