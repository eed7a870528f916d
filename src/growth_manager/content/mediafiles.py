"""Telling what an uploaded file really is, from its bytes (never its name or declared type).

Images are sniffed by magic bytes and then fully decoded with Pillow, so a truncated or forged
file is refused before it is stored. MP4 is recognised by its ``ftyp`` box and then walked box
by box: the top-level boxes must tile the file exactly and include a ``moov`` (the index a
player needs); the duration comes from ``mvhd`` at no extra cost.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from PIL import Image

from growth_manager.models.content import MediaKind

# mime -> (kind, file extension, Pillow format name or None for video)
ACCEPTED: dict[str, tuple[MediaKind, str, str | None]] = {
    "image/jpeg": (MediaKind.image, "jpg", "JPEG"),
    "image/png": (MediaKind.image, "png", "PNG"),
    "image/gif": (MediaKind.image, "gif", "GIF"),
    "image/webp": (MediaKind.image, "webp", "WEBP"),
    "video/mp4": (MediaKind.video, "mp4", None),
}
ACCEPTED_DESCRIPTION = "JPEG, PNG, GIF or WebP images, or MP4 video"

# filetype needs at most this many leading bytes to recognise any format it knows.
SNIFF_BYTES = 8192


class NotAcceptedMedia(Exception):
    """The bytes are not one of the accepted formats, or do not decode as the one they claim."""


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: MediaKind
    extension: str


@dataclass(frozen=True)
class Inspected:
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


def sniff(head: bytes) -> Sniffed | None:
    """The accepted format these leading bytes start, or None."""
    guess = filetype.guess(head)
    if guess is None or guess.mime not in ACCEPTED:
        return None
    kind, extension, _ = ACCEPTED[guess.mime]
    return Sniffed(mime=guess.mime, kind=kind, extension=extension)


class TooManyPixels(Exception):
    """An image whose header declares more pixels than allowed; nothing was decoded."""

    def __init__(self, width: int, height: int, max_pixels: int) -> None:
        super().__init__(f"{width} × {height} pixels is more than {max_pixels} pixels")
        self.width = width
        self.height = height
        self.max_pixels = max_pixels


def inspect_file(path: Path, sniffed: Sniffed, max_pixels: int) -> Inspected:
    """Decodes the whole file as the sniffed format; raises :class:`NotAcceptedMedia`, or
    :class:`TooManyPixels` (before decoding) for an image larger than ``max_pixels``."""
    if sniffed.kind is MediaKind.image:
        return _inspect_image(path, sniffed, max_pixels)
    return _inspect_mp4(path)


def _inspect_image(path: Path, sniffed: Sniffed, max_pixels: int) -> Inspected:
    expected_format = ACCEPTED[sniffed.mime][2]
    try:
        with warnings.catch_warnings():
            # A decompression bomb must fail, not just warn.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                # open() reads only the header: a small file can declare a huge canvas, and
                # decoding it would take width × height × channels bytes of memory.
                width, height = image.size
                if width * height > max_pixels:
                    raise TooManyPixels(width, height, max_pixels)
                image.verify()  # structure and checksums
            # verify() leaves the image unusable; reopen to decode every pixel, which is what
            # catches truncated JPEGs that verify() lets through.
            with Image.open(path) as image:
                if image.format != expected_format:
                    raise NotAcceptedMedia(
                        f"looks like {sniffed.mime} but Pillow reads {image.format}"
                    )
                image.load()
                width, height = image.size
    except (NotAcceptedMedia, TooManyPixels):
        raise
    except (Exception, Image.DecompressionBombWarning) as exc:
        raise NotAcceptedMedia(f"{type(exc).__name__}: {exc}") from exc
    return Inspected(width=width, height=height)


_BOX_HEADER = struct.Struct(">I4s")


def _inspect_mp4(path: Path) -> Inspected:
    size = path.stat().st_size
    found: set[bytes] = set()
    duration_ms: int | None = None
    with path.open("rb") as handle:
        offset = 0
        while offset < size:
            box_type, header, box_size = _read_box_header(handle, offset, size)
            found.add(box_type)
            if box_type == b"moov":
                duration_ms = _moov_duration_ms(handle, offset + header, offset + box_size)
            offset += box_size
    if b"ftyp" not in found or b"moov" not in found:
        raise NotAcceptedMedia("an MP4 needs ftyp and moov boxes")
    return Inspected(duration_ms=duration_ms)


def _read_box_header(handle: BinaryIO, offset: int, end: int) -> tuple[bytes, int, int]:
    handle.seek(offset)
    raw = handle.read(8)
    if len(raw) < 8:
        raise NotAcceptedMedia("truncated MP4 box header")
    box_size, box_type = _BOX_HEADER.unpack(raw)
    header = 8
    if box_size == 1:  # 64-bit size follows
        large = handle.read(8)
        if len(large) < 8:
            raise NotAcceptedMedia("truncated MP4 box header")
        box_size = struct.unpack(">Q", large)[0]
        header = 16
    elif box_size == 0:  # box runs to the end of its container
        box_size = end - offset
    if box_size < header or offset + box_size > end:
        raise NotAcceptedMedia("MP4 box sizes do not match the file")
    return bytes(box_type), header, int(box_size)


def _moov_duration_ms(handle: BinaryIO, start: int, end: int) -> int | None:
    offset = start
    while offset < end:
        box_type, header, box_size = _read_box_header(handle, offset, end)
        if box_type == b"mvhd":
            handle.seek(offset + header)
            version = handle.read(1)
            if not version:
                return None
            if version[0] == 1:
                handle.read(3 + 8 + 8)  # flags, creation and modification times
                raw = handle.read(12)
                if len(raw) < 12:
                    return None
                timescale, duration = struct.unpack(">IQ", raw)
            else:
                handle.read(3 + 4 + 4)
                raw = handle.read(8)
                if len(raw) < 8:
                    return None
                timescale, duration = struct.unpack(">II", raw)
            if timescale == 0:
                return None
            return int(duration * 1000 // timescale)
        offset += box_size
    return None
