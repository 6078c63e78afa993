"""`python -m bench.soak --runs N --seed S` (and `make soak`): the fault soak.

One sandbox org process (in memory) serves the whole soak and is reset before each run; each
run gets a fresh leadbridge SQLite file copied from a migrated, connected template. A run:
random fault rules (503, whole-request and per-record UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED,
expired sessions, latency spikes, replies cut after the write), then ticks of random actions
on both sides (leadbridge edits, form posts, creates, CSV imports, deletes; a rep's edits,
creates, deletes, merges, conversions) while forked `leadbridge sync once` processes run, one
or two at a time, are SIGKILLed at random, or kill themselves right after a Salesforce write
returned. Then faults off and one cycle at a time until nothing is pending and a cycle changes
nothing; then both sides are compared with the oracle (bench/soak/oracle.py).

It prints the runs, the faults injected by kind (the org's own counters), the kills, how many
sync processes started while another was running, the time, and the three counts. A run with
findings prints its seed, the replay command (`--only-run K`), its files (the leadbridge
database and `sync.log`) and each finding with the prospect's history. Exit code 1 when any of
the three counts (duplicates, lost changes, never converged) is not 0.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bench.soak.org import SoakOrg
from bench.soak.report import SoakSummary, run_lines
from bench.soak.run import RunSize, run_once
from bench.soak.world import make_template


def soak(
    runs: int,
    seed: int,
    *,
    only_run: int | None = None,
    size: RunSize = RunSize(),
    work: Path | None = None,
    echo: bool = True,
    orgs: tuple[str, ...] = ("default", "fresh"),
    indexes: list[int] | None = None,
    clean: bool | None = None,
) -> SoakSummary:
    """Run the soak; its summary (also printed line by line as runs finish when `echo`).
    Runs take turns on the `orgs`: "default" (leadbridge's fields, upsert key and duplicate
    rule) and "fresh" (none of them: new leads are plain creates)."""
    logger = logging.getLogger("leadbridge")
    level = logger.level
    logger.setLevel(logging.ERROR)  # the sync's warnings about injected faults are expected
    try:
        return _soak(runs, seed, only_run, size, work, echo, orgs, indexes, clean)
    finally:
        logger.setLevel(level)


def _soak(
    runs: int,
    seed: int,
    only_run: int | None,
    size: RunSize,
    work: Path | None,
    echo: bool,
    orgs: tuple[str, ...],
    indexes: list[int] | None,
    clean: bool | None,
) -> SoakSummary:
    clean = work is None if clean is None else clean  # a run without findings leaves nothing
    base = Path(tempfile.mkdtemp(prefix="leadbridge-soak-")) if work is None else work
    base.mkdir(parents=True, exist_ok=True)
    summary = SoakSummary(seed)
    started = time.monotonic()
    started_orgs: list[SoakOrg] = []
    try:
        for kind in orgs:
            org = SoakOrg(base / f"sandbox-{kind}", seed, fresh=kind == "fresh")
            started_orgs.append(org)
            make_template(base / f"template-{kind}", org.data_dir)
        if indexes is None:
            indexes = [only_run] if only_run is not None else list(range(runs))
        for index in indexes:
            org = started_orgs[index % len(started_orgs)]
            template = base / f"template-{orgs[index % len(orgs)]}"
            result = run_once(org, template, base, index, seed, size)
            summary.results.append(result)
            if echo:
                print(
                    f"run {index} ({result.org} org): {result.seconds:.1f} s, "
                    f"{len(result.findings)} finding(s), "
                    f"kills {result.random_kills}+{result.write_kills}, "
                    f"quiescence after {result.quiescence_cycles} cycle(s)",
                    flush=True,
                )
                for line in run_lines(seed, result):
                    print(line, flush=True)
            if not result.findings and clean and result.home is not None:
                shutil.rmtree(result.home, ignore_errors=True)
    finally:
        for org in started_orgs:
            org.faults_off()
            org.stop()
            summary.faults.update(org.fired)
    summary.seconds = time.monotonic() - started
    return summary


def _lane(
    runs: int, seed: int, size: RunSize, work: Path, orgs: tuple[str, ...], indexes: list[int]
) -> SoakSummary:
    return soak(runs, seed, size=size, work=work, orgs=orgs, indexes=indexes, clean=True)


def soak_in_lanes(
    runs: int, seed: int, jobs: int, *, size: RunSize, orgs: tuple[str, ...]
) -> SoakSummary:
    """The soak's runs shared among `jobs` lanes (processes, each with its own sandbox orgs
    and files): the same runs as one lane (run K is seeded by K alone), in less time while
    runs spend much of theirs waiting on the network and on sync processes."""
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="leadbridge-soak-"))
    summary = SoakSummary(seed)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        lanes = [
            pool.submit(
                _lane, runs, seed, size, base / f"lane-{lane}", orgs, list(range(lane, runs, jobs))
            )
            for lane in range(jobs)
        ]
        for future in lanes:
            part = future.result()
            summary.results.extend(part.results)
            summary.faults.update(part.faults)
    summary.results.sort(key=lambda result: result.index)
    summary.seconds = time.monotonic() - started
    if summary.ok:
        shutil.rmtree(base, ignore_errors=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="number of runs (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="the soak's seed (default 1)")
    parser.add_argument("--only-run", type=int, default=None, help="replay run K of this seed")
    parser.add_argument("--ticks", type=int, default=RunSize.ticks, help="steps per run")
    parser.add_argument(
        "--max-concurrent",
        type=int,
        default=RunSize.max_concurrent,
        help="sync processes at once (1: never two; isolates crash and fault findings)",
    )
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    parser.add_argument(
        "--jobs", type=int, default=2, help="runs at once, each lane with its own orgs (default 2)"
    )
    parser.add_argument(
        "--orgs",
        default="default,fresh",
        help="org kinds the runs take turns on: default (leadbridge's fields and duplicate "
        "rule), fresh (neither); default: both",
    )
    args = parser.parse_args(argv)
    orgs = tuple(kind.strip() for kind in args.orgs.split(",") if kind.strip())
    if not orgs or set(orgs) - {"default", "fresh"}:
        parser.error("--orgs takes default, fresh or both (comma-separated)")
    size = RunSize(ticks=args.ticks, max_concurrent=max(1, args.max_concurrent))
    if args.jobs > 1 and args.only_run is None and args.work is None:
        summary = soak_in_lanes(args.runs, args.seed, args.jobs, size=size, orgs=orgs)
    else:
        summary = soak(
            args.runs, args.seed, only_run=args.only_run, size=size, work=args.work, orgs=orgs
        )
    print("\n".join(summary.lines()))
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
