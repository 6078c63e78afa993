"""The push and pull benchmarks' real path, small: the sandbox in its own process (file-backed),
each sync in its own process, and the calls the sandbox counted equal to the client's (the
benches assert it; a mismatch fails them)."""

from __future__ import annotations

import json
import mmap
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pull import _bulk
from bench.push import push_bench
from bench.remote import ROOT


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


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_a_sync_child_reports_its_own_peak_rss_not_its_parents() -> None:
    """The bench process holds the org and the store it built when it starts the sync child;
    Linux carries the parent's RSS into the child's ru_maxrss across exec, so the child
    reports VmHWM (its own peak since exec) instead."""
    held = bytearray(256 * 1024 * 1024)  # touched: resident in this (the parent) process
    held[:: mmap.PAGESIZE] = b"\x01" * len(held[:: mmap.PAGESIZE])
    script = (
        "import json, resource; from bench.remote import peak_rss_kib; "
        "print(json.dumps([peak_rss_kib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    own, inherited = json.loads(done.stdout)
    del held
    assert inherited >= 256 * 1024  # the trap: the parent's 256 MiB show in ru_maxrss
    assert own < 128 * 1024, own  # the child's own peak: the interpreter and its imports
