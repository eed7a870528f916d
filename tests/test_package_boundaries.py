"""The platform sandbox is a separate product and the redaction helper serves both: neither
imports Growth Manager, and Growth Manager never imports the sandbox."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"


def imported_top_levels(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(SRC))] = names
    return found


# `growth-manager sandbox` starts the sandbox's server; nothing else in the product knows it.
ALLOWED = {"growth_manager/cli.py"}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("platform_sandbox", "growth_manager"),
        ("log_redaction", "growth_manager"),
        ("log_redaction", "platform_sandbox"),
        ("growth_manager", "platform_sandbox"),
    ],
)
def test_package_does_not_import(package: str, forbidden: str) -> None:
    files = imported_top_levels(package)
    assert files  # the scan saw the package
    offenders = sorted(
        name for name, imports in files.items() if forbidden in imports and name not in ALLOWED
    )
    assert offenders == []
