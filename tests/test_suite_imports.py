"""The suite's own layout: fixtures reach tests through conftest.py (pytest finds them by
folder), never by importing them, and no test module imports another. An imported fixture
hides where it comes from, needs a noqa for ruff, and gives a session-scoped fixture one copy
per importing module; an imported test module drags its tests' names along."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def is_fixture(node: ast.FunctionDef) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "fixture":
            return True
    return False


def fixtures_of(module: str) -> set[str]:
    path = TESTS.parent / (module.replace(".", "/") + ".py")
    if not path.exists():
        return set()
    return {
        node.name
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.FunctionDef) and is_fixture(node)
    }


def wrong_imports(source: str) -> list[str]:
    """What ``source`` imports that it should not: a test module, or a fixture."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0):
            continue
        if not node.module.startswith("tests."):
            continue
        if node.module.rsplit(".", 1)[1].startswith("test_"):
            found.append(f"the test module {node.module}")
            continue
        fixtures = fixtures_of(node.module)
        found.extend(
            f"the fixture {alias.name} from {node.module}"
            for alias in node.names
            if alias.name in fixtures
        )
    return found


def test_no_test_module_or_fixture_is_imported() -> None:
    problems = {
        str(path.relative_to(TESTS.parent)): wrong
        for path in sorted(TESTS.rglob("*.py"))
        if (wrong := wrong_imports(path.read_text()))
    }
    assert problems == {}, (
        "Move shared fixtures into the conftest.py of the nearest common folder and plain "
        f"helpers into tests/support/ (or a helper module beside the tests): {problems}"
    )


def test_the_check_finds_both_kinds() -> None:
    source = (
        "from tests.accounts.test_connect_x import something\n"
        "from tests.conftest import json_of, sandbox\n"
    )
    assert wrong_imports(source) == [
        "the test module tests.accounts.test_connect_x",
        "the fixture sandbox from tests.conftest",
    ]
