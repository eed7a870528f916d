"""The dashboard pages' fixtures (a business with an owner, an editor, a viewer and an outsider,
and signed-in clients) are the drafts pages' own."""

from tests.content.conftest import app, content_settings, signed_in, world

__all__ = ["app", "content_settings", "signed_in", "world"]
