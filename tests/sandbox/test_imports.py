"""The sandbox stands apart from the product and its modules import each other in one direction."""

from __future__ import annotations

import ast
from pathlib import Path

import platform_sandbox

ROOT = Path(platform_sandbox.__file__).parent
PACKAGE = "platform_sandbox"


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function: ``from pkg import mod``
    names the module ``pkg.mod``, ``from pkg import name`` the package itself."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops inside the sandbox, each as the path that closes it."""
    inside = {name: {t for t in targets if t in graph} for name, targets in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for target in sorted(inside[name]):
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = "done"

    for name in sorted(inside):
        if name not in state:
            visit(name)
    return cycles


def test_the_sandbox_imports_nothing_from_the_product() -> None:
    graph = _graph()
    offenders = {
        name: sorted(t for t in targets if t.split(".")[0] == "growth_manager")
        for name, targets in graph.items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_no_import_cycle_inside_the_sandbox() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_check_sees_a_loop_through_a_function_level_import(tmp_path: Path) -> None:
    (tmp_path / "first.py").write_text("from platform_sandbox.meta import second\n")
    (tmp_path / "second.py").write_text(
        "def late():\n    from platform_sandbox.meta import first\n"
    )
    known = {"platform_sandbox.meta.first", "platform_sandbox.meta.second"}
    graph = {
        "platform_sandbox.meta.first": _imports(tmp_path / "first.py", known),
        "platform_sandbox.meta.second": _imports(tmp_path / "second.py", known),
    }
    assert _cycles(graph) == [
        [
            "platform_sandbox.meta.first",
            "platform_sandbox.meta.second",
            "platform_sandbox.meta.first",
        ]
    ]
