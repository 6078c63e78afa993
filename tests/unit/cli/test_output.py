"""Human output never shows Python reprs; --json for `sync once` counts calls once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadbridge.cli.cycle_report import (
    RetryWait,
    calls_line,
    cycle_json,
    intake_sentence,
    mirrors_sentence,
)
from leadbridge.cli.output import human
from leadbridge.sync.cycle import CycleSummary
from leadbridge.sync.intake.report import IntakeOutcome, IntakeSummary
from leadbridge.sync.mirrors.summary import MirrorSummary
from leadbridge.sync.pull.summary import PullSummary
from leadbridge.sync.push.summary import PushSummary

REPRS = ("{'", "[{", "None", "True", "False", "['", "Counter(")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _no_repr(text: str) -> None:
    assert not [r for r in REPRS if r in text], text


def test_human_values() -> None:
    assert human(None) == "-"
    assert (human(True), human(False)) == ("yes", "no")
    assert human(["a", "b"]) == "a, b"
    assert human({"client_secret": "stored (encrypted)"}) == "client_secret: stored (encrypted)"
    assert human({}) == "-"
    assert human(3) == "3"
    _no_repr(human({"a": None, "b": [True, {"c": False}]}))


def _cycle() -> CycleSummary:
    summary = CycleSummary()
    summary.results["pull"] = PullSummary(api_calls=2)
    intake = IntakeSummary(crm_calls=2)
    intake.add(IntakeOutcome("003x", "created", email="a@example.com", prospect_id=1))
    summary.results["intake"] = intake
    summary.results["push"] = PushSummary(pushed=1, created=1, api_calls=3)
    summary.results["mirrors"] = MirrorSummary(accounts=1, api_calls=4)
    return summary


def test_cycle_json_has_one_api_calls_for_the_whole_cycle() -> None:
    waiting = RetryWait(2, NOW + timedelta(minutes=2))
    data = cycle_json(_cycle(), waiting)
    assert data["api_calls"] == 2 + 2 + 3 + 4
    assert data["push_api_calls"] == 3
    assert "total_api_calls" not in data
    assert data["created"] == 1  # the push's figures stay at the top level
    assert data["waiting_on_retry"] == {
        "prospects": 2,
        "next_due_at": (NOW + timedelta(minutes=2)).isoformat(),
    }


def test_steps_read_as_sentences() -> None:
    summary = _cycle()
    intake = intake_sentence(summary.results["intake"])
    mirrors = mirrors_sentence(summary.results["mirrors"])
    assert intake == "New Salesforce leads and contacts brought in: 1 created."
    assert mirrors is not None and mirrors.startswith("Mirrors refreshed: 1 account(s)")
    assert calls_line(summary) == (
        "API calls this cycle: 11 (pull 2, intake 2, push 3, mirrors 4)."
    )
    for text in (intake, mirrors, calls_line(summary)):
        _no_repr(text)
    assert intake_sentence(IntakeSummary()) is None  # nothing new: nothing said
    assert "not refreshed" in str(mirrors_sentence(MirrorSummary()))


def test_the_retry_wait_says_how_many_and_when() -> None:
    waiting = RetryWait(3, NOW + timedelta(seconds=150))
    sentence = waiting.sentence(NOW)
    assert sentence is not None
    assert "3 prospect(s) wait to retry" in sentence
    assert "2026-03-01 12:02:30 UTC (in 2 min)" in sentence
    assert RetryWait(0, None).sentence(NOW) is None
