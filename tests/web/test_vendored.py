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
        "alpine.min.js",
        "chart.umd.min.js",
        "temporal-polyfill.global.js",
        "fullcalendar/global.js",
        "fullcalendar/skeleton.css",
        "fullcalendar/classic/theme.css",
        "fullcalendar/classic/global.js",
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


def test_templates_refer_to_static_files() -> None:
    # Guards the scanner itself: the layout must be seen referring to its own assets.
    base_refs = {path for name, path in template_static_refs() if name == "base.html"}
    assert {"css/app.css", "js/app.js", "vendor/htmx.min.js", "vendor/alpine.min.js"} <= base_refs


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
