"""Printing for the CLI: Rich for people, `--json` for scripts, plain-words errors."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

from leadbridge.errors import (
    ConfigurationError,
    ConflictError,
    CrmError,
    InputError,
    LeadbridgeError,
    NotFoundError,
)

console = Console()
errors = Console(stderr=True, soft_wrap=True)
P = ParamSpec("P")
R = TypeVar("R")

_EXIT_CODES: tuple[tuple[type[LeadbridgeError], int], ...] = (
    (InputError, 2),
    (NotFoundError, 3),
    (ConflictError, 4),
    (ConfigurationError, 5),
    (CrmError, 6),
)


class DataTable(Table):
    """A table of data: its text cells are shown exactly as they are. Names and values come
    from website forms, CSV files and Salesforce; read as Rich markup, a company called
    `Acme [/x]` would stop the command, and `[red]…` would be restyled."""

    def add_row(
        self,
        *renderables: RenderableType | None,
        style: StyleType | None = None,
        end_section: bool = False,
    ) -> None:
        cells = (Text(cell) if isinstance(cell, str) else cell for cell in renderables)
        super().add_row(*cells, style=style, end_section=end_section)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, sort_keys=False))


def human(value: object) -> str:
    """A value as people read it: never a Python repr (no None, True, [..] or {..})."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {human(item)}" for key, item in value.items()) or "-"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(human(item) for item in value) or "-"
    return str(value)


def handle_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn leadbridge errors into one plain line on stderr and a distinct exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except LeadbridgeError as exc:
            code = next((code for kind, code in _EXIT_CODES if isinstance(exc, kind)), 1)
            errors.print(f"[red]Error:[/red] {escape(str(exc))}", highlight=False)
            raise typer.Exit(code) from None

    return wrapper
