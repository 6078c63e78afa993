"""Secrets on the command line, one convention for every command that takes one:

- left out: read from its environment variable when set, else asked for on a hidden prompt
  when stdin is a terminal;
- `-` as the value: read from stdin, one line per secret given so, in the order the options
  are listed in `--help` (`printf '%s\\n' "$SECRET" | leadbridge connector add … --password -`);
- a value: still works for scripts, with a one-line warning, since arguments show in `ps`
  and shell history.

The value itself is never printed, logged or put in an error message.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer

from leadbridge.cli.output import errors
from leadbridge.errors import InputError

STDIN = "-"


@dataclass(frozen=True)
class SecretOption:
    name: str  # the command's parameter name, e.g. "client_secret"
    label: str  # what the prompt asks for, e.g. "Consumer secret"
    envvar: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def help(self, what: str) -> str:
        return (
            f"{what} Left out, it comes from {self.envvar} or a hidden prompt on a terminal; "
            "'-' reads it from stdin. A value given here shows in `ps`."
        )


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


class SecretReader:
    """Resolves a command's secret options, in the order asked."""

    def __init__(self, ctx: typer.Context) -> None:
        self.ctx = ctx

    def read(
        self, option: SecretOption, value: str | None, *, needed: bool, optional: bool = False
    ) -> str | None:
        """The secret's value: as given (`-`: from stdin), else prompted for on a terminal
        when `needed` (or `optional`: an empty answer is None); InputError when `needed` and
        there is no way to get it."""
        if value == STDIN:
            return self._from_stdin(option)
        if value is not None:
            if self._on_command_line(option):
                errors.print(
                    f"[yellow]Warning:[/yellow] {option.flag} given as an argument shows in "
                    f"`ps` and shell history; leave it out to be asked, or pass {option.flag} - "
                    "and the value on stdin.",
                    highlight=False,
                )
            return value
        if (needed or optional) and stdin_is_terminal():
            answer = typer.prompt(
                option.label, hide_input=True, default="" if optional else None, show_default=False
            )
            return str(answer) or None
        if needed:
            raise InputError(
                f"give it on the prompt (run on a terminal), on stdin ({option.flag} -) or in "
                f"{option.envvar}",
                item=option.flag,
            )
        return None

    def _on_command_line(self, option: SecretOption) -> bool:
        """Given as an argument (not from its environment variable)? Typer bundles its own
        click, so the source is compared by name."""
        source = self.ctx.get_parameter_source(option.name)
        return source is not None and source.name == "COMMANDLINE"

    @staticmethod
    def _from_stdin(option: SecretOption) -> str:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError("no value on stdin (one line per '-' option)", item=option.flag)
        return line
