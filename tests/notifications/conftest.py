"""The business team (one member per role, and a stranger with a business of their own)."""

from tests.business.conftest import team

__all__ = ["team"]
