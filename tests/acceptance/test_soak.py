"""The fault soak, small and with a fixed seed: a few randomized runs with faults, killed and
concurrent sync processes must end with no duplicate, no lost change and everything converged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak.__main__ import soak
from bench.soak.run import RunSize


@pytest.mark.xfail(
    strict=False,
    reason="issue 8 items 1-5 are on other branches: until they are merged, a Salesforce edit "
    "of a leadbridge-owned field stays (never converges), and conflicts lose changes",
)
def test_a_small_fixed_seed_soak_finds_nothing(tmp_path: Path) -> None:
    summary = soak(3, seed=8, size=RunSize(ticks=8), work=tmp_path, echo=False)
    report = "\n".join(summary.lines())
    assert len(summary.results) == 3
    assert sum(summary.faults.values()) > 0, report
    assert sum(r.spawned for r in summary.results) > 3, report
    assert (summary.duplicates, summary.lost, summary.not_converged) == (0, 0, 0), report
