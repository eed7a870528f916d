"""Run the sandbox as a standalone server: ``python -m platform_sandbox --port 8100``."""

from __future__ import annotations

import argparse
import copy
import os
from pathlib import Path
from typing import Any

import uvicorn
import uvicorn.config

from log_redaction import RedactQueryFilter
from platform_sandbox.app import create_app
from platform_sandbox.control import seed_demo_competitors

DEFAULT_PORT = 8100
DEFAULT_DATA_DIR = Path(os.environ.get("PLATFORM_SANDBOX_DATA_DIR", ".sandbox-data"))


def main(
    port: int = DEFAULT_PORT,
    data_dir: Path | str = DEFAULT_DATA_DIR,
    host: str = "127.0.0.1",
    seed: int = 42,
    app_base_urls: tuple[str, ...] = (),
) -> None:
    """Serve the sandbox until interrupted; state lives in ``data_dir/sandbox.sqlite3``.
    ``app_base_urls``: where Growth Manager runs, so the demo apps accept its callbacks."""
    app = create_app(Path(data_dir), seed=seed, app_base_urls=app_base_urls)
    # A demo has someone to compare with: public competitor accounts (and one of each kind the
    # platforms refuse to show), created once per data directory.
    seed_demo_competitors(app)
    # A request still running when asked to stop gets 3 s, so stopping never waits on a client.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(),
        timeout_graceful_shutdown=3,
    )


def log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up, with query-string secrets redacted: Graph API calls carry
    access tokens, app secrets and codes in the URL, and the access log prints it whole."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": RedactQueryFilter}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_query")
    return config


# The Growth Manager CLI (``growth-manager sandbox``) calls it by this name.
serve = main


def cli(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m platform_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--allow-app",
        action="append",
        default=[],
        metavar="URL",
        help="base URL of a Growth Manager whose OAuth callbacks the demo apps accept",
    )
    args = parser.parse_args(argv)
    main(
        port=args.port,
        data_dir=args.data_dir,
        host=args.host,
        seed=args.seed,
        app_base_urls=tuple(args.allow_app),
    )
