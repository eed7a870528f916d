"""ASGI entry point for uvicorn: ``growth_manager.asgi:app``."""

from growth_manager.app import create_app
from growth_manager.worker.celery_app import celery_app

# Requests enqueue jobs (the import on connect, "Sync now", competitor reads). Tasks are
# ``shared_task``s, sent through whichever Celery app is the default: without this, the web
# process would fall back to Celery's own default (amqp://localhost) instead of the configured
# broker, and the worker would never see the job.
celery_app.set_default()
celery_app.set_current()

app = create_app()
