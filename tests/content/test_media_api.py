"""Media uploads: judged by content, decoded before they are kept, size limits per kind,
content-addressed storage with dedupe, nothing left behind on failure, scoped serving and
attachment to drafts."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.content import MediaAsset, PostMedia
from tests.conftest import json_of
from tests.content.support import files_under, image_bytes, mp4_bytes
from tests.support.world import World


def media_url(world: World) -> str:
    return f"/api/v1/businesses/{world.bid}/media"


def upload(
    client: TestClient,
    world: World,
    content: bytes,
    filename: str,
    content_type: str = "application/octet-stream",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.post(
        media_url(world),
        files={"file": (filename, content, content_type)},
        headers=headers or world.editor.headers,
    )


def media_rows(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(MediaAsset)) or 0


@pytest.mark.parametrize(
    ("fmt", "mime", "extension"),
    [
        ("PNG", "image/png", "png"),
        ("JPEG", "image/jpeg", "jpg"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_images_are_stored_by_content_hash(
    client: TestClient,
    world: World,
    content_settings: Settings,
    fmt: str,
    mime: str,
    extension: str,
) -> None:
    content = image_bytes(fmt, (12, 7))
    response = upload(client, world, content, f"photo.{extension}")
    assert response.status_code == 201, response.text
    data = json_of(response)
    digest = hashlib.sha256(content).hexdigest()
    assert data["kind"] == "image"
    assert data["mime"] == mime
    assert (data["width"], data["height"]) == (12, 7)
    assert data["bytes"] == len(content)
    assert data["sha256"] == digest
    assert data["original_filename"] == f"photo.{extension}"
    stored = content_settings.media_dir / str(world.bid) / f"{digest}.{extension}"
    assert stored.read_bytes() == content
    # Nothing is left in the incoming area.
    assert files_under(content_settings.media_dir / ".incoming") == []

    served = client.get(data["url"], headers=world.viewer.headers)
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == mime
    assert served.headers["x-content-type-options"] == "nosniff"


def test_mp4_is_accepted_with_its_duration(
    client: TestClient, world: World, content_settings: Settings
) -> None:
    content = mp4_bytes(duration_ms=2500)
    response = upload(client, world, content, "clip.mov", "video/quicktime")
    assert response.status_code == 201, response.text
    data = json_of(response)
    assert data["kind"] == "video"
    assert data["mime"] == "video/mp4"
    assert data["duration_ms"] == 2500
    assert data["width"] is None
    stored = files_under(content_settings.media_dir / str(world.bid))
    assert [path.suffix for path in stored] == [".mp4"]


def test_png_named_jpg_is_stored_as_png(
    client: TestClient, world: World, content_settings: Settings
) -> None:
    content = image_bytes("PNG")
    response = upload(client, world, content, "holiday.jpg", "image/jpeg")
    assert response.status_code == 201
    data = json_of(response)
    assert data["mime"] == "image/png"
    stored = files_under(content_settings.media_dir / str(world.bid))
    assert [path.name for path in stored] == [f"{hashlib.sha256(content).hexdigest()}.png"]


def assert_nothing_left(database: Database, content_settings: Settings) -> None:
    assert media_rows(database) == 0
    assert files_under(content_settings.media_dir) == []


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"just some text pretending\n" * 20, "notes.png"),
        (b"%PDF-1.7\n" + b"0" * 500, "doc.jpg"),
        # A real format we do not accept (BMP), named like one we do.
        (image_bytes("BMP"), "image.webp"),
        # Only the first bytes of a PNG: the magic says PNG but it does not decode.
        (image_bytes("PNG", (64, 64))[:60], "broken.png"),
        # A JPEG cut in half: its header is fine, its pixels are missing.
        (image_bytes("JPEG", (200, 200), quality=95)[:400], "cut.jpg"),
        # An ftyp box followed by nonsense: not a playable MP4.
        (mp4_bytes()[:24] + b"this is not an mp4 at all", "fake.mp4"),
        # ftyp only, no moov.
        (mp4_bytes()[:24], "header-only.mp4"),
    ],
)
def test_lying_files_get_415_and_leave_nothing(
    client: TestClient,
    world: World,
    database: Database,
    content_settings: Settings,
    content: bytes,
    filename: str,
) -> None:
    response = upload(client, world, content, filename, "image/png")
    assert response.status_code == 415, response.text
    body = json_of(response)
    assert body["type"] == "unsupported_media_type"
    assert filename in body["detail"]
    assert "JPEG, PNG, GIF or WebP images, or MP4 video" in body["detail"]
    assert_nothing_left(database, content_settings)


def test_empty_file_is_refused(
    client: TestClient, world: World, database: Database, content_settings: Settings
) -> None:
    response = upload(client, world, b"", "empty.png")
    assert response.status_code == 422
    assert "empty" in json_of(response)["detail"]
    assert_nothing_left(database, content_settings)


def test_oversize_image_gets_413_and_leaves_nothing(
    client: TestClient, world: World, database: Database, content_settings: Settings
) -> None:
    # The test settings allow 1 MB images. A valid PNG padded past that with a trailing chunk.
    content = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    response = upload(client, world, content, "huge.png")
    assert response.status_code == 413
    body = json_of(response)
    assert body["type"] == "payload_too_large"
    assert "1 MB allowed for an image" in body["detail"]
    assert_nothing_left(database, content_settings)


def test_video_limit_is_separate_from_image_limit(client: TestClient, world: World) -> None:
    # 1.5 MB of MP4 is over the image limit (1 MB) but within the video limit.
    content = mp4_bytes() + (8 + 1536 * 1024).to_bytes(4, "big") + b"free" + b"\0" * 1536 * 1024
    response = upload(client, world, content, "long.mp4")
    assert response.status_code == 201, response.text


def test_same_bytes_twice_are_stored_once(
    client: TestClient, world: World, database: Database, content_settings: Settings
) -> None:
    content = image_bytes("PNG")
    first = upload(client, world, content, "a.png")
    second = upload(client, world, content, "b.png")
    assert first.status_code == 201
    assert second.status_code == 200
    assert json_of(first)["id"] == json_of(second)["id"]
    assert media_rows(database) == 1
    assert len(files_under(content_settings.media_dir)) == 1

    # Another business gets its own copy.
    other = client.post(
        f"/api/v1/businesses/{world.other_business.id}/media",
        files={"file": ("c.png", content, "image/png")},
        headers=world.outsider.headers,
    )
    assert other.status_code == 201
    assert media_rows(database) == 2


def test_roles_and_scoping(client: TestClient, world: World) -> None:
    content = image_bytes("PNG")
    assert upload(client, world, content, "a.png", headers=world.viewer.headers).status_code == 403
    assert (
        upload(client, world, content, "a.png", headers=world.outsider.headers).status_code == 404
    )
    data = json_of(upload(client, world, content, "a.png"))
    item = f"{media_url(world)}/{data['id']}"

    assert json_of(client.get(item, headers=world.viewer.headers))["id"] == data["id"]
    listing = json_of(client.get(media_url(world), headers=world.viewer.headers))
    assert listing["total"] == 1
    assert [m["id"] for m in listing["items"]] == [data["id"]]

    for path in (item, item + "/content"):
        assert client.get(path, headers=world.outsider.headers).status_code == 404
    # The outsider's own business does not reach this business's media either.
    theirs = f"/api/v1/businesses/{world.other_business.id}/media/{data['id']}"
    assert client.get(theirs + "/content", headers=world.outsider.headers).status_code == 404
    assert client.delete(item, headers=world.viewer.headers).status_code == 403


def test_attach_reorder_and_delete_media(
    client: TestClient, world: World, database: Database, content_settings: Settings
) -> None:
    png = json_of(upload(client, world, image_bytes("PNG"), "a.png"))
    gif = json_of(upload(client, world, image_bytes("GIF"), "b.gif"))
    drafts = f"/api/v1/businesses/{world.bid}/drafts"
    draft = json_of(
        client.post(
            drafts, json={"media_ids": [gif["id"], png["id"]]}, headers=world.editor.headers
        )
    )
    assert [m["id"] for m in draft["media"]] == [gif["id"], png["id"]]

    url = f"{drafts}/{draft['id']}"
    reordered = json_of(
        client.patch(url, json={"media_ids": [png["id"], gif["id"]]}, headers=world.editor.headers)
    )
    assert [m["id"] for m in reordered["media"]] == [png["id"], gif["id"]]
    # The list reads the attachments apart from the drafts: same order, same fields.
    listed = json_of(client.get(drafts, headers=world.viewer.headers))["items"]
    assert [d["media"] for d in listed if d["id"] == draft["id"]] == [reordered["media"]]
    bare = json_of(client.post(drafts, json={"title": "bare"}, headers=world.editor.headers))
    listed = json_of(client.get(drafts, headers=world.viewer.headers))["items"]
    assert [d["media"] for d in listed if d["id"] == bare["id"]] == [[]]

    # Deleting media removes it from the draft and from disk.
    response = client.delete(f"{media_url(world)}/{png['id']}", headers=world.editor.headers)
    assert response.status_code == 204
    after = json_of(client.get(url, headers=world.editor.headers))
    assert [m["id"] for m in after["media"]] == [gif["id"]]
    assert [p.suffix for p in files_under(content_settings.media_dir)] == [".gif"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(PostMedia)) == 1


def test_media_of_another_business_cannot_be_attached(
    client: TestClient, world: World, database: Database
) -> None:
    theirs = client.post(
        f"/api/v1/businesses/{world.other_business.id}/media",
        files={"file": ("c.png", image_bytes("PNG"), "image/png")},
        headers=world.outsider.headers,
    ).json()
    drafts = f"/api/v1/businesses/{world.bid}/drafts"
    response = client.post(drafts, json={"media_ids": [theirs["id"]]}, headers=world.owner.headers)
    assert response.status_code == 422
    assert json_of(response)["detail"] == (
        f"media_ids: media {theirs['id']} not found in this business."
    )
    duplicate = client.post(
        drafts, json={"media_ids": [theirs["id"], theirs["id"]]}, headers=world.owner.headers
    )
    assert duplicate.status_code == 422
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(PostMedia)) == 0


def test_missing_file_on_disk_is_a_clear_404(
    client: TestClient, world: World, content_settings: Settings
) -> None:
    data = json_of(upload(client, world, image_bytes("PNG"), "a.png"))
    for path in files_under(content_settings.media_dir):
        Path(path).unlink()
    response = client.get(data["url"], headers=world.editor.headers)
    assert response.status_code == 404
    assert "missing from storage" in json_of(response)["detail"]


def test_deleting_the_business_removes_its_media_files(
    client: TestClient, world: World, content_settings: Settings, database: Database
) -> None:
    response = upload(client, world, image_bytes("PNG"), "logo.png")
    assert response.status_code == 201, response.text
    folder = content_settings.media_dir / str(world.bid)
    assert files_under(folder)
    deleted = client.delete(f"/api/v1/businesses/{world.bid}", headers=world.owner.headers)
    assert deleted.status_code == 204, deleted.text
    assert not folder.exists()
    assert media_rows(database) == 0


def test_a_refused_business_deletion_keeps_the_files(
    client: TestClient, world: World, content_settings: Settings
) -> None:
    assert upload(client, world, image_bytes("PNG"), "logo.png").status_code == 201
    folder = content_settings.media_dir / str(world.bid)
    refused = client.delete(f"/api/v1/businesses/{world.bid}", headers=world.editor.headers)
    assert refused.status_code == 403
    assert files_under(folder)


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def test_image_over_the_pixel_limit_is_refused_before_decoding(
    client: TestClient, world: World, database: Database, content_settings: Settings
) -> None:
    # 9,400 × 9,400 one-bit pixels compress to a few KB but would decode to hundreds of MB.
    # Truncated after its header: had the server decoded it, it would answer 415 (undecodable);
    # the 422 shows the size was judged from the header alone.
    whole = _png(9400, 9400)
    assert len(whole) < 1024 * 1024
    truncated = whole[:200]
    for content in (whole, truncated):
        response = upload(client, world, content, "poster.png")
        assert response.status_code == 422, response.text
        detail = json_of(response)["detail"]
        assert detail == (
            "file: poster.png is 9400 × 9400 pixels (88.4 megapixels); images may have at most "
            "36 megapixels. Scale it down and upload it again."
        )
    assert_nothing_left(database, content_settings)


def test_image_at_the_pixel_limit_is_accepted(client: TestClient, world: World) -> None:
    response = upload(client, world, _png(6000, 6000), "wide.png")
    assert response.status_code == 201, response.text
    assert (json_of(response)["width"], json_of(response)["height"]) == (6000, 6000)
