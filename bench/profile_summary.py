"""Where a py-spy flame graph (SVG) spends its samples: shares by layer and the top self times.

  python bench/profile_summary.py bench/results/latest/sqlite.svg [--top 15]

Samples whose innermost frame is a worker thread waiting for work are left out: what is left
is where the server's CPU goes. A layer's share counts every sample with one of its frames
anywhere on the stack (so layers nest: SQLAlchemy's share includes the driver call inside
it). Self time is where the sample's innermost Python frame was; a C call (sqlite3's
execute, a socket send) shows as the line of the Python frame that made it.
"""

import argparse
import re
from collections import defaultdict
from pathlib import Path

FRAME = re.compile(
    r"<g><title>(?P<title>[^<]*?) \((?P<n>[\d,]+) samples?, [^)]*\)</title>"
    r'<rect [^>]*?y="(?P<y>[\d.]+)"[^>]*?fg:x="(?P<x>\d+)" fg:w="(?P<w>\d+)"'
)
# (layer, pattern on "function (file:line)"). A sample belongs to the layer of its innermost
# frame that matches one, in this order; "inclusive" counts a layer anywhere on the stack.
LAYERS = [
    (
        "driver calls (sqlite3 / psycopg / asyncpg: the database itself)",
        r"\.(do_execute|do_commit) |psycopg/|asyncpg/",
    ),
    ("SQLAlchemy Core", r"sqlalchemy/"),
    ("stdlib logging + our JSON formatter", r"logging/|invoicegate/logs\.py"),
    ("Pydantic validation", r"pydantic"),
    ("Starlette (routing, request, response)", r"starlette/"),
    ("uvicorn, httptools and the event loop", r"uvicorn/"),
    ("anyio / thread hand-off", r"anyio/|concurrent/futures|threading\.py"),
    ("store (invoicegate/store)", r"invoicegate/store/"),
    ("domain + services", r"invoicegate/(domain|services)/"),
    ("dialect edge (invoicegate/dialects)", r"invoicegate/dialects/"),
    ("the HTTP edge (invoicegate/edge)", r"invoicegate/edge/"),
    ("event loop and the rest", r""),
]


# Innermost frames of a thread that waits rather than works (py-spy counts some of them).
IDLE = re.compile(r"^(Condition\.wait|_worker|Event\.wait|Thread\._wait_for_tstate_lock) ")


def summarise(svg: str, top: int) -> str:
    found = [
        (m["title"], float(m["y"]), int(m["x"]), int(m["w"]))
        for m in FRAME.finditer(svg)
        if m["title"] != "all"
    ]
    total = max(x + w for _, _, x, w in found)
    # One entry per sample: the frames on its stack, root first (py-spy draws callees below).
    stacks: list[list[tuple[float, str]]] = [[] for _ in range(total)]
    for title, y, x, w in found:
        for sample in range(x, x + w):
            stacks[sample].append((y, title))
    busy = []
    for stack in stacks:
        stack.sort()
        if stack and not IDLE.search(stack[-1][1]):
            busy.append([title for _, title in stack])
    lines = [
        f"{total} samples, {len(busy)} busy (not waiting in a worker thread); shares of busy:",
        "",
        "| layer | own (innermost match) | inclusive |",
        "|---|---:|---:|",
    ]
    patterns = [(name, re.compile(pattern)) for name, pattern in LAYERS]
    own: dict[str, int] = defaultdict(int)
    for stack in busy:
        matches = (n for t in reversed(stack) for n, rx in patterns[:-1] if rx.search(t))
        layer = next(matches, patterns[-1][0])
        own[layer] += 1
    for name, rx in patterns:
        inclusive = sum(1 for stack in busy if any(rx.search(t) for t in stack))
        share = 100 * own[name] / len(busy)
        lines.append(f"| {name} | {share:.1f} % | {100 * inclusive / len(busy):.1f} % |")
    selfs: dict[str, int] = defaultdict(int)
    for stack in busy:
        selfs[re.sub(r":\d+\)$", ")", stack[-1])] += 1  # one row per function, any line
    lines += ["", f"Top {top} self times:", "", "| function | self |", "|---|---:|"]
    for name, n in sorted(selfs.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"| `{name}` | {100 * n / len(busy):.1f} % |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("svg", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(summarise(args.svg.read_text(), args.top))


if __name__ == "__main__":
    main()
