"""Renders the CLI reference (docs/cli.md) from the commands themselves.

`python -m leadbridge.cli.docs > docs/cli.md` rewrites it; a test fails when it is stale.
"""

from __future__ import annotations

from typing import Any

import typer

from leadbridge.cli.main import app

# Typer ships its own copy of click, so commands are inspected by their attributes.


def _commands(group: Any, prefix: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
        else:
            found.append((path, command))
    return found


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def _usage(path: str, command: Any) -> str:
    parts = [path]
    for param in command.params:
        if param.param_type_name == "argument":
            parts.append(str(param.name).upper())
    if any(_is_option(param) for param in command.params):
        parts.append("[OPTIONS]")
    return " ".join(parts)


def _option_line(param: Any) -> str:
    names = ", ".join(f"`{opt}`" for opt in param.opts)
    if param.secondary_opts:
        names += " / " + ", ".join(f"`{opt}`" for opt in param.secondary_opts)
    text = (param.help or "").strip()
    if param.default not in (None, False, (), []) and not param.is_flag:
        text += f" Default: `{param.default}`."
    return f"- {names}: {text}".rstrip()


def render_cli_docs() -> str:
    root = typer.main.get_command(app)
    lines = [
        "# Command line reference",
        "",
        "Generated from the commands by `python -m leadbridge.cli.docs > docs/cli.md`;",
        "a test fails when this file and the commands disagree.",
        "",
    ]
    for path, command in _commands(root, "leadbridge"):
        help_text = (command.help or "").strip()
        lines += [f"## `{path}`", "", help_text, "", "```", _usage(path, command), "```", ""]
        options = [p for p in command.params if _is_option(p) and p.name != "help"]
        if options:
            lines += [_option_line(option) for option in options] + [""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_cli_docs(), end="")
