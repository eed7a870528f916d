"""Fakebook, a fifth platform that exists only in tests, in one folder the way a real one lives
under ``growth_manager/providers/<platform>/``: its descriptor, its error and budget reading,
its provider, and (here only) the tiny OAuth server it talks to. Registering
:class:`FakebookProvider` is all it takes for the product to offer it."""

from tests.support.fake_platform.descriptor import DESCRIPTOR, FakebookSettings
from tests.support.fake_platform.provider import FakebookProvider
from tests.support.fake_platform.server import FakeOAuthServer

__all__ = ["DESCRIPTOR", "FakeOAuthServer", "FakebookProvider", "FakebookSettings"]
