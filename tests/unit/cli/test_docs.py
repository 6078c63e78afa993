"""docs/cli.md stays true to the commands (as sqlite-utils keeps its CLI docs)."""

from __future__ import annotations

from pathlib import Path

from leadbridge.cli.docs import render_cli_docs

DOCS = Path(__file__).resolve().parents[3] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_cli_docs(), (
        "docs/cli.md is stale: run `python -m leadbridge.cli.docs > docs/cli.md`"
    )


def test_every_command_has_help_with_an_example_or_a_summary() -> None:
    sections = render_cli_docs().split("\n## ")[1:]
    assert sections
    for section in sections:
        title, _, body = section.partition("\n")
        assert body.strip().split("```")[0].strip(), f"{title} has no help text"
