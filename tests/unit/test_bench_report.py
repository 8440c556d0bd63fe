"""bench/report.py, the table issue 8 is judged by: each ratio against the right ceiling, the
goals' verdicts, and a failed revision check failing the run. Run as run.sh runs it."""

import subprocess
import sys
from pathlib import Path

REPORT = Path(__file__).resolve().parents[2] / "bench" / "report.py"


def row(target: str, rps: float, p99: float = 10.0, **extra: object) -> str:
    fields = {
        "target": target,
        "requests": int(rps * 10),
        "seconds": 10,
        "rps": rps,
        "p50_ms": 1.0,
        "p90_ms": 2.0,
        "p99_ms": p99,
        "max_ms": p99 * 2,
        "non2xx": 0,
        "ok": int(rps * 10),
        "socket_errors": 0,
        **extra,
    }
    return " ".join(f"{key}={value}" for key, value in fields.items())


def landed(rps: float, writes: int = 1) -> dict[str, object]:
    """The revision counts of a load whose every 200 left its revision (none for a find)."""
    return {
        "revisions_before": 1000,
        "revisions": 1000 + int(rps * 10) * writes,
        "writes": writes,
        "connections": 32,
        "invoices": 1000,
        "db_bytes": 4_096_000,
    }


def report(tmp_path: Path, *lines: str) -> tuple[int, dict[str, list[str]]]:
    """The exit code, and each table row's cells by the row's first cell (its label)."""
    run_dir = tmp_path / "20261122T230000Z"  # run.sh names a run's folder so
    run_dir.mkdir()
    (run_dir / "summary.txt").write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [sys.executable, str(REPORT), str(run_dir)], capture_output=True, text=True, check=False
    )
    assert "Traceback" not in done.stderr, done.stderr
    cells = {}
    for line in done.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| load"):
            parts = [cell.strip() for cell in line.strip("|").split("|")]
            cells[parts[0]] = parts
    return done.returncode, cells


def cells_of(cells: dict[str, list[str]], label_start: str) -> list[str]:
    """The one row whose label starts so."""
    [found] = [parts for label, parts in cells.items() if label.startswith(label_start)]
    return found


def ratio_and_goal(cells: dict[str, list[str]], label_start: str) -> tuple[str, str, str]:
    """(ceiling req/s, ratio, goal verdict) of the row whose label starts so."""
    found = cells_of(cells, label_start)
    return found[4], found[5], found[6]


def test_each_row_is_compared_with_the_mean_of_the_ceilings_beside_it(tmp_path: Path) -> None:
    code, cells = report(
        tmp_path,
        row("bare", 20_000),
        row("sqlite", 3_000, **landed(3_000)),
        row("ceiling-1", 30_000),
        row("find-sqlite", 8_700, **landed(8_700, writes=0)),
        row("ceiling-2", 28_000),
        row("postgres", 1_400, p99=60.0, **landed(1_400)),
    )
    assert code == 0
    # 3,000 / mean(20,000, 30,000): short of 0.15.
    assert ratio_and_goal(cells, "Winpay seed update, SQLite") == (
        "25,000",
        "0.120",
        "≥ 0.15, p99 ≤ 20 ✗",
    )
    # 8,700 / mean(30,000, 28,000) = 0.3: the find's goal, met.
    assert ratio_and_goal(cells, "Winpay find") == ("29,000", "0.300", "≥ 0.30 ✓")
    # The last row has a ceiling before it only; its ratio is met, its p99 is not.
    assert ratio_and_goal(cells, "Winpay seed update, PostgreSQL") == (
        "28,000",
        "0.050",
        "≥ 0.07, p99 ≤ 50 ✗",
    )
    # A ceiling is its own.
    assert ratio_and_goal(cells, "bare ASGI app again, ceiling-1") == ("30,000", "1.000", "-")


def test_with_one_ceiling_every_row_is_compared_with_it(tmp_path: Path) -> None:
    """CEILINGS=once: the bare app measured once, at the start."""
    code, cells = report(
        tmp_path,
        row("bare", 20_000),
        row("sqlite", 3_000, p99=12.0, **landed(3_000)),
        row("paylink-sqlite", 3_200, **landed(3_200)),
    )
    assert code == 0
    assert ratio_and_goal(cells, "Winpay seed update, SQLite") == (
        "20,000",
        "0.150",
        "≥ 0.15, p99 ≤ 20 ✓",
    )
    assert ratio_and_goal(cells, "Paylink seed update") == ("20,000", "0.160", "≥ 0.15, p99 ≤ 20 ✓")


def test_a_load_that_did_not_leave_its_revisions_fails_the_run(tmp_path: Path) -> None:
    """An update whose 200s left fewer revisions than answers (a lost write) is a failed
    run, whatever its speed."""
    lost = landed(3_000) | {"revisions": 1000 + 3_000 * 10 - 1}
    code, cells = report(tmp_path, row("bare", 20_000), row("sqlite", 3_000, **lost))
    assert code == 1
    assert cells_of(cells, "Winpay seed update")[-1] == "+29999 ✗ (expected 30000..30032)"
