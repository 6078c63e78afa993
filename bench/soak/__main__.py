"""`python -m bench.soak --runs N --seed S` (and `make soak`): the fault soak.

Exit code 1 when any of the three counts (duplicates, lost changes, never converged) is not 0.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.soak.org import SoakOrg
from bench.soak.report import SoakSummary
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
) -> SoakSummary:
    """Run the soak; its summary (also printed line by line as runs finish when `echo`)."""
    logging.getLogger("leadbridge").setLevel(logging.ERROR)
    own_work = work is None
    base = Path(tempfile.mkdtemp(prefix="leadbridge-soak-")) if work is None else work
    base.mkdir(parents=True, exist_ok=True)
    summary = SoakSummary(seed)
    started = time.monotonic()
    org = SoakOrg(base / "sandbox", seed)
    try:
        make_template(base / "template", base / "sandbox")
        indexes = [only_run] if only_run is not None else list(range(runs))
        for index in indexes:
            result = run_once(org, base / "template", base, index, seed, size)
            summary.results.append(result)
            if echo:
                print(
                    f"run {index}: {result.seconds:.1f} s, {len(result.findings)} finding(s), "
                    f"kills {result.random_kills}+{result.write_kills}, "
                    f"quiescence after {result.quiescence_cycles} cycle(s)",
                    flush=True,
                )
            if not result.findings and own_work and result.home is not None:
                shutil.rmtree(result.home, ignore_errors=True)
        org.faults_off()
    finally:
        org.stop()
    summary.faults = org.fired
    summary.seconds = time.monotonic() - started
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="number of runs (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="the soak's seed (default 1)")
    parser.add_argument("--only-run", type=int, default=None, help="replay run K of this seed")
    parser.add_argument("--ticks", type=int, default=RunSize.ticks, help="steps per run")
    parser.add_argument("--work", type=Path, default=None, help="keep files here")
    args = parser.parse_args(argv)
    summary = soak(
        args.runs, args.seed, only_run=args.only_run, size=RunSize(ticks=args.ticks), work=args.work
    )
    print("\n".join(summary.lines()))
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
