"""A small media host on a loopback port: the public URLs platforms that fetch media themselves
(Meta) download from. It serves real JPEG and PNG images, an MP4-shaped video and an HTML page,
answers 404 for anything under ``/missing/``, and remembers every path requested, so a test can
see that the platform really downloaded the file."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image

from tests.support.live_server import free_port


def jpeg_bytes(
    size: tuple[int, int] = (1080, 1350), colour: tuple[int, int, int] = (200, 80, 120)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 640), (20, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


# An ISO base media file header (``ftyp`` box) followed by padding: what a real MP4 starts with.
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2048


@dataclass
class MediaHost:
    url: str
    requested: list[str] = field(default_factory=list)

    def at(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


def _handler(host: MediaHost) -> type[BaseHTTPRequestHandler]:
    jpeg, png = jpeg_bytes(), png_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            host.requested.append(path)
            if path.startswith("/missing/"):
                self._answer(404, "text/plain", b"not found")
            elif path.endswith((".jpg", ".jpeg")):
                self._answer(200, "image/jpeg", jpeg)
            elif path.endswith(".png"):
                self._answer(200, "image/png", png)
            elif path.endswith(".mp4"):
                self._answer(200, "video/mp4", MP4_BYTES)
            else:
                self._answer(200, "text/html", b"<!doctype html><p>a web page, not media</p>")

        def _answer(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


@contextmanager
def media_host() -> Iterator[MediaHost]:
    port = free_port()
    host = MediaHost(url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(host))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def unreachable_url(path: str = "photo.jpg") -> str:
    """A URL on a loopback port nothing listens on: the connection is refused."""
    return f"http://127.0.0.1:{free_port()}/{path}"
