"""Commands loaded when they are called: `leadbridge users list` imports the users commands
only, not the other twenty groups (their modules, and typer's work turning them into click
commands). `--help` and the docs still see every command, loaded then."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup

# name → "module:attribute": a Typer app (a group) or a function (one command).
Registry = dict[str, str]


def load(name: str, target: str) -> Any:
    """The click command for `target`, named `name`."""
    module_name, _, attribute = target.partition(":")
    found = getattr(import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        command: Any = typer.main.get_group(found)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyCommands(MutableMapping[str, Any]):
    """The group's commands by name, in registration order; each loaded on first lookup."""

    def __init__(self, lazy: Registry, eager: MutableMapping[str, Any]) -> None:
        self._targets = dict(lazy)
        self._loaded: dict[str, Any] = {}
        self._order = [*lazy, *(name for name in eager if name not in lazy)]
        self._loaded.update(eager)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._targets:
                raise KeyError(name)
            self._loaded[name] = load(name, self._targets[name])
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._order:
            self._order.append(name)
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        self._order.remove(name)
        self._loaded.pop(name, None)
        self._targets.pop(name, None)

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

    return LazyGroup
