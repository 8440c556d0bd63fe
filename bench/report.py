"""Turn a run's summary.txt (one `key=value ...` line per target) into a markdown table.

Ratios (% of bare) are against the bare app measured in the same run. For service targets it
also checks that the updates landed: invoice_revisions must hold one row per created invoice
plus one per 200 answer (up to one more per connection, for requests still in flight when wrk
stopped counting). Exits 1 if that check fails.
"""

import argparse
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

LABELS = {
    "bare": "bare ASGI app, canned answer (ceiling)",
    "sqlite": "invoicegate, SQLite (WAL, synchronous=FULL)",
    "paylink-sqlite": "invoicegate, SQLite, Paylink seed update",
    "postgres": "invoicegate, PostgreSQL 15",
}


def parse(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            rows.append(dict(field.split("=", 1) for field in line.split()))
    return rows


def revisions_check(row: dict[str, str]) -> tuple[str, bool]:
    if "revisions" not in row:
        return "-", True
    low = int(row["invoices"]) + int(row["ok"])
    high = low + int(row["connections"])
    found = int(row["revisions"])
    passed = low <= found <= high
    return f"{found} {'✓' if passed else '✗'} (expected {low}..{high})", passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--command", default="bash bench/run.sh")
    parser.add_argument("--revision", default="unknown", help="git revision measured")
    args = parser.parse_args()

    rows = parse(args.run_dir / "summary.txt")
    bare = next((float(r["rps"]) for r in rows if r["target"] == "bare"), None)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    started = datetime.strptime(args.run_dir.name, "%Y%m%dT%H%M%SZ")  # run.sh names it so
    print(f"Run started {started:%Y-%m-%d %H:%M} UTC: `{args.command}`")
    print(f"Code: {args.revision}. Machine: {os.cpu_count()} x {cpu}\n")
    print("| target | req/s | p50 ms | p99 ms | % of bare | non-2xx | socket errors | revisions |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    all_passed = True
    for row in rows:
        rps = float(row["rps"])
        ratio = f"{100 * rps / bare:.1f} %" if bare else "-"
        check, passed = revisions_check(row)
        all_passed = all_passed and passed
        print(
            f"| {LABELS.get(row['target'], row['target'])} | {rps:,.0f} | {row['p50_ms']} "
            f"| {row['p99_ms']} | {ratio} | {row['non2xx']} | {row['socket_errors']} | {check} |"
        )
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
