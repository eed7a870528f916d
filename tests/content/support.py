"""Helpers for the content tests: real media bytes and a signed dashboard session."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image


# Media made for real --------------------------------------------------------------------------
def image_bytes(fmt: str, size: tuple[int, int] = (8, 6), **options: Any) -> bytes:
    buffer = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new(mode, size, color=3 if mode == "P" else (200, 40, 90)).save(
        buffer, format=fmt, **options
    )
    return buffer.getvalue()


def _box(kind: bytes, payload: bytes) -> bytes:
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


def mp4_bytes(duration_ms: int = 2500) -> bytes:
    """A minimal well-formed MP4: ftyp, a moov holding mvhd (timescale 1000), and an mdat."""
    ftyp = _box(b"ftyp", b"isom" + (512).to_bytes(4, "big") + b"isomiso2avc1mp41")
    mvhd = _box(
        b"mvhd",
        bytes(4)  # version 0, flags
        + bytes(8)  # creation, modification time
        + (1000).to_bytes(4, "big")
        + duration_ms.to_bytes(4, "big")
        + (0x00010000).to_bytes(4, "big")  # rate 1.0
        + (0x0100).to_bytes(2, "big")  # volume 1.0
        + bytes(10)
        + bytes(36)  # matrix
        + bytes(24)
        + (2).to_bytes(4, "big"),  # next track id
    )
    return ftyp + _box(b"moov", mvhd) + _box(b"mdat", b"\x00" * 64)


def files_under(directory: Path) -> list[Path]:
    if not directory.exists():
        return []
    return sorted(path for path in directory.rglob("*") if path.is_file())
