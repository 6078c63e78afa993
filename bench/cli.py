"""CLI start-up: `leadbridge --help` and a simple command (`leadbridge prospects list` on a
small home), each run as a person runs it, in a fresh process. `make bench` prints the
median wall-clock time of several runs against the targets of issue 9."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

RUNS = 7
HELP_TARGET_S = 0.3
COMMAND_TARGET_S = 0.5


def _leadbridge() -> list[str]:
    """The installed console script next to this interpreter, else `python -m`."""
    script = Path(sys.executable).with_name("leadbridge")
    if script.exists():
        return [str(script)]
    found = shutil.which("leadbridge")
    return [found] if found else [sys.executable, "-m", "leadbridge.cli.main"]


def _median_s(command: list[str], env: dict[str, str], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def cli_bench(runs: int = RUNS) -> Iterator[tuple[str, float, str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "LEADBRIDGE_HOME": str(Path(tmp) / ".leadbridge"),
            "LEADBRIDGE_DATABASE_URL": "",
            "COLUMNS": "100",
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached
        base = _leadbridge()
        # A small home: the database created and migrated, a few prospects.
        for number in range(3):
            subprocess.run(
                [*base, "prospects", "add", f"bench{number}@example.com"],
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
        help_s = _median_s([*base, "--help"], env, runs)
        yield (("leadbridge --help (median)", help_s, "s", f"<= {HELP_TARGET_S} s"))
        list_s = _median_s([*base, "prospects", "list"], env, runs)
        yield (("leadbridge prospects list (median)", list_s, "s", f"<= {COMMAND_TARGET_S} s"))


if __name__ == "__main__":
    for name, value, unit, target in cli_bench():
        print(f"{name:44} {value:12,.2f}  {unit:10} {target}")
