"""Editions and private CAs through the CLI: the sandbox on the standard edition meets the
custom-object gate; a --login-url connector to the sandbox trusts its CA only with --ca-file,
and without the right one verify says it is a certificate problem."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadbridge.cli import context
from leadbridge.sandbox.tls import ensure_certificates
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    context.reset()
    yield Cli(tmp_path / ".leadbridge")
    context.reset()


def login_url_args(cli: Cli, sandbox: SandboxClient, *extra: str) -> list[str]:
    """`connector add --login-url` to the sandbox, the secret from the environment."""
    creds = sandbox.credentials
    cli.env["LEADBRIDGE_CLIENT_SECRET"] = creds["client_secret"]
    return [
        "connector", "add", "--login-url", creds["login_url"],
        "--client-id", creds["client_id"], *extra,
    ]  # fmt: skip


def test_sandbox_on_the_standard_edition_meets_the_custom_object_gate(
    cli: Cli, sandbox: SandboxClient
) -> None:
    added = cli.json("connector", "add", "--sandbox", sandbox_dir(sandbox), "--edition", "standard")
    assert added["edition"] == "standard"
    report = cli.json("connector", "verify")
    assert report["ok"] is True
    assert not any(name.endswith("__c") for name in report["objects"])
    refused = cli("custom-objects", "enable", "Subscription__c", code=5)
    assert "Custom objects need the plus or advanced edition" in refused


def test_sandbox_stays_advanced_by_default_and_describes_custom_objects(
    cli: Cli, sandbox: SandboxClient
) -> None:
    assert cli.json("connector", "add", "--sandbox", sandbox_dir(sandbox))["edition"] == "advanced"
    assert "Subscription__c" in cli.json("connector", "verify")["objects"]


def test_an_unknown_edition_is_refused(cli: Cli, sandbox: SandboxClient) -> None:
    args = ["connector", "add", "--sandbox", sandbox_dir(sandbox), "--edition", "gold"]
    refused = cli(*args, code=2)
    assert "unknown edition" in refused and "standard, plus, advanced" in refused


def test_login_url_connector_trusts_the_sandbox_with_its_ca_file(
    cli: Cli, sandbox: SandboxClient
) -> None:
    added = cli.json(*login_url_args(cli, sandbox, "--ca-file", sandbox.ca_file))
    assert added["ca_file"] == str(Path(sandbox.ca_file).resolve())
    assert added["edition"] == "plus"
    assert sandbox.credentials["client_secret"] not in json.dumps(added)
    assert cli.json("connector", "verify")["ok"] is True


@pytest.mark.parametrize("with_ca", ["none", "wrong"])
def test_untrusted_certificate_is_called_a_certificate_problem(
    cli: Cli, sandbox: SandboxClient, tmp_path: Path, with_ca: str
) -> None:
    extra: list[str] = []
    if with_ca == "wrong":
        other_ca = ensure_certificates(tmp_path / "other-ca").ca_file  # a CA of its own
        extra = ["--ca-file", str(other_ca)]
    cli(*login_url_args(cli, sandbox, *extra))
    output = cli("connector", "verify", code=6)
    assert "certificate problem" in output
    assert sandbox.credentials["login_url"] in output
    assert "--ca-file" in output
    assert sandbox.credentials["client_secret"] not in output


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "no such file"), ("hello\n", "not a PEM file")],
)
def test_a_bad_ca_file_is_refused_before_anything_is_stored(
    cli: Cli, sandbox: SandboxClient, tmp_path: Path, content: str | None, reason: str
) -> None:
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_text(content)
    refused = cli(*login_url_args(cli, sandbox, "--ca-file", str(ca)), code=2)
    assert reason in refused and str(ca) in refused
    cli("connector", "show", code=5)


def test_ca_file_goes_with_login_url_not_sandbox(cli: Cli, sandbox: SandboxClient) -> None:
    refused = cli(
        "connector", "add", "--sandbox", sandbox_dir(sandbox), "--ca-file", sandbox.ca_file, code=2
    )
    assert "--ca-file" in refused
