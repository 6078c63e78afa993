"""Secrets for `connector add`: on stdin ('-'), on a hidden prompt, or (for scripts) as
arguments with a warning that they show in `ps`. Never echoed; stored encrypted in a private
home."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadbridge.cli import context, secret_input
from leadbridge.cli.main import app
from leadbridge.salesforce.credentials import CrmCredentials

URL = "https://acme.my.salesforce.com"
SECRET = "pa55-w0rd-xyz"
TOKEN = "tok-123-abc"


class Run:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.runner = CliRunner()
        self.env = {
            "LEADBRIDGE_HOME": str(home),
            "LEADBRIDGE_DATABASE_URL": "",
            "LEADBRIDGE_SECRET_KEY": "",
            "LEADBRIDGE_CLIENT_SECRET": None,
            "LEADBRIDGE_PASSWORD": None,
            "LEADBRIDGE_SECURITY_TOKEN": None,
        }

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> str:
        result = self.runner.invoke(app, list(args), input=input, env=self.env)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code == code, result.output
        return result.output

    def stored(self) -> CrmCredentials:
        context.reset()
        return context.connector_service().credentials()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Run(tmp_path / ".leadbridge")
    context.reset()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_client_secret_on_stdin(run: Run) -> None:
    out = run(
        "connector", "add", "--login-url", URL, "--client-id", "app", "--client-secret", "-",
        input=f"{SECRET}\n",
    )  # fmt: skip
    assert SECRET not in out and "Warning" not in out
    stored = run.stored()
    assert (stored.flow, stored.client_secret) == ("client_credentials", SECRET)
    assert mode(run.home) == 0o700
    assert mode(run.home / "secret.key") == mode(run.home / "leadbridge.sqlite3") == 0o600
    assert SECRET.encode() not in (run.home / "leadbridge.sqlite3").read_bytes()  # encrypted


def test_several_secrets_on_stdin_one_line_each_in_help_order(run: Run) -> None:
    run(
        "connector", "add", "--login-url", URL, "--username", "sync@acme.com",
        "--client-id", "app", "--security-token", "-", "--password", "-", "--client-secret", "-",
        input=f"consumer\n{SECRET}\n{TOKEN}\n",
    )  # fmt: skip
    stored = run.stored()
    assert (stored.client_secret, stored.password, stored.security_token) == (
        "consumer",
        SECRET,
        TOKEN,
    )


def test_nothing_on_stdin_is_a_clear_error(run: Run) -> None:
    out = run(
        "connector", "add", "--login-url", URL, "--username", "u", "--client-id", "app",
        "--client-secret", "consumer", "--password", "-", input="", code=2,
    )  # fmt: skip
    assert "--password: no value on stdin" in out


def test_secrets_asked_for_on_a_hidden_prompt(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_input, "stdin_is_terminal", lambda: True)
    out = run(
        "connector", "add", "--login-url", URL, "--username", "sync@acme.com", "--client-id", "app",
        input=f"consumer\n{SECRET}\n\n",  # then Enter: no security token
    )  # fmt: skip
    assert "Consumer secret:" in out and "Connector user's password:" in out
    assert "Security token" in out
    assert SECRET not in out and "consumer" not in out  # hidden input is not echoed
    stored = run.stored()
    assert (stored.flow, stored.client_secret) == ("password", "consumer")
    assert (stored.password, stored.security_token) == (SECRET, None)


def test_a_missing_secret_without_a_terminal_says_how_to_give_it(run: Run) -> None:
    out = run("connector", "add", "--login-url", URL, "--client-id", "app", code=2)
    assert "--client-secret" in out and "--client-secret -" in out
    assert "LEADBRIDGE_CLIENT_SECRET" in out


def test_secrets_as_arguments_still_work_with_a_warning(run: Run) -> None:
    out = run(
        "connector", "add", "--login-url", URL, "--username", "u", "--client-id", "app",
        "--client-secret", "consumer", "--password", SECRET, "--security-token", TOKEN,
    )  # fmt: skip
    assert "Warning: --password given as an argument shows in `ps`" in " ".join(out.split())
    assert "--security-token given as an argument" in " ".join(out.split())
    assert SECRET not in out and TOKEN not in out
    assert run.stored().password == SECRET


def test_secrets_from_the_environment_get_no_warning(run: Run) -> None:
    run.env["LEADBRIDGE_CLIENT_SECRET"] = SECRET
    out = run("connector", "add", "--login-url", URL, "--client-id", "app")
    assert "Warning" not in out
    assert run.stored().client_secret == SECRET


def test_the_help_says_arguments_show_in_ps(run: Run) -> None:
    out = " ".join(run("connector", "add", "--help").split())
    for flag in ("--client-secret", "--password", "--security-token"):
        assert flag in out
    assert out.count("A value given here shows in `ps`") == 3
