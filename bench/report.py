"""Turn a run's summary.txt (one `key=value ...` line per target) into one markdown table.

Ratios are against the bare app measured in the same run: against the mean of the two
ceilings measured right before and after the row (run.sh's CEILINGS=around, rows `ceiling-N`),
or, where there are none, against the `bare` row. The goal column is issue 8's target for that
load. Every service row also checks that the load landed: each 200 answer of an update
must have left one revision (up to one more per connection, for requests still in flight when
wrk stopped counting), and a find none. RSS is the server's, sampled once a second during the
load: the highest sample, and its growth from a quarter into the run to the end (a warm-up
quarter excluded). Server CPU per request (user + system time of the server process over the
load, divided by the requests answered) is the steadiest figure on a shared machine: it does
not move when other work takes the cores. Exits 1 if a revision check fails.

`report.py --combine A.wrk.txt B.wrk.txt` prints one BENCH line for two wrk runs made at the
same time (two server processes): requests and rates added, the worse percentiles.
"""

import argparse
import os
import platform
import sys
from datetime import datetime
from pathlib import Path

LABELS = {
    "bare": "bare ASGI app, canned answer (ceiling)",
    "bare-uvicorn": "bare ASGI app on uvicorn's own httptools protocol (two writes an answer)",
    "ceiling": "bare ASGI app again, {target} (the ceiling of the rows beside it)",
    "sqlite": "Winpay seed update, SQLite (WAL, synchronous=FULL)",
    "paylink-sqlite": "Paylink seed update, SQLite",
    "find-sqlite": "Winpay find, SQLite",
    "native-sqlite": "native PATCH with If-Match, SQLite",
    "postgres": "Winpay seed update, PostgreSQL (synchronous_commit=on), 1 process",
    "postgres-2proc": "Winpay seed update, PostgreSQL, 2 processes",
    "sqlite-1m": "Winpay seed update, SQLite, {invoices:,} invoices x {revisions} revisions",
    "postgres-1m": "Winpay seed update, PostgreSQL, {invoices:,} invoices x {revisions} revisions",
}
# Issue 8: (least ratio to bare, most p99 ms); None where the issue sets no such bound.
GOALS: dict[str, tuple[float | None, float | None]] = {
    "sqlite": (0.15, 20),
    "paylink-sqlite": (0.15, 20),
    "find-sqlite": (0.30, None),
    "native-sqlite": (0.15, 20),  # issue 9: the Winpay update's goal
    "postgres": (0.07, 50),
}
# The scale rows' p99 must stay within 1.5x of the same load's on 1,000 invoices.
SCALE_OF = {"sqlite-1m": "sqlite", "postgres-1m": "postgres"}
RSS_LIMIT_MB = 200


def parse(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            rows.append(dict(field.split("=", 1) for field in line.split()))
    return rows


def is_ceiling(target: str) -> bool:
    return target == "bare" or target.startswith("ceiling-")


def ceilings_beside(rows: list[dict[str, str]]) -> list[float | None]:
    """Per row, the req/s it is compared with: the mean of the nearest ceiling rows before and
    after it (one of them at the ends of the run); a ceiling row is compared with itself."""
    ceilings = [(at, float(row["rps"])) for at, row in enumerate(rows) if is_ceiling(row["target"])]
    beside: list[float | None] = []
    for at, row in enumerate(rows):
        if is_ceiling(row["target"]):
            beside.append(float(row["rps"]))
            continue
        before = [rps for where, rps in ceilings if where < at][-1:]
        after = [rps for where, rps in ceilings if where > at][:1]
        near = before + after
        beside.append(sum(near) / len(near) if near else None)
    return beside


def bench_line(path: Path) -> dict[str, str]:
    for line in path.read_text().splitlines():
        if line.startswith("BENCH "):
            return dict(field.split("=", 1) for field in line.split()[1:])
    raise SystemExit(f"no BENCH line in {path}")


def combine(paths: list[Path]) -> str:
    runs = [bench_line(path) for path in paths]
    added = {key: sum(float(run[key]) for run in runs) for key in ("requests", "rps")}
    added |= {key: sum(int(run[key]) for run in runs) for key in ("non2xx", "ok", "socket_errors")}
    worst = {key: max(float(run[key]) for run in runs) for key in ("p50_ms", "p90_ms", "p99_ms")}
    worst["max_ms"] = max(float(run["max_ms"]) for run in runs)
    return (
        f"requests={added['requests']:.0f} seconds={runs[0]['seconds']} rps={added['rps']:.1f} "
        + " ".join(f"{k}={v:.2f}" for k, v in worst.items())
        + f" non2xx={added['non2xx']} ok={added['ok']} socket_errors={added['socket_errors']}"
    )


def revisions_check(row: dict[str, str]) -> tuple[str, bool]:
    if "revisions" not in row:
        return "-", True
    added = int(row["revisions"]) - int(row["revisions_before"])
    low = int(row["ok"]) * int(row["writes"])
    high = low + int(row["connections"]) * int(row["writes"])
    passed = low <= added <= high
    return f"+{added} {'✓' if passed else '✗'} (expected {low}..{high})", passed


def watched(run_dir: Path, target: str) -> tuple[float, float, float] | None:
    """(highest RSS MB, MB grown from a quarter into the load to its end, CPU seconds used)
    over the target's servers, from the `rss cpu-ticks` samples run.sh took once a second."""
    files = sorted(run_dir.glob(f"{target}.rss")) or sorted(run_dir.glob(f"{target}-[0-9].rss"))
    found = []
    for path in files:
        samples = [line.split() for line in path.read_text().splitlines() if line.strip()]
        if len(samples) < 2:
            continue
        rss = [int(kb) / 1024 for kb, _ in samples]
        cpu = (int(samples[-1][1]) - int(samples[0][1])) / os.sysconf("SC_CLK_TCK")
        found.append((max(rss), rss[-1] - rss[len(rss) // 4], cpu))
    if not found:
        return None
    return max(m for m, _, _ in found), max(g for _, g, _ in found), sum(c for _, _, c in found)


def goal_verdict(row: dict[str, str], ratio: float | None, by_target: dict[str, float]) -> str:
    target = row["target"]
    p99 = float(row["p99_ms"])
    if target in SCALE_OF:
        base = by_target.get(SCALE_OF[target])
        if base is None:
            return "p99 ≤ 1.5 x 1k"
        return f"p99 {p99 / base:.2f} x 1k {'✓' if p99 <= 1.5 * base else '✗'} (≤ 1.5)"
    least, most = GOALS.get(target, (None, None))
    if least is None and most is None:
        return "-"
    parts, met = [], True
    if least is not None:
        parts.append(f"≥ {least:.2f}")
        met = met and ratio is not None and ratio >= least
    if most is not None:
        parts.append(f"p99 ≤ {most:.0f}")
        met = met and p99 <= most
    return f"{', '.join(parts)} {'✓' if met else '✗'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, nargs="?")
    parser.add_argument("--command", default="bash bench/run.sh")
    parser.add_argument("--revision", default="unknown", help="git revision measured")
    parser.add_argument("--combine", type=Path, nargs="+", metavar="WRK_TXT")
    args = parser.parse_args()
    if args.combine:
        print(combine(args.combine))
        return 0
    if args.run_dir is None:
        parser.error("run_dir is required")

    rows = parse(args.run_dir / "summary.txt")
    ceiling_of = ceilings_beside(rows)
    p99_of = {r["target"]: float(r["p99_ms"]) for r in rows}
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
    print(
        "| load | req/s | p50 ms | p99 ms | ceiling req/s | ratio to bare | goal (issue 8) "
        "| server CPU µs/request | RSS max MB (growth) | DB bytes/invoice | non-2xx "
        "| socket errors | revisions |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---|")
    all_passed = True
    for row, ceiling in zip(rows, ceiling_of, strict=True):
        rps = float(row["rps"])
        ratio = rps / ceiling if ceiling else None
        check, passed = revisions_check(row)
        all_passed = all_passed and passed
        watch = watched(args.run_dir, row["target"])
        memory_cell = cpu_cell = "-"
        if watch:
            flag = "" if watch[0] < RSS_LIMIT_MB else " ✗"
            memory_cell = f"{watch[0]:.0f} ({watch[1]:+.1f}){flag}"
            # Samples span the load to within a second, so per request is close, not exact.
            cpu_cell = f"{1e6 * watch[2] / max(1.0, float(row['requests'])):.0f}"
        size = "-"
        if "db_bytes" in row:
            size = f"{int(row['db_bytes']) / int(row['invoices']):,.0f}"
        kind = "ceiling" if row["target"].startswith("ceiling-") else row["target"]
        label = LABELS.get(kind, kind).format(
            invoices=int(row.get("invoices", 0)),
            revisions=row.get("revisions_each", "?"),
            target=row["target"],
        )
        print(
            f"| {label} | {rps:,.0f} | {row['p50_ms']} | {row['p99_ms']} "
            f"| {f'{ceiling:,.0f}' if ceiling else '-'} | {f'{ratio:.3f}' if ratio else '-'} "
            f"| {goal_verdict(row, ratio, p99_of)} | {cpu_cell} | {memory_cell} | {size} "
            f"| {row['non2xx']} | {row['socket_errors']} | {check} |"
        )
    two = next((r for r in rows if r["target"] == "postgres-2proc"), None)
    one = next((r for r in rows if r["target"] == "postgres"), None)
    if one and two:
        gain = float(two["rps"]) / float(one["rps"])
        print(f"\nPostgreSQL, 2 processes / 1 process: {gain:.2f} x the throughput.")
    return 0 if all_passed else 1


if __name__ == "__main__":
    sys.exit(main())
