"""The vendored front-end files are exactly the ones the manifest names, and every static file a
template refers to exists (a missing file would otherwise only show as a 404 in a browser)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.web.templating import STATIC_DIR, TEMPLATES_DIR

VENDOR_DIR = STATIC_DIR / "vendor"
MANIFEST = VENDOR_DIR / "VENDORED.json"
ROOT = Path(__file__).resolve().parents[2]

# url_for('static', path='x') and url_for("static", path="x"), with any spacing.
STATIC_REF = re.compile(r"""url_for\(\s*['"]static['"]\s*,\s*path\s*=\s*['"]([^'"]+)['"]\s*\)""")
# Literal /static/... paths written straight into templates.
LITERAL_STATIC = re.compile(r"""["'(]/static/([^"'()?#\s{]+)""")


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text())
    return data


def template_static_refs() -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    for template in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = template.read_text()
        name = str(template.relative_to(TEMPLATES_DIR))
        refs.extend((name, path) for path in STATIC_REF.findall(text))
        refs.extend((name, path) for path in LITERAL_STATIC.findall(text))
    return refs


def test_manifest_lists_the_pinned_packages() -> None:
    pinned = json.loads((ROOT / "frontend" / "package.json").read_text())["dependencies"]
    data = manifest()
    vendored = {entry["package"]: entry["version"] for entry in data["files"]}
    assert vendored == pinned
    assert {e["path"] for e in data["files"]} >= {
        "htmx.min.js",
        "alpine-csp.min.js",
        "chart.umd.min.js",
        "temporal-polyfill.global.js",
        "fullcalendar/global.js",
        "fullcalendar/skeleton.css",
        "fullcalendar/classic/theme.css",
        "fullcalendar/classic/global.js",
        "swagger-ui/swagger-ui-bundle.js",
        "swagger-ui/swagger-ui.css",
        "redoc/redoc.standalone.js",
    }
    assert data["total_bytes"] == sum(e["bytes"] for e in data["files"])


@pytest.mark.parametrize("entry", manifest()["files"], ids=lambda e: e["path"])
def test_vendored_file_matches_manifest(entry: dict[str, Any]) -> None:
    path = VENDOR_DIR / entry["path"]
    assert path.is_file(), f"{entry['path']} is in VENDORED.json but not on disk"
    body = path.read_bytes()
    assert len(body) == entry["bytes"]
    assert hashlib.sha256(body).hexdigest() == entry["sha256"], (
        f"{entry['path']} differs from the {entry['package']}@{entry['version']} it claims to be; "
        "run scripts/vendor_frontend.py instead of editing vendored files"
    )
    assert entry["license"]
    assert entry["license"] != "UNKNOWN"
    if entry["license_file"]:
        assert (VENDOR_DIR / entry["license_file"]).is_file()


def test_every_file_in_vendor_is_in_the_manifest() -> None:
    listed = {e["path"] for e in manifest()["files"]}
    listed |= {e["license_file"] for e in manifest()["files"] if e["license_file"]}
    on_disk = {str(p.relative_to(VENDOR_DIR)) for p in VENDOR_DIR.rglob("*") if p.is_file()} - {
        "VENDORED.json"
    }
    assert on_disk == listed


def test_no_template_loads_anything_from_another_host() -> None:
    pattern = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", re.IGNORECASE)
    offenders = [
        str(t.relative_to(TEMPLATES_DIR))
        for t in TEMPLATES_DIR.rglob("*.html")
        if pattern.search(t.read_text())
    ]
    assert offenders == []


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"""\s(?:on[a-z]+|hx-on[:\w-]*)\s*=""", re.IGNORECASE)
HTMX_CODE = re.compile(r"""hx-trigger\s*=\s*["'][^"']*\[|(?:["'{,]\s*)(?:js|javascript):""")
X_DATA = re.compile(r"""\sx-data(?:\s*=\s*(["'])(.*?)\1)?""")


@pytest.mark.parametrize(
    "template",
    sorted(str(t.relative_to(TEMPLATES_DIR)) for t in TEMPLATES_DIR.rglob("*.html")),
)
def test_templates_carry_no_code_the_csp_would_refuse(template: str) -> None:
    """No inline <script>, no onclick=/hx-on handlers (the CSP has no 'unsafe-inline' for
    scripts), and every x-data names a component registered in static/js (Alpine's CSP build
    evaluates no code: no 'unsafe-eval')."""
    text = (TEMPLATES_DIR / template).read_text()
    assert INLINE_SCRIPT.findall(text) == []
    assert INLINE_HANDLER.findall(text) == []
    for _quote, value in X_DATA.findall(text):
        assert re.fullmatch(r"[A-Za-z_]\w*", value), f"x-data={value!r} is not a component name"
    assert "x-html" not in text  # refused by the CSP build; see x-rich-html in editor.js
    # htmx 4 compiles trigger filters (hx-trigger="keyup[…]") and js:/javascript: values with
    # Function(), which the CSP refuses.
    assert HTMX_CODE.findall(text) == []


def test_templates_refer_to_static_files() -> None:
    # Guards the scanner itself: the layout must be seen referring to its own assets.
    base_refs = {path for name, path in template_static_refs() if name == "base.html"}
    assert {
        "css/app.css",
        "js/app.js",
        "vendor/htmx.min.js",
        "vendor/alpine-csp.min.js",
    } <= base_refs


@pytest.mark.parametrize(
    ("template", "path"), template_static_refs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_static_file_referenced_by_template_exists(template: str, path: str) -> None:
    assert (STATIC_DIR / path).is_file(), f"{template} refers to static/{path}, which is missing"


def test_static_files_are_served(client: TestClient) -> None:
    for path in ("css/app.css", "js/app.js", "img/favicon.svg", "vendor/htmx.min.js"):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200, path
        assert response.content == (STATIC_DIR / path).read_bytes()


def test_favicon_ico_redirects_to_the_svg(client: TestClient) -> None:
    response = client.get("/favicon.ico", follow_redirects=False)
    assert response.status_code == 308
    assert response.headers["location"] == "/static/img/favicon.svg"
