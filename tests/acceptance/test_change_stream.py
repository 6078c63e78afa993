"""The change stream on the real path, small: the sandbox org in its own process (REST and the
Pub/Sub API over gRPC), `leadbridge serve` in another streaming Lead changes. Edits arrive,
an idle stretch costs no REST call, a backlog made while leadbridge was stopped is applied
once, and `serve` killed with SIGKILL during a burst loses no change and applies none twice
(`bench.cdc`, the same path as `make bench`, at a small size)."""

from __future__ import annotations

import math

import pytest

from bench.cdc import Sizes, cdc_bench


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_serve_streams_changes_and_survives_sigkill_without_loss_or_repeats() -> None:
    rows = {name: value for name, value, _, _ in cdc_bench(Sizes(20, 1_500, 8.0, 300))}
    latencies = [value for name, value in rows.items() if "prospect changed" in name]
    assert len(latencies) == 2 and all(math.isfinite(v) for v in latencies), rows
    assert rows["CDC: REST API calls over 8 s idle (sandbox count)"] == 0, rows
    assert rows["CDC: backlog, changes applied twice (audit)"] == 0, rows
    killed = [name for name in rows if name.startswith("CDC: SIGKILL")]
    assert [rows[name] for name in killed] == [0, 0], rows
