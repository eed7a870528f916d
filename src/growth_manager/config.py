"""Settings, read once per process from ``GROWTH_*`` environment variables and ``.env``.

The defaults need nothing: an SQLite database and a separate SQLite broker file under the data
directory, and secrets generated on first run and kept there. Setting ``GROWTH_DATABASE_URL`` to
``postgresql+psycopg://…`` and ``GROWTH_BROKER_URL`` to ``redis://…`` switches to PostgreSQL and
Redis with no other change.
"""

from __future__ import annotations

import base64
import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import structlog
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from growth_manager.kit.crypto import default_keys

log = structlog.get_logger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GROWTH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Where the SQLite files, generated secrets and uploaded media live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: sqlite:///<data_dir>/growth.sqlite3. "
        "PostgreSQL: postgresql+psycopg://user:pass@host/db",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker. Default: sqla+sqlite:///<data_dir>/broker.sqlite3. "
        "Distributed: redis://host:6379/0 (or amqp://…)",
    )
    redis_url: str | None = Field(
        default=None,
        description="Optional Redis for dashboard sessions, OAuth state and rate-limit storage "
        "when distributed.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs sessions and API tokens. Default: generated into <data_dir>/secret_key.",
    )
    # NoDecode: the environment gives a comma-separated string, not JSON (see _split_keys).
    token_encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Fernet keys for tokens at rest, newest first (comma-separated in the "
        "environment). Default: one generated into <data_dir>/token_keys.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The URL people and OAuth redirects use to reach the web process.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web process binds.")
    # NoDecode: a comma-separated string in the environment (see _split_proxies).
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Proxies whose X-Forwarded-For/-Proto are believed (comma-separated IPs "
        "or CIDRs, e.g. 127.0.0.1,10.0.0.0/8). Default: none, so the connecting address counts.",
    )
    port: int = Field(default=8000, description="Port the web process binds.")
    environment: Literal["development", "production", "test"] = Field(
        default="development", description="production turns on Secure cookies."
    )
    log_level: str = Field(default="INFO", description="Root log level.")
    log_json: bool = Field(default=True, description="JSON logs (false: human console logs).")
    sentry_dsn: SecretStr | None = Field(default=None, description="Optional Sentry DSN.")
    rate_limit_storage: str | None = Field(
        default=None,
        description="slowapi storage URI. Default memory:// (or redis_url when set).",
    )
    login_rate_limit: str = Field(
        default="10/minute", description="Limit on login and token endpoints per client address."
    )
    session_max_age_days: int = Field(
        default=14, description="Dashboard session lifetime, from login (server-side sessions)."
    )
    api_token_days: int = Field(default=30, description="Lifetime of API bearer tokens.")
    max_upload_mb_image: int = Field(default=8, description="Largest accepted image upload.")
    max_upload_mb_video: int = Field(default=200, description="Largest accepted video upload.")
    max_image_megapixels: float = Field(
        default=36.0,
        description="Largest accepted image in megapixels (width × height / 1,000,000), checked "
        "from the file header before any pixel is decoded. LinkedIn's limit is about 36.",
    )
    measure_rate_limit: str = Field(
        default="300/minute",
        description="Limit on text measurement requests per user. The editor's live counter "
        "measures after each pause of 180 ms, about 200 times a minute for a steady typist.",
    )
    max_request_body_kb: int = Field(
        default=1024, description="Largest JSON body accepted by the API (uploads excepted)."
    )
    worker_concurrency: int = Field(default=2, description="Celery worker processes.")
    publish_dispatcher: bool = Field(
        default=True,
        description="Run the publishing dispatcher in workers that consume the `publish` queue: "
        "it claims due posts straight from the database the second they are due.",
    )
    publish_threads: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Platform calls a worker's dispatcher makes at once (they wait on the "
        "network, not the CPU).",
    )
    publish_poll_seconds: float = Field(
        default=0.25,
        gt=0,
        le=60,
        description="How often an idle dispatcher looks for due posts (publish-now wakes it at "
        "once through the queue).",
    )
    publish_lease_seconds: int = Field(
        default=120,
        ge=5,
        description="How long a claimed post is held before another worker may take it over "
        "(checking the platform first). Renewed after every completed step.",
    )
    publish_backoff_seconds: list[int] = Field(
        default=[60, 300, 1800],
        description="Waits after the 1st, 2nd, 3rd… failed attempt; after the last, the post "
        "fails and its owner is told.",
    )
    publish_recheck_seconds: int = Field(
        default=15,
        ge=0,
        description="After a platform call whose outcome is unknown, wait this long before "
        "looking for the post on the platform.",
    )
    sync_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        le=60,
        description="`POST /api/v1/analytics/refresh` waits this long for its sync to finish "
        "and answers with the result; a longer sync answers 202 with an id to poll.",
    )
    web_threads: int = Field(
        default=8,
        ge=1,
        le=1000,
        description="Threads a web process runs requests on, and how many requests hold a "
        "database session at a time (the others wait on the event loop, holding nothing); its "
        "database pool has a connection for each, so no request ever waits for a connection "
        "while holding a thread. More threads than cores mostly add contention for Python's "
        "GIL: 8 answered 50 clients with a lower p99 than 40.",
    )
    sandbox_port: int = Field(default=8100, description="Port of the platform sandbox.")
    sandbox_url: str | None = Field(
        default=None,
        description="Base URL of the platform sandbox. Platforms without real credentials are "
        "served by it (set by `growth-manager run`, which starts the sandbox).",
    )
    # Real platform apps. A platform whose credentials are unset is served by the sandbox.
    x_client_id: str | None = Field(default=None, description="X OAuth 2.0 client id.")
    x_client_secret: SecretStr | None = Field(default=None, description="X client secret.")
    linkedin_client_id: str | None = Field(default=None, description="LinkedIn app client id.")
    linkedin_client_secret: SecretStr | None = Field(
        default=None, description="LinkedIn app client secret."
    )
    meta_app_id: str | None = Field(
        default=None, description="Meta app id (Facebook Pages and Instagram)."
    )
    meta_app_secret: SecretStr | None = Field(default=None, description="Meta app secret.")
    linkedin_version: str = Field(
        default="202610",
        description="Pinned LinkedIn-Version (YYYYMM). LinkedIn supports a version for about a "
        "year; a warning is logged as the pinned one nears its sunset.",
    )
    graph_api_version: str = Field(
        default="v23.0",
        description="Pinned Meta Graph API version; a warning is logged near its expiry.",
    )
    x_api_base: str = Field(default="https://api.x.com", description="X API host.")
    x_auth_base: str = Field(default="https://x.com", description="X authorization host.")
    linkedin_api_base: str = Field(
        default="https://api.linkedin.com", description="LinkedIn API host."
    )
    linkedin_auth_base: str = Field(
        default="https://www.linkedin.com", description="LinkedIn OAuth host."
    )
    graph_api_base: str = Field(
        default="https://graph.facebook.com", description="Meta Graph API host."
    )
    facebook_auth_base: str = Field(
        default="https://www.facebook.com", description="Facebook Login dialog host."
    )
    provider_timeout_seconds: float = Field(
        default=20.0, description="Timeout of every call to a platform."
    )

    @field_validator("token_encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry), strict=False)
                except ValueError:
                    raise ValueError(
                        f"GROWTH_TRUSTED_PROXIES: {entry!r} is not an IP address or network; "
                        "list addresses or CIDRs separated by commas, e.g. 127.0.0.1,10.0.0.0/8"
                    ) from None
            return [str(ipaddress.ip_network(str(e), strict=False)) for e in value]
        return value

    # Derived values -------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'growth.sqlite3'}"

    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{self.data_dir.resolve() / 'broker.sqlite3'}"

    @property
    def effective_rate_limit_storage(self) -> str:
        if self.rate_limit_storage:
            return self.rate_limit_storage
        return self.redis_url or "memory://"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _load_or_create(self.data_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    def resolved_token_keys(self) -> list[str]:
        if self.token_encryption_keys:
            return [key.get_secret_value() for key in self.token_encryption_keys]
        key = _load_or_create(
            self.data_dir / "token_keys",
            lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
        )
        return [line for line in key.splitlines() if line.strip()]


def _load_or_create(path: Path, make: object) -> str:
    from growth_manager.kit.files import PRIVATE_FILE, private_directory, private_file

    if path.exists():
        private_directory(path.parent)
        private_file(path)  # tightens a secret an older version wrote readable by others
        return path.read_text().strip()
    private_directory(path.parent)
    value: str = make()  # type: ignore[operator]
    # O_EXCL: two processes starting together must not write two different secrets.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    log.info("config.secret.generated", path=str(path))
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# A process that never installs its token keys (a script, a test) gets the environment's.
default_keys(lambda: get_settings().resolved_token_keys())
