"""What the Graph handlers share: versions, ids, time format, field-expansion syntax, cursor
paging, access tokens and the usage accounting behind ``X-App-Usage`` /
``X-Business-Use-Case-Usage`` and the throttling codes."""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.apps import SbApp, get_app
from platform_sandbox.meta import errors
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.models import (
    MetaGrant,
    MetaIgAccount,
    MetaPage,
    MetaSequence,
    MetaToken,
    MetaUser,
)
from platform_sandbox.platform import SandboxContext
from platform_sandbox.ratelimit import Quota, limiter

PLATFORM_NAME = "meta"

SHORT_LIVED_TTL = timedelta(hours=1, minutes=30)
LONG_LIVED_TTL = timedelta(days=60)
AUTH_CODE_TTL = timedelta(minutes=10)
DATA_ACCESS_TTL = timedelta(days=90)

# --- versions (C.1) ----------------------------------------------------------------------------

# version -> (released, expires); None: no announced end of life.
VERSIONS: dict[str, tuple[date, date | None]] = {
    "v18.0": (date(2023, 9, 12), date(2026, 1, 26)),
    "v19.0": (date(2024, 1, 23), date(2026, 5, 21)),
    "v20.0": (date(2024, 5, 21), date(2026, 9, 24)),
    "v21.0": (date(2024, 10, 2), date(2027, 1, 21)),
    "v22.0": (date(2025, 1, 21), date(2027, 5, 20)),
    "v23.0": (date(2025, 5, 29), date(2027, 10, 8)),
    "v24.0": (date(2025, 10, 8), None),
    "v25.0": (date(2026, 2, 18), None),
    "v26.0": (date(2026, 7, 29), None),
}
VERSION_RE = re.compile(r"^v\d+\.\d+$")


def version_number(version: str) -> int:
    return int(version[1:].split(".", maxsplit=1)[0])


def live_versions(now: datetime) -> list[str]:
    today = now.date()
    return [v for v, (_, end) in VERSIONS.items() if end is None or today < end]


def serving_version(requested: str | None, now: datetime) -> str:
    """The version that answers: expired versions (and unversioned calls) are served by the
    oldest live version, as Meta does; unknown ones are the caller's problem."""
    live = live_versions(now) or [max(VERSIONS, key=version_number)]
    if requested is None or requested not in live:
        return live[0]
    return requested


def looks_like_version(segment: str) -> bool:
    return bool(re.match(r"^v\d", segment))


# --- ids, tokens, time -------------------------------------------------------------------------

_TOKEN_ALPHABET = string.ascii_letters + string.digits


def random_token(prefix: str = "EAA", length: int = 190) -> str:
    return prefix + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length - len(prefix)))


def next_sequence(session: Session, name: str) -> int:
    row = session.get(MetaSequence, name)
    if row is None:
        row = MetaSequence(name=name, value=1)
        session.add(row)
    else:
        row.value += 1
    session.flush()
    return row.value


# Number spaces shaped like Meta's: 16-digit Page objects, 17-digit Instagram objects.
OBJECT_BASE = 1_220_000_000_000_000
COMMENT_BASE = 1_300_000_000_000_000
CONTAINER_BASE = 17_900_000_000_000_000
IG_MEDIA_BASE = 18_030_000_000_000_000
IG_COMMENT_BASE = 17_950_000_000_000_000


def new_object_id(session: Session) -> str:
    return str(OBJECT_BASE + next_sequence(session, "object"))


def new_comment_id(session: Session) -> str:
    return str(COMMENT_BASE + next_sequence(session, "comment"))


def new_container_id(session: Session) -> str:
    return str(CONTAINER_BASE + next_sequence(session, "container"))


def new_ig_media_id(session: Session) -> str:
    return str(IG_MEDIA_BASE + next_sequence(session, "ig_media"))


def graph_time(when: datetime) -> str:
    """Graph's timestamp format: ``2026-11-20T08:00:00+0000``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(raw: str) -> datetime | None:
    """``since``/``until``/``scheduled_publish_time``: unix seconds or ISO 8601 / a date."""
    raw = raw.strip()
    if not raw:
        return None
    if raw.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(raw), tz=UTC)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def hashtags(text: str) -> int:
    return len(re.findall(r"(?:^|\s)#\w+", text))


def profile_of_page(ctx: SandboxContext, page_id: str) -> audience.AudienceProfile:
    return audience.profile_for(ctx.seed, f"facebook:{page_id}")


def profile_of_ig(ctx: SandboxContext, ig_id: str) -> audience.AudienceProfile:
    return audience.profile_for(ctx.seed, f"instagram:{ig_id}")


def truthy(raw: Any) -> bool:
    return str(raw).strip().lower() in {"1", "true", "yes", "on"}


# --- field expansion (``fields=a,b{c,d},e.limit(0).summary(true)``) ----------------------------


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None

    def modifier(self, name: str, default: str | None = None) -> str | None:
        return self.modifiers.get(name, default)


class _FieldParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, expected: str) -> GraphError:
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        return GraphError(
            f'Syntax error "Expected {expected} instead of "{found}"." at character {self.pos}: '
            f"{self.text}",
            2500,
        )

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def name(self) -> str:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_:"
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail("field name")
        return self.text[start : self.pos]

    def field_list(self, closing: str | None) -> list[FieldSpec]:
        specs: list[FieldSpec] = []
        while True:
            self.skip_space()
            if closing and self.pos < len(self.text) and self.text[self.pos] == closing:
                break
            specs.append(self.one_field())
            self.skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
                continue
            break
        if closing:
            if self.pos >= len(self.text) or self.text[self.pos] != closing:
                raise self.fail(f'"{closing}"')
            self.pos += 1
        elif self.pos < len(self.text):
            raise self.fail("end of string")
        return specs

    def one_field(self) -> FieldSpec:
        spec = FieldSpec(self.name())
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == ".":
                self.pos += 1
                modifier = self.name()
                if self.pos >= len(self.text) or self.text[self.pos] != "(":
                    raise self.fail('"("')
                end = self.text.find(")", self.pos)
                if end < 0:
                    raise self.fail('")"')
                spec.modifiers[modifier] = self.text[self.pos + 1 : end].strip()
                self.pos = end + 1
            elif char == "{":
                self.pos += 1
                spec.children = self.field_list("}")
            else:
                break
        return spec


def fields_text(specs: list[FieldSpec]) -> str:
    """``specs`` written back in Graph's field syntax (what ``parse_fields`` reads)."""
    parts = []
    for spec in specs:
        text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers.items())
        if spec.children is not None:
            text += "{" + fields_text(spec.children) + "}"
        parts.append(text)
    return ",".join(parts)


def parse_fields(text: str | None) -> list[FieldSpec] | None:
    if text is None or not text.strip():
        return None
    return _FieldParser(text).field_list(None)


# --- cursor paging -------------------------------------------------------------------------------


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def offset_of(raw: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    if not text.startswith("offset:") or not text[7:].isdigit():
        return None
    return int(text[7:])


@dataclass
class Paged:
    items: list[Any]
    paging: dict[str, Any] | None


def paginate(
    items: list[Any],
    params: dict[str, Any],
    link: str | None,
    default_limit: int = 25,
    max_limit: int = 100,
) -> Paged:
    """Slice ``items`` by ``limit``/``after``/``before`` and build Graph's ``paging`` object.

    ``link`` is the request's own URL without paging parameters; ``next``/``previous`` are
    that URL plus a cursor, so a client can follow them verbatim.
    """
    raw_limit = str(params.get("limit", default_limit))
    limit = int(raw_limit) if raw_limit.isdigit() else default_limit
    limit = max(0, min(limit, max_limit))
    start = 0
    if params.get("after"):
        after = offset_of(str(params["after"]))
        if after is None:
            raise errors.invalid_parameter("The after cursor is not valid")
        start = after + 1
    elif params.get("before"):
        before = offset_of(str(params["before"]))
        if before is None:
            raise errors.invalid_parameter("The before cursor is not valid")
        start = max(0, before - limit)
    chunk = items[start : start + limit]
    if not chunk:
        return Paged([], None)
    first, last = start, start + len(chunk) - 1
    paging: dict[str, Any] = {"cursors": {"before": cursor(first), "after": cursor(last)}}
    if link is not None:
        joiner = "&" if "?" in link else "?"
        if last + 1 < len(items):
            paging["next"] = f"{link}{joiner}{urlencode({'limit': limit, 'after': cursor(last)})}"
        if first > 0:
            paging["previous"] = (
                f"{link}{joiner}{urlencode({'limit': limit, 'before': cursor(first)})}"
            )
    return Paged(chunk, paging)


# --- callers -------------------------------------------------------------------------------------


@dataclass
class Caller:
    kind: str  # "user" | "page" | "app"
    app: SbApp
    token: MetaToken | None = None
    user: MetaUser | None = None
    page: MetaPage | None = None
    grant: MetaGrant | None = None

    @property
    def scopes(self) -> set[str]:
        return set(self.grant.scopes) if self.grant else set()

    @property
    def granted_page_ids(self) -> list[str]:
        if self.kind == "page" and self.page is not None:
            return [self.page.id]
        return [str(p) for p in self.grant.page_ids] if self.grant else []

    def has(self, *scopes: str) -> bool:
        return all(s in self.scopes for s in scopes)

    def can_see_page(self, page_id: str) -> bool:
        return page_id in self.granted_page_ids

    def can_see_ig(self, session: Session, ig: MetaIgAccount) -> bool:
        return self.can_see_page(ig.page_id)


def parse_app_token(raw: str) -> tuple[str, str] | None:
    app_id, sep, secret = raw.partition("|")
    return (app_id, secret) if sep and app_id and secret else None


def authenticate(session: Session, ctx: SandboxContext, raw: str | None) -> Caller:
    if not raw:
        raise errors.token_required()
    app_token = parse_app_token(raw)
    if app_token is not None:
        app = get_app(session, PLATFORM_NAME, app_token[0])
        if app is None or app.client_secret != app_token[1]:
            raise GraphError("Invalid OAuth access token signature.", 190)
        return Caller(kind="app", app=app)
    token = session.get(MetaToken, raw)
    if token is None:
        raise errors.token_unparseable()
    app = get_app(session, PLATFORM_NAME, token.app_id)
    user = session.get(MetaUser, token.user_id)
    grant = session.get(MetaGrant, (token.user_id, token.app_id))
    if app is None or user is None or grant is None:
        raise errors.token_unparseable()
    check_token_alive(ctx, token, grant)
    page = session.get(MetaPage, token.page_id) if token.page_id else None
    if token.kind == "page" and (page is None or page.id not in [str(p) for p in grant.page_ids]):
        raise errors.token_logged_out()
    return Caller(kind=token.kind, app=app, token=token, user=user, page=page, grant=grant)


def session_invalidations(ctx: SandboxContext) -> dict[str, Any]:
    """``{"sessions": {user-id: 460|467}}`` in the overrides: every token of that user fails,
    as after a password change (460) or a log-out (467)."""
    found: dict[str, Any] = ctx.overrides.get(PLATFORM_NAME, {}).get("sessions", {})
    return found


def check_token_alive(ctx: SandboxContext, token: MetaToken, grant: MetaGrant) -> None:
    """Raises the 190 error that matches why a token no longer works."""
    if grant.revoked:
        raise errors.app_not_authorized(token.app_id)
    invalidated = session_invalidations(ctx).get(token.user_id)
    if invalidated is not None:
        raise (
            errors.token_password_changed()
            if int(invalidated) == 460
            else errors.token_logged_out()
        )
    now = ctx.clock.now()
    if token.expires_at is not None and token.expires_at <= now:
        raise errors.token_expired(token.expires_at, now)


def token_problem(
    ctx: SandboxContext, token: MetaToken, grant: MetaGrant | None
) -> GraphError | None:
    if grant is None:
        return errors.token_unparseable()
    try:
        check_token_alive(ctx, token, grant)
    except GraphError as exc:
        return exc
    return None


# --- usage accounting and throttling (C.7) -----------------------------------------------------

# kind -> (window seconds, default limit). Defaults are generous: the real quotas scale with
# daily active users and engaged accounts; tests lower them through the overrides.
QUOTAS: dict[str, tuple[int, int]] = {
    "app": (3600, 20_000),
    "user": (3600, 4_800),
    "page": (86_400, 100_000),  # Pages BUC with page tokens: 80001
    "page_user": (3600, 4_800),  # Pages API with a user or app token: 32
    "instagram": (86_400, 100_000),  # Instagram BUC: 80002
}


def _limit_for(ctx: SandboxContext, kind: str) -> int:
    overrides: dict[str, Any] = ctx.overrides.get(PLATFORM_NAME, {}).get("rate_limits", {})
    return int(overrides.get(kind, QUOTAS[kind][1]))


@dataclass(frozen=True)
class Target:
    """A business object a call touches: ``("pages", page-id)`` or ``("instagram", ig-id)``."""

    type: str
    id: str


def _percent(limit: int, remaining: int) -> int:
    return min(100, round(100 * (limit - remaining) / max(limit, 1)))


def account_call(
    ctx: SandboxContext, caller: Caller | None, targets: list[Target]
) -> dict[str, str]:
    """Count one call; returns the usage headers, or raises the throttling error (with them)."""
    now = ctx.clock.timestamp()
    quotas: list[tuple[str, str, Quota]] = []

    def add(kind: str, subject: str, label: str) -> None:
        window, _ = QUOTAS[kind]
        quotas.append((kind, label, Quota(("meta", kind, subject), _limit_for(ctx, kind), window)))

    if caller is not None and caller.kind in ("user", "app"):
        add("app", caller.app.client_id, "")
        if caller.user is not None:
            add("user", caller.user.id, "")
    for target in dict.fromkeys(targets):
        if target.type == "instagram":
            add("instagram", target.id, target.id)
        elif caller is not None and caller.kind == "page":
            add("page", target.id, target.id)
        else:
            add("page_user", target.id, "")
    if not quotas:
        return {}
    allowed, states = limiter(ctx).hit_all([q for _, _, q in quotas], now)
    headers: dict[str, str] = {}
    app_percent: int | None = None
    buc: dict[str, list[dict[str, Any]]] = {}
    for (kind, label, quota), state in zip(quotas, states, strict=True):
        percent = _percent(quota.limit, state.remaining)
        if kind in ("app", "user", "page_user"):
            app_percent = max(app_percent or 0, percent)
        else:
            regain = max(0, state.reset - now) if state.exhausted else 0
            buc.setdefault(label, []).append(
                {
                    "type": "instagram" if kind == "instagram" else "pages",
                    "call_count": percent,
                    "total_cputime": percent // 4,
                    "total_time": percent // 3,
                    "estimated_time_to_regain_access": (regain + 59) // 60,
                }
            )
    if app_percent is not None:
        headers["X-App-Usage"] = json.dumps(
            {
                "call_count": app_percent,
                "total_cputime": app_percent // 4,
                "total_time": app_percent // 3,
            },
            separators=(",", ":"),
        )
    if buc:
        headers["X-Business-Use-Case-Usage"] = json.dumps(buc, separators=(",", ":"))
    if not allowed:
        for (kind, _, _), state in zip(quotas, states, strict=True):
            if state.exhausted:
                error = {
                    "app": errors.app_limit,
                    "user": errors.user_limit,
                    "page_user": errors.page_limit,
                    "page": errors.page_buc_limit,
                    "instagram": errors.instagram_buc_limit,
                }[kind]()
                error.headers.update(headers)
                raise error
    return headers
