"""The callback commands: `invoicegate worker` and `invoicegate callbacks list|show|redeliver`."""

import argparse
import asyncio
import json
import signal
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from invoicegate.callbacks.worker import worker_for
from invoicegate.domain.callbacks import CallbackJob, CallbackState, DeliveryAttempt
from invoicegate.runtime import Runtime
from invoicegate.services.ports import JobQuery
from invoicegate.settings import Settings
from invoicegate.store.migrate import upgrade

T = TypeVar("T")
WithRuntime = Callable[[Settings, Callable[[Runtime], Coroutine[Any, Any, T]]], T]


def register(commands: Any, with_runtime: WithRuntime[Any]) -> None:
    """Add the commands to the CLI's subparsers; `with_runtime` runs a job on a runtime."""
    worker = commands.add_parser("worker", help="deliver merchant callbacks (no HTTP service)")
    worker.set_defaults(run=lambda settings, _args: _worker(with_runtime, settings))

    callbacks = commands.add_parser("callbacks", help="the callback delivery log")
    actions = callbacks.add_subparsers(required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="callback jobs, newest first")
    listing.add_argument("--invoice", help="only this invoice's jobs")
    listing.add_argument("--state", choices=[s.value for s in CallbackState])
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.set_defaults(run=lambda settings, args: _list(with_runtime, settings, args))
    show = actions.add_parser("show", help="a job, its body and every attempt, as JSON")
    show.add_argument("job_id", type=int)
    show.set_defaults(run=lambda settings, args: _show(with_runtime, settings, args))
    again = actions.add_parser("redeliver", help="deliver a delivered or failed job again")
    again.add_argument("job_id", type=int)
    again.set_defaults(run=lambda settings, args: _redeliver(with_runtime, settings, args))


def _worker(with_runtime: WithRuntime[int], settings: Settings) -> int:
    upgrade(settings.database_url)  # as `serve` does: whichever starts first migrates
    return with_runtime(settings, _run_worker)


async def _run_worker(runtime: Runtime) -> int:
    """Deliver until SIGTERM or SIGINT, then let deliveries in flight finish briefly."""
    worker = worker_for(runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(worker.run())
    print("callback worker running", flush=True)
    await stop.wait()
    await worker.stop()
    await running
    return 0


def _list(with_runtime: WithRuntime[list[CallbackJob]], settings: Settings, args: Any) -> int:
    query = JobQuery(
        invoice_id=args.invoice,
        state=CallbackState(args.state) if args.state else None,
        limit=args.limit,
    )
    jobs = with_runtime(settings, lambda rt: rt.callbacks.list_jobs(query))
    if args.json:
        print(json.dumps([job_json(job) for job in jobs]))
        return 0
    print(f"{'ID':>6}  {'STATE':9}  {'DIALECT':10}  {'TRIES':>5}  {'INVOICE':36}  URL")
    for job in jobs:
        print(
            f"{job.id:>6}  {job.state.value:9}  {job.dialect:10}  {job.attempts:>5}  "
            f"{job.invoice_id:36}  {job.url}"
        )
    return 0


def _show(with_runtime: WithRuntime[Any], settings: Settings, args: argparse.Namespace) -> int:
    job, attempts = with_runtime(settings, lambda rt: rt.callbacks.show(args.job_id))
    shown = job_json(job) | {
        "body": json.loads(job.body),
        "attempts": [attempt_json(attempt) for attempt in attempts],
    }
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0


def _redeliver(
    with_runtime: WithRuntime[CallbackJob], settings: Settings, args: argparse.Namespace
) -> int:
    job = with_runtime(settings, lambda rt: rt.callbacks.redeliver(args.job_id))
    print(json.dumps(job_json(job)))
    return 0


def job_json(job: CallbackJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "topic": job.topic,
        "invoice_id": job.invoice_id,
        "merchant_id": job.merchant_id,
        "dialect": job.dialect,
        "url": job.url,
        "state": job.state.value,
        "attempts": job.attempts,
        "next_attempt_at": job.next_attempt_at.isoformat(),
        "created_at": job.created_at.isoformat(),
        "delivered_at": job.delivered_at.isoformat() if job.delivered_at else None,
    }


def attempt_json(attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "started_at": attempt.started_at.isoformat(),
        "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
        "url": attempt.url,
        "status": attempt.status,
        "answer": attempt.answer,
        "latency_ms": attempt.latency_ms,
        "error": attempt.error
        if attempt.finished_at
        else "interrupted: no result was recorded (the worker stopped or died)",
    }
