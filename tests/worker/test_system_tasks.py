"""The system jobs' logic and the schedule declarations, without a broker."""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab
from sqlalchemy import select

from growth_manager.auth.dependencies import hash_api_token
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.user import ApiToken, User
from growth_manager.worker import state
from growth_manager.worker.system_tasks import EXPIRY_RULES
from growth_manager.worker.tasks import (
    PeriodicJob,
    beat_schedule,
    describe_schedule,
    load_task_modules,
    register_periodic,
    unregister_periodic,
)


def test_purge_expired_deletes_api_tokens_expired_or_revoked_over_30_days_ago(
    database: Database,
) -> None:
    now = utcnow()
    with database.session() as session:
        user = User(email="purge@example.com", password_hash="x")
        session.add(user)
        session.flush()
        tokens = {
            "expired-long-ago": {"expires_at": now - timedelta(days=31)},
            "expired-recently": {"expires_at": now - timedelta(days=29)},
            "revoked-long-ago": {
                "expires_at": now + timedelta(days=5),
                "revoked_at": now - timedelta(days=31),
            },
            "revoked-recently": {
                "expires_at": now + timedelta(days=5),
                "revoked_at": now - timedelta(days=1),
            },
            "live": {"expires_at": now + timedelta(days=5)},
        }
        for name, fields in tokens.items():
            session.add(
                ApiToken(user_id=user.id, name=name, token_hash=hash_api_token(name), **fields)
            )
    with database.session() as session:
        deleted = state.purge_expired(session, EXPIRY_RULES, now)
    assert deleted["api_token"] == 2
    with database.session() as session:
        left = set(session.scalars(select(ApiToken.name)))
    assert left == {"expired-recently", "revoked-recently", "live"}


def test_rules_for_tables_that_do_not_exist_are_skipped(database: Database) -> None:
    with database.session() as session:
        deleted = state.purge_expired(
            session, [state.ExpiryRule("no_such_table", "expires_at")], utcnow()
        )
    assert deleted == {}


def test_schedules_are_described_in_utc() -> None:
    assert describe_schedule(15) == "every 15 s"
    assert describe_schedule(timedelta(minutes=5)) == "every 5 min"
    assert describe_schedule(timedelta(hours=1)) == "every 1 h"
    assert describe_schedule(crontab(minute=0)) == "cron 0 * * * * UTC"


def test_beat_schedule_is_built_from_the_declarations() -> None:
    load_task_modules()
    register_periodic(PeriodicJob("tests.hourly", crontab(minute=0), queue="publish"))
    try:
        schedule = beat_schedule()
    finally:
        unregister_periodic("tests.hourly")
    assert schedule["system.heartbeat"]["schedule"] == timedelta(seconds=15)
    # An interval job's message expires when the next one is due, so a stalled worker doesn't
    # come back to a pile of identical sweeps.
    assert schedule["system.heartbeat"]["options"] == {"expires": 15.0}
    assert schedule["tests.hourly"]["options"] == {"queue": "publish"}
    assert schedule["tests.hourly"]["schedule"] == crontab(minute=0)
    assert "tests.hourly" not in beat_schedule()
