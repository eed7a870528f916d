"""The README stays true: it opens with the two commands and documents every setting."""

from __future__ import annotations

from pathlib import Path

from growth_manager.config import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


def test_every_setting_is_documented() -> None:
    missing = [
        f"GROWTH_{name.upper()}"
        for name in Settings.model_fields
        if f"GROWTH_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    from growth_manager.cli import main

    missing = [name for name in main.commands if f"`{name}`" not in README]
    assert missing == []
