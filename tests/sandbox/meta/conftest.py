"""Fixtures of the Meta sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.media_server import MediaHost, media_host


@pytest.fixture(scope="session")
def media_files() -> Iterator[MediaHost]:
    """Where the media the sandbox downloads (image_url, video_url, url) really is."""
    with media_host() as host:
        yield host
