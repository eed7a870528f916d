"""ASGI entry point for uvicorn: ``growth_manager.asgi:app``."""

from growth_manager.app import create_app

app = create_app()
