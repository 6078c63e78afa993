"""`make run` (leadbridge run): sandbox up, leadbridge connected, verified, users synced."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from leadbridge.sandbox.server import free_port


def test_run_starts_the_sandbox_and_connects_leadbridge(tmp_path: Path) -> None:
    console_port = free_port()
    env = {**os.environ, "LEADBRIDGE_HOME": str(tmp_path / ".leadbridge"),
           "LEADBRIDGE_SANDBOX_PORT": str(free_port()), "COLUMNS": "200",
           "LEADBRIDGE_CONSOLE_PORT": str(console_port)}  # fmt: skip
    env.pop("LEADBRIDGE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "leadbridge.cli.main", "run"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
        output = "".join(lines)
        assert "Press Ctrl+C" in output, output
        signed_in = _sign_in_to_console(output, console_port)
        assert signed_in.status_code == 200, signed_in.text
        assert "Administrator" in signed_in.text
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()
    assert "leadbridge connected to the sandbox org" in output
    assert "Users: 9 created" in output
    assert "leadbridge prospects list" in output
    assert "Demo: a rule assigned the United States prospects" in output
    assert "4 pushed (2 leads created, 1 matched contacts, 1 matched leads)" in output
    assert "Verdict: syncing" in output
    assert "is not assigned to a user" in output
    assert "/sandbox/records/00Q" in output and "within 10 s" in output
    assert (tmp_path / ".leadbridge" / "leadbridge.sqlite3").exists()
    assert (tmp_path / ".leadbridge" / "sandbox" / "credentials.json").exists()


def _sign_in_to_console(output: str, port: int) -> requests.Response:
    """Sign in to the console `make run` serves with the first sign-in it printed."""
    assert f"Console: http://127.0.0.1:{port}/" in output, output
    found = re.search(r"Sign in as (\S+) with the password (\S+)", output)
    assert found, output
    session = requests.Session()
    session.trust_env = False
    page = session.get(f"http://127.0.0.1:{port}/sign-in", timeout=10)
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token, page.text
    data = {"email": found.group(1), "password": found.group(2), "form_token": token.group(1)}
    return session.post(f"http://127.0.0.1:{port}/sign-in", data=data, timeout=10)
