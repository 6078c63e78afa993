"""`LEADBRIDGE_CHANGE_STREAM=off` keeps a machine's sync loop from streaming."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadbridge.cli import context


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("LEADBRIDGE_HOME", str(tmp_path / ".leadbridge"))
    monkeypatch.delenv("LEADBRIDGE_DATABASE_URL", raising=False)
    context.reset()
    yield tmp_path
    context.reset()


def _streams() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "change-stream"]


@pytest.mark.parametrize(("value", "streams"), [("off", False), ("false", False), ("on", True)])
def test_the_switch_decides_whether_the_loop_streams(
    home: Path, monkeypatch: pytest.MonkeyPatch, value: str, streams: bool
) -> None:
    monkeypatch.setenv("LEADBRIDGE_CHANGE_STREAM", value)
    runner = context.SyncRunner(stop=threading.Event())
    try:
        runner.start_stream()
        assert bool(_streams()) is streams
    finally:
        runner.close()
    assert not _streams()  # closing the runner ends its stream
