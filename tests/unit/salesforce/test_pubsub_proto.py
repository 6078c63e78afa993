"""The checked-in Pub/Sub API code is what `pubsub_api.proto` generates (see its README.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leadbridge.pubsub_proto import pubsub_api_pb2

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = Path("leadbridge/pubsub_proto")
GENERATED = ("pubsub_api_pb2.py", "pubsub_api_pb2.pyi", "pubsub_api_pb2_grpc.py")


def test_the_checked_in_code_is_what_the_proto_generates(tmp_path: Path) -> None:
    pytest.importorskip("grpc_tools")
    (tmp_path / PACKAGE).mkdir(parents=True)
    shutil.copy(ROOT / PACKAGE / "pubsub_api.proto", tmp_path / PACKAGE)
    subprocess.run(
        [
            sys.executable, "-m", "grpc_tools.protoc", "-I.", "--python_out=.", "--pyi_out=.",
            "--grpc_python_out=.", str(PACKAGE / "pubsub_api.proto"),
        ],
        cwd=tmp_path,
        check=True,
    )  # fmt: skip
    for name in GENERATED:
        fresh = (tmp_path / PACKAGE / name).read_text()
        assert fresh == (ROOT / PACKAGE / name).read_text(), f"{name} is stale: regenerate it"


def test_the_service_keeps_salesforce_s_wire_names() -> None:
    service = pubsub_api_pb2.DESCRIPTOR.services_by_name["PubSub"]
    assert service.full_name == "eventbus.v1.PubSub"
    assert {m.name for m in service.methods} >= {"Subscribe", "GetSchema", "GetTopic"}
    fetch = pubsub_api_pb2.FetchRequest.DESCRIPTOR.fields_by_name
    assert [
        fetch[n].number for n in ("topic_name", "replay_preset", "replay_id", "num_requested")
    ] == [1, 2, 3, 4]
