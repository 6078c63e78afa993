"""The fault soak, small and with a fixed seed: a few randomized runs with faults, killed and
concurrent sync processes must end with no duplicate, no lost change and everything converged."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak.__main__ import soak
from bench.soak.oracle import LB, SF, Entity, Write
from bench.soak.run import RunSize


@pytest.mark.slow
def test_a_small_fixed_seed_soak_finds_nothing(tmp_path: Path) -> None:
    summary = soak(3, seed=8, size=RunSize(ticks=8), work=tmp_path, echo=False)
    report = "\n".join(summary.lines())
    assert len(summary.results) == 3
    assert sum(summary.faults.values()) > 0, report
    assert sum(r.spawned for r in summary.results) > 3, report
    assert (summary.duplicates, summary.lost, summary.not_converged) == (0, 0, 0), report


def _entity(*writes: tuple[float, str, object]) -> Entity:
    entity = Entity("a@example.com")
    for field in ("job_title", "phone", "score"):
        entity.writes[field] = [Write(at, side, value, "test") for at, side, value in writes]
    return entity


def test_the_oracle_expects_each_behaviours_winner() -> None:
    entity = _entity((1.0, SF, "sf-old"), (3.0, LB, "lb-new"), (2.0, SF, "sf-mid"))
    most_recent = entity.expected("job_title")
    use_salesforce = entity.expected("phone")
    use_leadbridge = entity.expected("score")
    assert most_recent is not None and most_recent.value == "lb-new"
    assert use_salesforce is not None and use_salesforce.value == "sf-mid"
    assert use_leadbridge is not None and use_leadbridge.value == "lb-new"
    only_ours = _entity((1.0, LB, "lb"))
    assert only_ours.expected("phone") is None  # Salesforce's copy of it wins later edits
    assert _entity((1.0, SF, "sf")).expected("score") is None
