"""One soak run: reset the org, a fresh leadbridge database, a randomized scenario while faults
are injected and sync processes come, go and get killed; then quiescence and the comparison."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bench.soak.actions import Actor
from bench.soak.compare import Finding, Snapshot, compare, snapshot
from bench.soak.oracle import FRESH_ORG_TRACKED, TRACKED
from bench.soak.org import SoakOrg
from bench.soak.syncer import Fleet
from bench.soak.world import fresh_home
from leadbridge.store.models.sync import OutboxRow

REPS = ("ada.rep", "bo.rep")  # sales reps made in each run's org (any schema has User)
QUIESCENCE_CYCLES = 12


@dataclass(frozen=True)
class RunSize:
    ticks: int = 10
    tick_seconds: tuple[float, float] = (0.1, 0.4)
    initial_rep_leads: int = 3
    initial_lb_prospects: int = 3
    max_concurrent: int = 3  # sync processes at once (1: never two at a time)


@dataclass
class RunResult:
    index: int
    seed: str
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    random_kills: int = 0
    write_kills: int = 0
    concurrent: int = 0
    spawned: int = 0
    failed_processes: int = 0
    quiescent: bool = True
    quiescence_cycles: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    home: Path | None = None
    org: str = "default"


def fault_plan(rng: random.Random) -> dict[str, dict[str, Any]]:
    """A random mix of faults for one run (each kind switched on or not, at its own rate)."""
    candidates: dict[str, dict[str, Any]] = {
        "SERVER_UNAVAILABLE": {"probability": rng.uniform(0.01, 0.06)},
        "UNABLE_TO_LOCK_ROW": {"probability": rng.uniform(0.01, 0.05)},
        "REQUEST_LIMIT_EXCEEDED": {"probability": rng.uniform(0.0, 0.015)},
        "INVALID_SESSION_ID": {"probability": rng.uniform(0.005, 0.03)},
        "latency": {"probability": rng.uniform(0.03, 0.15), "latency_ms": rng.randint(100, 600)},
        "connection_cut": {"probability": rng.uniform(0.01, 0.06)},
        "record_lock": {"probability": rng.uniform(0.02, 0.1)},
    }
    return {kind: rule for kind, rule in candidates.items() if rng.random() < 0.7}


def _burst(actor: Actor, fleet: Fleet, rng: random.Random, size: RunSize) -> None:
    """Several new prospects at once, then two sync processes started together: both see the
    same prospects waiting (the race a lease must prevent)."""
    for _ in range(rng.randint(6, 16)):
        actor.lb_create(form=rng.random() < 0.5)
    fleet.reap()
    for _ in range(min(rng.randint(2, 3), size.max_concurrent - len(fleet.running))):
        fleet.spawn(actor.run.db, cycles=1, kill_after_writes=None)


def _tick_action(actor: Actor, fleet: Fleet, rng: random.Random, size: RunSize) -> None:
    live = actor.live()
    fields = actor.fields
    choices: list[tuple[int, Any]] = [(5, actor.sf_create), (3, lambda: actor.lb_create(form=True))]
    choices.append((2, lambda: actor.lb_create(form=False)))
    choices.append((3, lambda: _burst(actor, fleet, rng, size)))
    if live:
        entity = rng.choice(live)
        choices += [
            (30, lambda: actor.lb_edit(entity, rng.choice(fields))),
            (30, lambda: actor.sf_edit(entity, rng.choice(fields))),
            (8, lambda: actor.sf_unrelated_edit(entity)),
            (4, lambda: actor.sf_convert(entity)),
            (3, lambda: actor.sf_merge(entity)),
        ]
        deletes = actor.done.get("sf delete", 0) + actor.done.get("lb delete", 0)
        if len(live) > 4 and deletes < 2:
            choices += [(2, lambda: actor.sf_delete(entity)), (2, lambda: actor.lb_delete(entity))]
    weights = [weight for weight, _ in choices]
    action = rng.choices([do for _, do in choices], weights=weights)[0]
    action()


def _manage_syncs(fleet: Fleet, actor: Actor, rng: random.Random, size: RunSize) -> None:
    fleet.reap()
    target = min(2 if rng.random() < 0.4 else 1, size.max_concurrent)
    while len(fleet.running) < target:
        kill_after = rng.randint(1, 2) if rng.random() < 0.3 else None
        fleet.spawn(actor.run.db, cycles=rng.randint(1, 3), kill_after_writes=kill_after)
    if fleet.running and rng.random() < 0.15:
        fleet.kill(rng.choice(fleet.running))


def _make_due(actor: Actor) -> None:
    """Retries waiting on a backoff (30 s and more) are due now: the soak does not wait."""
    with actor.run.db.session() as session:
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.done_at.is_(None))
            .values(available_at=datetime.now(UTC))
        )


def _quiesce(org: SoakOrg, actor: Actor, fleet: Fleet, result: RunResult) -> Snapshot:
    """Faults off; one sync cycle at a time until nothing is pending and a cycle changes
    nothing on either side."""
    org.faults_off()
    before: Snapshot | None = None
    for cycle in range(1, QUIESCENCE_CYCLES + 1):
        _make_due(actor)
        fleet.spawn(actor.run.db, cycles=1, kill_after_writes=None, wait=True)
        fleet.wait_all(timeout=120)
        after = snapshot(org, actor.run.db, actor.tracked)
        result.quiescence_cycles = cycle
        if before is not None and after.pending == 0 and after == before:
            return after
        before = after
    result.quiescent = False
    return before if before is not None else snapshot(org, actor.run.db, actor.tracked)


def run_once(
    org: SoakOrg, template: Path, work: Path, index: int, seed: int, size: RunSize
) -> RunResult:
    run_seed = f"{seed}:{index}"
    rng = random.Random(run_seed)
    result = RunResult(index, run_seed, org="fresh" if org.fresh else "default")
    started = time.monotonic()
    org.reset()
    for name in REPS:
        username = f"{name}@sandbox-sales.leadbridge.test"
        fields = {"Username": username, "Email": username, "LastName": name.title()}
        org.control("POST", "/records/User", {"fields": fields})
    home = work / f"run-{index}"
    run = fresh_home(template, home)
    result.home = home
    tracked = FRESH_ORG_TRACKED if org.fresh else TRACKED
    actor = Actor(org, run, rng, tag=f"r{index}", tracked=tracked)
    fleet = Fleet(home, home / "sync.log")
    try:
        faults = fault_plan(rng)
        result.faults = faults
        org.set_faults(faults, seed=rng.randint(0, 2**31))
        for _ in range(size.initial_rep_leads):
            actor.sf_create()
        for n in range(size.initial_lb_prospects):
            actor.lb_create(form=n % 2 == 0)
        actor.import_pending()
        for _ in range(size.ticks):
            _manage_syncs(fleet, actor, rng, size)
            for _ in range(rng.randint(1, 3)):
                _tick_action(actor, fleet, rng, size)
            actor.import_pending()
            time.sleep(rng.uniform(*size.tick_seconds))
        for _ in range(5):  # the rep's last leads get into leadbridge (faults still on)
            if not actor.pending_imports:
                break
            actor.import_pending()
        fleet.wait_all(timeout=90)
        if actor.pending_imports:  # faults off: the import must work now
            org.faults_off()
            actor.import_pending()
        final = _quiesce(org, actor, fleet, result)
        result.findings = compare(actor.entities, final, tracked, quiescent=result.quiescent)
    finally:
        for child in fleet.running:
            fleet.kill(child)
        fleet.reap(block=True)
        actor.close()
        run.db.dispose()
    result.random_kills, result.write_kills = fleet.random_kills, fleet.write_kills
    result.concurrent, result.spawned = fleet.concurrent, fleet.spawned
    result.failed_processes = fleet.failed
    result.actions, result.refused = dict(actor.done), dict(actor.refused)
    result.seconds = time.monotonic() - started
    return result
