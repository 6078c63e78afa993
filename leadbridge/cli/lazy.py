"""Commands loaded when they are called: `leadbridge users list` imports the users commands
only, not the other twenty groups (their modules, and typer's work turning them into click
commands). `leadbridge --help` lists every command from its registered one-line summary
without loading any; a command's own `--help`, and the docs, load it."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from importlib import import_module
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup


class Entry(NamedTuple):
    target: str  # "module:attribute": a Typer app (a group) or a function (one command)
    summary: str  # the line `leadbridge --help` shows for it


Registry = dict[str, Entry]


def load(name: str, entry: Entry) -> Any:
    """The click command for `entry`, named `name`, with its summary as short help."""
    module_name, _, attribute = entry.target.partition(":")
    found = getattr(import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        command: Any = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    command.short_help = entry.summary
    _one_line_summaries(command)
    return command


def _one_line_summaries(group: Any) -> None:
    """Each subcommand's summary in a group's help: its help's first paragraph on one line
    (typer's rich help would keep the docstring's line breaks)."""
    for command in getattr(group, "commands", {}).values():
        if not command.short_help and command.help:
            first = inspect.cleandoc(command.help).split("\n\n")[0]
            command.short_help = " ".join(first.split())
        _one_line_summaries(command)


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name, in registration order; each loaded on first lookup.

    While `summaries()` is open, a command not loaded yet is answered by a stand-in that
    carries only its name and summary: enough for the group's help."""

    def __init__(self, lazy: Registry, eager: MutableMapping[str, Any]) -> None:
        self._entries = dict(lazy)
        self._loaded: dict[str, Any] = {}
        self._order = [*lazy, *(name for name in eager if name not in lazy)]
        self._loaded.update(eager)
        self._summaries_only = False

    @contextmanager
    def summaries(self) -> Iterator[None]:
        self._summaries_only = True
        try:
            yield
        finally:
            self._summaries_only = False

    def __getitem__(self, name: str) -> Any:
        if name in self._loaded:
            return self._loaded[name]
        if name not in self._entries:
            raise KeyError(name)
        entry = self._entries[name]
        if self._summaries_only:
            return TyperCommand(name, short_help=entry.summary)
        self._loaded[name] = load(name, entry)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._order:
            self._order.append(name)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._order.remove(name)
        self._loaded.pop(name, None)
        self._entries.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._order))

    def __len__(self) -> int:
        return len(self._order)


def lazy_group(registry: Registry) -> type[TyperGroup]:
    """A TyperGroup class whose commands include `registry`'s, loaded on demand."""

    class LazyGroup(TyperGroup):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.commands = LazyCommands(registry, self.commands)

        def list_commands(self, ctx: Any) -> list[str]:
            return list(self.commands)

        def format_help(self, ctx: Any, formatter: Any) -> None:
            commands = self.commands
            assert isinstance(commands, LazyCommands)
            with commands.summaries():
                super().format_help(ctx, formatter)

    return LazyGroup
