"""The insights tests' world: tests/support/analytics_world.py."""

from tests.support.analytics_world import now, seeded, signed_in, world

__all__ = ["now", "seeded", "signed_in", "world"]
