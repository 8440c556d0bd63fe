"""Alternated A/B of the server CPU per request between two checkouts of invoicegate.

    .venv/bin/python bench/ab.py BASE_DIR HEAD_DIR [--pairs 3] [--targets "sqlite ..."]

Each checkout runs its own `bench/run.sh` with its own .venv, one after the other, the order
swapped every pair (base-head, head-base, ...) so a drift of the machine over the run falls on
both sides alike. Each run's table gives the server CPU µs/request of every target; the answer
is, per target, each pair's head/base ratio and their median — the figure issue 21's "speed
held" asks for (within +5 %). The runs' tables stay in each checkout's bench/results/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

CPU_COLUMN = "server CPU µs/request"


def run_once(checkout: Path, targets: str, duration: int, warmup: int) -> dict[str, float]:
    """One bench run in CHECKOUT; the server CPU µs/request of each load row, by label."""
    env = {
        **os.environ,
        "TARGETS": targets,
        "DURATION": str(duration),
        "WARMUP": str(warmup),
        "CEILINGS": "once",
        # Each side its own database, so neither run sees the other's leftovers.
        "PG_DB": f"ig_ab_{checkout.name.replace('-', '_')}",
    }
    subprocess.run(
        ["bash", "bench/run.sh"], cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL
    )
    table = (checkout / "bench/results/latest/table.md").read_text().splitlines()
    header = next(line for line in table if line.startswith("| load"))
    columns = [cell.strip() for cell in header.strip("|").split("|")]
    cpu_at = columns.index(CPU_COLUMN)
    found = {}
    for line in table:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        is_row = line.startswith("| ") and not line.startswith(("| load", "|---"))
        if is_row and len(cells) == len(columns) and cells[cpu_at] not in ("-", ""):
            found[cells[0]] = float(cells[cpu_at])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("head", type=Path)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--targets", default="sqlite paylink-sqlite find-sqlite postgres")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    ratios: dict[str, list[float]] = {}
    for pair in range(args.pairs):
        order = [("base", args.base), ("head", args.head)]
        if pair % 2:
            order.reverse()
        got = {
            side: run_once(path.resolve(), args.targets, args.duration, args.warmup)
            for side, path in order
        }
        for label, base_cpu in got["base"].items():
            head_cpu = got["head"].get(label)
            if head_cpu is None:
                continue
            ratios.setdefault(label, []).append(head_cpu / base_cpu)
            print(
                f"pair {pair + 1}: {label}: base {base_cpu:.0f}, head {head_cpu:.0f} µs/request, "
                f"head/base {head_cpu / base_cpu:.3f}",
                flush=True,
            )
    print("\n| load | head/base per pair | median |\n|---|---|---:|")
    worst = 0.0
    for label, values in ratios.items():
        median = statistics.median(values)
        worst = max(worst, median)
        print(f"| {label} | {', '.join(f'{v:.3f}' for v in values)} | {median:.3f} |")
    return 0 if worst <= 1.05 else 1


if __name__ == "__main__":
    sys.exit(main())
