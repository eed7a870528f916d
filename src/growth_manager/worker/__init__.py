"""Background jobs on Celery: the app, the one task decorator, enqueue-after-commit, beat."""
