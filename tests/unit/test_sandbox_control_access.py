"""The sandbox's control plane: open on loopback, behind a token (X-Sandbox-Token) when the
org listens beyond this machine; the token is kept in credentials.json, never printed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests

from leadbridge.cli.sandbox import summary_lines
from leadbridge.sandbox import SandboxConfig, SandboxServer
from leadbridge.sandbox.control_access import control_token_for, is_loopback
from leadbridge.sandbox.server import _prepare


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("org.example.com", False),
    ],
)
def test_which_binds_are_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (control_token_for(host, None) is None) is loopback
    assert control_token_for(host, "given") == "given"  # a configured token always applies


def test_off_loopback_a_token_is_made_kept_and_named_not_printed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        backend, info = _prepare(SandboxConfig(data_dir=tmp_path, memory=True), "0.0.0.0", 1)
    try:
        token = backend.control_token
        assert token and len(token) >= 40
        saved = json.loads((tmp_path / "credentials.json").read_text())
        assert saved["control_token"] == token
        [warning] = info.warnings
        assert "X-Sandbox-Token" in warning and "credentials.json" in warning
        assert "X-Sandbox-Token" in caplog.text
        shown = "\n".join(summary_lines(info))
        assert "Warning" in shown and token not in shown and token not in caplog.text
        assert token not in repr(info)
    finally:
        backend.close()


def test_on_loopback_there_is_no_token_nor_warning(tmp_path: Path) -> None:
    backend, info = _prepare(SandboxConfig(data_dir=tmp_path, memory=True), "127.0.0.1", 1)
    try:
        assert backend.control_token is None and info.warnings == ()
        assert "control_token" not in json.loads((tmp_path / "credentials.json").read_text())
    finally:
        backend.close()


def test_the_control_plane_refuses_requests_without_the_token(tmp_path: Path) -> None:
    config = SandboxConfig(data_dir=tmp_path, memory=True, control_token="c0ntrol")
    with SandboxServer(config) as server:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(server.ca_file)
        url = f"{server.instance_url}/__sandbox__/faults"
        for headers in ({}, {"X-Sandbox-Token": "wrong"}):
            refused = session.get(url, headers=headers)
            assert refused.status_code == 401
            assert "X-Sandbox-Token" in refused.json()[0]["message"]
            assert session.post(f"{server.instance_url}/__sandbox__/reset").status_code == 401
        allowed = session.get(url, headers={"X-Sandbox-Token": "c0ntrol"})
        assert allowed.status_code == 200, allowed.text
        # the org's own API is untouched by the control-plane token
        assert session.get(f"{server.instance_url}/services/data").status_code == 200
