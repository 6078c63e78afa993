"""The push and pull benchmarks' real path, small: the sandbox in its own process (file-backed),
each sync in its own process, and the calls the sandbox counted equal to the client's (the
benches assert it; a mismatch fails them)."""

from __future__ import annotations

import pytest

from bench.pull import _bulk
from bench.push import push_bench


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_push_bench_counts_calls_on_the_sandbox_at_0_and_50_ms() -> None:
    rows = {name: value for name, value, _, _ in push_bench(200, 50)}
    calls = [value for name, value in rows.items() if "API calls (sandbox = client)" in name]
    again = [value for name, value in rows.items() if "nothing changed" in name]
    assert len(calls) == 2 and all(0 < value <= 100 for value in calls), rows
    assert again == [0, 0], rows
    assert all(value > 0 for name, value in rows.items() if "throughput" in name), rows
    assert all(value > 20 for name, value in rows.items() if "peak RSS" in name), rows


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_pull_bench_pulls_in_its_own_process_and_an_idle_poll_costs_two_calls() -> None:
    rows = {name: value for name, value, _, _ in _bulk(300, 0, "sqlite", idle=True)}
    assert rows["pull idle poll, SQLite: API calls (sandbox = client)"] == 2, rows
    assert rows["pull 300 changed contacts, SQLite, 0 ms/call: API calls (sandbox = client)"] == 2
