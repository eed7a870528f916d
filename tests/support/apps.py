"""The product app built for a test, sharing the suite's database."""

from __future__ import annotations

from fastapi import FastAPI

from growth_manager.config import Settings
from growth_manager.db import Database


def app_sharing(settings: Settings, database: Database) -> FastAPI:
    """``create_app(settings)`` on the session-wide engine, so tests and the app see one
    database (the app's own engine is closed unused)."""
    from growth_manager.app import create_app

    app = create_app(settings)
    app.state.database.dispose()
    app.state.database = database
    return app
