from __future__ import annotations

from pathlib import Path

import pytest

from leadbridge.sandbox import SandboxBackend, SandboxConfig


@pytest.fixture
def backend(tmp_path: Path) -> SandboxBackend:
    """An in-memory org with no HTTP server: state-layer and handler tests."""
    built = SandboxBackend(SandboxConfig(data_dir=tmp_path, memory=True, random_seed=3))
    built.instance_url = "https://localhost:8443"
    return built
