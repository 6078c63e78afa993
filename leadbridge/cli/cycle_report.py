"""What `leadbridge sync once` prints: sentences for people, one JSON object for scripts.

Both count Salesforce API calls the same way: `api_calls` is the whole cycle (pull, intake,
push and mirrors), the number the org's allowance goes down by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from leadbridge.cli.output import console

if TYPE_CHECKING:
    from leadbridge.sync.cycle import CycleSummary
    from leadbridge.sync.intake.report import IntakeSummary
    from leadbridge.sync.mirrors.summary import MirrorSummary

STEP_ORDER = ("pull", "intake", "push", "mirrors")


@dataclass(frozen=True)
class RetryWait:
    """Prospects whose push failed on a temporary error and waits for its retry backoff."""

    prospects: int
    next_due_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        due = None if self.next_due_at is None else self.next_due_at.isoformat()
        return {"prospects": self.prospects, "next_due_at": due}

    def sentence(self, now: datetime) -> str | None:
        if not self.prospects or self.next_due_at is None:
            return None
        seconds = max(0, round((self.next_due_at - now).total_seconds()))
        due = f"{self.next_due_at:%Y-%m-%d %H:%M:%S} UTC"
        return (
            f"{self.prospects} prospect(s) wait to retry after a temporary Salesforce error; "
            f"the next is due at {due} (in {_duration(seconds)})."
            " Each retry waits longer (30 s, 1 min, 2 min … at most 1 h)."
        )


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def cycle_json(summary: CycleSummary, waiting: RetryWait) -> dict[str, Any]:
    """The push's figures at the top level (as scripts have read them), each other step by
    name, the push's own calls as `push_api_calls`, and `api_calls` for the whole cycle."""
    data = summary.as_dict()
    push = data.pop("push", None)
    total = data.pop("api_calls")
    top = dict(push) if isinstance(push, dict) else {}
    push_calls = top.pop("api_calls", 0)
    return {
        **top,
        **data,
        "push_api_calls": push_calls,
        "waiting_on_retry": waiting.as_dict(),
        "api_calls": total,
    }


def intake_sentence(summary: IntakeSummary) -> str | None:
    """Leads and contacts created in Salesforce brought in as prospects (auto-create)."""
    if summary.paused or not summary.outcomes:
        return None
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary.counts.items()))
    return f"New Salesforce leads and contacts brought in: {counts}."


def mirrors_sentence(summary: MirrorSummary) -> str | None:
    """The read-only mirrors (accounts, opportunities, campaigns, custom objects)."""
    if summary.paused:
        return None
    if not summary.api_calls:
        return "Mirrors: not refreshed this cycle (they refresh every 15 minutes)."
    parts = [
        f"{summary.accounts} account(s)",
        f"{summary.opportunities} opportunity(ies)",
        f"{summary.campaigns} campaign(s) with {summary.campaign_members} member(s)",
    ]
    parts += [f"{n} {name} record(s)" for name, n in sorted(summary.custom_records.items())]
    text = "Mirrors refreshed: " + ", ".join(parts) + "."
    users = summary.users
    if users.mapped or users.unmatched or users.deactivated:
        text += (
            f" Salesforce users: {len(users.mapped)} newly mapped, {len(users.unmatched)} "
            f"without a leadbridge user, {len(users.deactivated)} deactivated."
        )
    return text


def other_step_sentence(name: str, result: object) -> str:
    """A step added by another feature: its name, and its calls when it counts them."""
    calls = getattr(result, "api_calls", None)
    return f"{name}: done" + ("" if calls is None else f" ({calls} API call(s))") + "."


def print_steps(summary: CycleSummary) -> None:
    """The steps other than pull and push, one sentence each (never a Python repr)."""
    for name, result in summary.results.items():
        if name in ("pull", "push"):
            continue
        if name == "intake":
            line = intake_sentence(result)
        elif name == "mirrors":
            line = mirrors_sentence(result)
        else:
            line = other_step_sentence(name, result)
        if line:
            console.print(escape(line), highlight=False)


def calls_line(summary: CycleSummary) -> str:
    """`API calls this cycle: 7 (pull 2, intake 2, push 1, mirrors 2).`"""
    steps = sorted(
        summary.results.items(),
        key=lambda item: STEP_ORDER.index(item[0]) if item[0] in STEP_ORDER else len(STEP_ORDER),
    )
    parts = [f"{name} {int(getattr(result, 'api_calls', 0) or 0)}" for name, result in steps]
    detail = f" ({', '.join(parts)})" if parts else ""
    return f"API calls this cycle: {summary.api_calls}{detail}."
