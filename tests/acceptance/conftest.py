"""Acceptance fixtures: the CLI against a fresh leadbridge home, connected to the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadbridge.cli import context
from tests.acceptance.test_connect_org import Cli, sandbox_dir
from tests.conftest import SandboxClient


@pytest.fixture
def connected_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxClient
) -> Iterator[Cli]:
    """Connector added, verified and resumed; Salesforce users synced as leadbridge users."""
    monkeypatch.chdir(tmp_path)
    context.reset()
    runner = Cli(tmp_path / ".leadbridge")
    runner("connector", "add", "--sandbox", sandbox_dir(sandbox))
    runner("connector", "verify")
    runner("users", "sync", "--create")
    runner("connector", "resume")
    yield runner
    context.reset()
