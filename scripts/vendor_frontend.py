"""Vendor the dashboard's browser libraries from npm into the Python package.

Run this only when a pinned version in ``frontend/package.json`` changes::

    .venv/bin/python scripts/vendor_frontend.py          # refresh the vendored files
    .venv/bin/python scripts/vendor_frontend.py --check  # fail if they differ from npm's

It copies ``frontend/package.json`` and the committed ``package-lock.json`` into a temporary
directory, runs ``npm ci --ignore-scripts`` there (the repository never gets a ``node_modules``),
copies an explicit list of files into ``src/growth_manager/web/static/vendor/`` and writes
``VENDORED.json``: for every file its package, version, licence, source path, sha256 and size.
The vendored files are committed, so installing and running the app never needs Node.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRONTEND_DIR = ROOT / "frontend"
VENDOR_DIR = ROOT / "src" / "growth_manager" / "web" / "static" / "vendor"
MANIFEST_NAME = "VENDORED.json"


@dataclass(frozen=True)
class VendoredFile:
    package: str
    source: str  # path inside the npm package
    target: str  # path inside static/vendor/


# The explicit list. File names were checked in the installed packages (FullCalendar v7 ships
# its browser bundle as all/global.js; the v6 name index.global.min.js is gone).
FILES: tuple[VendoredFile, ...] = (
    VendoredFile("htmx.org", "dist/htmx.min.js", "htmx.min.js"),
    # Alpine's CSP build: no eval, so the page's CSP needs no 'unsafe-eval'. Its components are
    # registered with Alpine.data() in static/js; attributes hold only simple expressions.
    VendoredFile("@alpinejs/csp", "dist/cdn.min.js", "alpine-csp.min.js"),
    VendoredFile("chart.js", "dist/chart.umd.min.js", "chart.umd.min.js"),
    VendoredFile("temporal-polyfill", "global.js", "temporal-polyfill.global.js"),
    VendoredFile("fullcalendar", "all/global.js", "fullcalendar/global.js"),
    VendoredFile("fullcalendar", "skeleton.css", "fullcalendar/skeleton.css"),
    VendoredFile("fullcalendar", "themes/classic/palette.css", "fullcalendar/classic/palette.css"),
    VendoredFile("fullcalendar", "themes/classic/theme.css", "fullcalendar/classic/theme.css"),
    VendoredFile("fullcalendar", "themes/classic/global.js", "fullcalendar/classic/global.js"),
    # /docs and /redoc, served from here rather than a CDN (which the CSP forbids).
    VendoredFile("swagger-ui-dist", "swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    VendoredFile("swagger-ui-dist", "swagger-ui.css", "swagger-ui/swagger-ui.css"),
    VendoredFile("redoc", "bundles/redoc.standalone.js", "redoc/redoc.standalone.js"),
)

LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "license", "license.md")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_ci(workdir: Path) -> Path:
    """Install the locked packages into ``workdir`` and return its node_modules."""
    # .npmrc: legacy-peer-deps, so redoc's React peers are not installed (only its
    # self-contained standalone bundle is vendored).
    for name in ("package.json", "package-lock.json", ".npmrc"):
        shutil.copy2(FRONTEND_DIR / name, workdir / name)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not on PATH; it is needed only to refresh vendored files.")
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=workdir,
        check=True,
    )
    return workdir / "node_modules"


def package_meta(node_modules: Path, package: str) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads((node_modules / package / "package.json").read_text())
    return meta


def build(node_modules: Path, out_dir: Path) -> dict[str, Any]:
    """Copy the listed files into ``out_dir`` and return the manifest."""
    pinned: dict[str, str] = json.loads((FRONTEND_DIR / "package.json").read_text())["dependencies"]
    entries: list[dict[str, Any]] = []
    licenses: dict[str, str] = {}
    for item in FILES:
        meta = package_meta(node_modules, item.package)
        if meta["version"] != pinned[item.package]:
            raise SystemExit(
                f"{item.package}: installed {meta['version']}, pinned {pinned[item.package]}"
            )
        source = node_modules / item.package / item.source
        if not source.is_file():
            raise SystemExit(f"{item.package}/{item.source} is not in the npm package")
        target = out_dir / item.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        entries.append(
            {
                "path": item.target,
                "package": item.package,
                "version": meta["version"],
                "license": meta.get("license", "UNKNOWN"),
                "source": f"{item.package}/{item.source}",
                "sha256": sha256_of(target),
                "bytes": target.stat().st_size,
            }
        )
        if item.package not in licenses:
            for name in LICENSE_NAMES:
                license_file = node_modules / item.package / name
                if license_file.is_file():
                    dest = out_dir / "licenses" / f"{item.package}.txt"
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(license_file, dest)
                    licenses[item.package] = f"licenses/{item.package}.txt"
                    break
            else:
                licenses[item.package] = ""
    for entry in entries:
        entry["license_file"] = licenses[entry["package"]] or None
    return {
        "generated_by": "scripts/vendor_frontend.py",
        "lockfile": "frontend/package-lock.json",
        "total_bytes": sum(e["bytes"] for e in entries),
        "files": entries,
    }


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")


def tree_digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): sha256_of(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="rebuild in a temporary directory and fail if the committed files differ",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gm-vendor-") as tmp:
        workdir = Path(tmp)
        node_modules = npm_ci(workdir)
        out_dir = workdir / "vendor" if args.check else VENDOR_DIR
        if not args.check and VENDOR_DIR.exists():
            shutil.rmtree(VENDOR_DIR)
        out_dir.mkdir(parents=True, exist_ok=True)
        manifest = build(node_modules, out_dir)
        write_manifest(out_dir, manifest)
        if args.check:
            if tree_digest(out_dir) != tree_digest(VENDOR_DIR):
                sys.stderr.write("Vendored files differ from frontend/package-lock.json.\n")
                return 1
            sys.stdout.write("Vendored files match frontend/package-lock.json.\n")
            return 0
    sys.stdout.write(
        f"Vendored {len(manifest['files'])} files ({manifest['total_bytes']} bytes) "
        f"into {VENDOR_DIR.relative_to(ROOT)}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
