"""The soak's summary: runs, faults, kills, concurrency, time and the three counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.soak.compare import DUPLICATE, LOST, NOT_CONVERGED
from bench.soak.run import RunResult

SHOWN_PER_RUN = 6


@dataclass
class SoakSummary:
    seed: int
    results: list[RunResult] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(1 for result in self.results for f in result.findings if f.kind == kind)

    @property
    def duplicates(self) -> int:
        return self.count(DUPLICATE)

    @property
    def lost(self) -> int:
        return self.count(LOST)

    @property
    def not_converged(self) -> int:
        return self.count(NOT_CONVERGED)

    @property
    def ok(self) -> bool:
        return self.duplicates == self.lost == self.not_converged == 0

    def lines(self) -> list[str]:
        results = self.results
        actions: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for result in results:
            actions.update(result.actions)
            refused.update(result.refused)
        faults = ", ".join(f"{kind} {n}" for kind, n in sorted(self.faults.items()) if n)
        out = [
            f"soak: {len(results)} run(s), seed {self.seed}, {self.seconds:.0f} s",
            f"  faults injected: {sum(self.faults.values())} ({faults or 'none'})",
            f"  kills: {sum(r.random_kills for r in results)} random, "
            f"{sum(r.write_kills for r in results)} inside a Salesforce write",
            f"  sync processes: {sum(r.spawned for r in results)} started, "
            f"{sum(r.concurrent for r in results)} while another was running, "
            f"{sum(r.failed_processes for r in results)} exited with an error",
            f"  actions: {', '.join(f'{k} {n}' for k, n in sorted(actions.items()))}",
            f"  refused: {', '.join(f'{k} {n}' for k, n in sorted(refused.items())) or 'none'}",
            f"  duplicates: {self.duplicates}",
            f"  lost changes: {self.lost}",
            f"  never converged: {self.not_converged}",
        ]
        for result in results:
            out.extend(run_lines(self.seed, result))
        return out


def run_lines(seed: int, result: RunResult) -> list[str]:
    """A run's findings with what replays it (nothing for a run without findings)."""
    if not result.findings:
        return []
    out = [
        f"run {result.index} ({result.org} org; seed {result.seed}; replay: --seed {seed} "
        f"--only-run {result.index}; files {result.home}): "
        f"{len(result.findings)} finding(s), faults {sorted(result.faults)}"
    ]
    for finding in result.findings[:SHOWN_PER_RUN]:
        out.append(f"  [{finding.kind}] {finding.email}: {finding.what}")
        out.extend(f"      {line}" for line in finding.history[-8:])
    if len(result.findings) > SHOWN_PER_RUN:
        out.append(f"  … {len(result.findings) - SHOWN_PER_RUN} more")
    return out
