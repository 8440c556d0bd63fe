"""The `invoicegate` command: serve, migrate, worker, and operator commands for merchants,
invoices and callbacks."""

import argparse
import asyncio
import gc
import json
import shlex
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from invoicegate import logs
from invoicegate.callbacks import commands as callback_commands
from invoicegate.composition import build_runtime
from invoicegate.domain.errors import DomainError
from invoicegate.domain.merchant import Credential
from invoicegate.edge.urls import UrlRefused, checked_url
from invoicegate.runtime import Runtime
from invoicegate.services.merchants import CALLBACK_DIALECTS
from invoicegate.settings import Settings, SettingsError
from invoicegate.store.migrate import upgrade
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor

T = TypeVar("T")
DEMO_MERCHANT = "Demo merchant"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    settings.ensure_data_dir()
    try:
        return int(args.run(settings, args))
    except DomainError as error:
        print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invoicegate", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, then run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="ensure a demo merchant, print it")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not deliver callbacks in this process"
    )
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="bring the database to the latest schema")
    migrate.set_defaults(run=lambda settings, _args: _migrate(settings))

    merchant = commands.add_parser("merchant", help="manage merchants").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = merchant.add_parser("create", help="create a merchant with its credentials")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--callback-url",
        type=_callback_url,
        help="callbacks of the first Winpay key and the Paylink v2 webhook go here",
    )
    create.add_argument("--json", action="store_true", help="print one JSON object")
    create.set_defaults(run=_merchant_create)
    add = merchant.add_parser("add-credential", help="add another Winpay key + secret")
    add.add_argument("merchant_id")
    add.add_argument("--display-name", required=True, help="invoice display name")
    add.add_argument("--callback-url", type=_callback_url)
    add.set_defaults(run=_merchant_add_credential)
    set_callback = merchant.add_parser(
        "set-callback", help="change where one credential's callbacks go"
    )
    set_callback.add_argument("merchant_id")
    set_callback.add_argument("--dialect", required=True, choices=CALLBACK_DIALECTS)
    set_callback.add_argument("--credential", help="the Winpay key (default: the first one)")
    set_callback.add_argument("url", type=_callback_url)
    set_callback.set_defaults(run=_merchant_set_callback)

    apikey = commands.add_parser("apikey", help="native API keys").add_subparsers(
        required=True, metavar="ACTION"
    )
    key_create = apikey.add_parser("create", help="issue another API key (shown once)")
    key_create.add_argument("merchant_id")
    key_create.add_argument("--name", default="API key", help="what the key is for")
    key_create.set_defaults(run=_apikey_create)
    key_list = apikey.add_parser("list", help="a merchant's API keys (never the keys)")
    key_list.add_argument("merchant_id")
    key_list.set_defaults(run=_apikey_list)
    key_revoke = apikey.add_parser("revoke", help="revoke an API key by its id")
    key_revoke.add_argument("key_id")
    key_revoke.set_defaults(run=_apikey_revoke)

    invoice = commands.add_parser("invoice", help="operate on invoices").add_subparsers(
        required=True, metavar="ACTION"
    )
    pay = invoice.add_parser("pay", help="simulate a payment of the whole invoice")
    pay.add_argument("invoice_id")
    pay.add_argument(
        "--channel", help="a channel of the invoice's currency (default: BSI for IDR, else mada)"
    )
    pay.add_argument(
        "--fee", type=int, help="fee in minor units (default: the channel's simulated fee)"
    )
    pay.set_defaults(run=_invoice_pay)
    show = invoice.add_parser("show", help="print an invoice and its revisions as JSON")
    show.add_argument("invoice_id")
    show.set_defaults(run=_invoice_show)
    callback_commands.register(commands, _with_runtime)
    return parser


def _callback_url(value: str) -> str:
    """The service's one URL rule (invoicegate.edge.urls), as a command-line error."""
    try:
        return checked_url(value)
    except UrlRefused as refused:
        raise argparse.ArgumentTypeError(f"{refused}: {value!r}") from None


def _migrate(settings: Settings) -> int:
    upgrade(settings.database_url)
    return 0


def _with_runtime(settings: Settings, job: Callable[[Runtime], Coroutine[Any, Any, T]]) -> T:
    transactor = open_transactor(
        settings.database_url,
        SecretBox(settings.resolve_secret_key()),
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
    )

    async def run_then_close() -> T:
        try:
            return await job(build_runtime(settings, transactor))
        finally:
            await transactor.aclose()

    return asyncio.run(run_then_close())


def _merchant_create(settings: Settings, args: argparse.Namespace) -> int:
    onboarded = _with_runtime(
        settings, lambda rt: rt.merchants.create_merchant(args.name, args.callback_url)
    )
    out = {
        "merchant_id": onboarded.merchant.id,
        "name": onboarded.merchant.name,
        "winpay": _winpay_json(onboarded.winpay),
        "paylink": {"merchant_id": onboarded.merchant.id, "api_key": onboarded.paylink.secret},
        "paylink_v2": {
            "api_id": onboarded.paylink_v2.credential.public_id,
            "secret_key": onboarded.paylink_v2.secret,
        },
        "native": {"api_key": onboarded.native.secret, "key_id": onboarded.native.credential.id},
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"merchant {out['merchant_id']} ({args.name})")
        print(f"  winpay key:    {onboarded.winpay.public_id}")
        print(f"  winpay secret: {onboarded.winpay.secret}  (shown once; keep it safe)")
        print(f"  paylink X-API-KEY:    {onboarded.paylink.secret}  (shown once)")
        print(f"  paylink v2 apiId:     {onboarded.paylink_v2.credential.public_id}")
        print(f"  paylink v2 secretKey: {onboarded.paylink_v2.secret}  (shown once)")
        print(f"  native API key:       {onboarded.native.secret}  (shown once)")
    return 0


def _merchant_add_credential(settings: Settings, args: argparse.Namespace) -> int:
    credential = _with_runtime(
        settings,
        lambda rt: rt.merchants.add_winpay_credential(
            args.merchant_id, args.display_name, args.callback_url
        ),
    )
    print(json.dumps({"merchant_id": args.merchant_id, "winpay": _winpay_json(credential)}))
    return 0


def _apikey_create(settings: Settings, args: argparse.Namespace) -> int:
    issued = _with_runtime(
        settings, lambda rt: rt.merchants.issue_api_key(args.merchant_id, args.name)
    )
    print(json.dumps({**_key_json(issued.credential), "api_key": issued.secret}))
    return 0


def _apikey_list(settings: Settings, args: argparse.Namespace) -> int:
    keys = _with_runtime(settings, lambda rt: rt.merchants.api_keys(args.merchant_id))
    print(json.dumps([_key_json(key) for key in keys]))
    return 0


def _apikey_revoke(settings: Settings, args: argparse.Namespace) -> int:
    key = _with_runtime(settings, lambda rt: rt.merchants.revoke_api_key(args.key_id))
    print(json.dumps(_key_json(key)))
    return 0


def _key_json(key: Credential) -> dict[str, Any]:
    return {
        "key_id": key.id,
        "merchant_id": key.merchant_id,
        "name": key.display_name,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _merchant_set_callback(settings: Settings, args: argparse.Namespace) -> int:
    credential = _with_runtime(
        settings,
        lambda rt: rt.merchants.set_callback_url(
            args.merchant_id, args.dialect, args.url, args.credential
        ),
    )
    print(
        json.dumps(
            {
                "merchant_id": credential.merchant_id,
                "dialect": credential.dialect,
                "credential": credential.public_id,
                "callback_url": credential.callback_url,
            }
        )
    )
    return 0


def _winpay_json(credential: Credential) -> dict[str, Any]:
    return {"key": credential.public_id, "secret": credential.secret}


def _invoice_pay(settings: Settings, args: argparse.Namespace) -> int:
    invoice = _with_runtime(
        settings,
        lambda rt: rt.payments.pay_invoice(args.invoice_id, channel=args.channel, fee=args.fee),
    )
    payment = invoice.payment
    assert payment is not None
    shown: dict[str, object] = {
        "id": invoice.id,
        "status": invoice.status.value,
        "version": invoice.version,
    }
    shown["payment"] = {
        "id": payment.id,
        "channel": payment.channel,
        "code": payment.code,
        "amount": payment.amount,
        "fee": payment.fee,
        "nett": payment.nett,
    }
    print(json.dumps(shown))
    return 0


def _invoice_show(settings: Settings, args: argparse.Namespace) -> int:
    async def job(rt: Runtime) -> dict[str, Any]:
        def read(uow: Any) -> dict[str, Any]:
            invoice = uow.invoices.get(args.invoice_id)
            if invoice is None:
                return {}
            return {
                "id": invoice.id,
                "merchant_id": invoice.merchant_id,
                "version": invoice.version,
                "invoice": invoice.snapshot(),
                "revisions": [
                    {
                        "version": r.version,
                        "action": r.action,
                        "actor": r.actor,
                        "dialect": r.dialect,
                        "at": r.at.isoformat(),
                        "changed": r.changed,
                        "before": r.before,
                        "after": r.after,
                    }
                    for r in uow.invoices.revisions(invoice.id)
                ],
            }

        return await rt.transactor.read(read)

    shown = _with_runtime(settings, job)
    if not shown:
        print("error: InvoiceNotFound", file=sys.stderr)
        return 1
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return 0


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only serving needs the server

    from invoicegate.app import create_app  # noqa: PLC0415
    from invoicegate.edge.serving import OneWriteHttpToolsProtocol  # noqa: PLC0415

    upgrade(settings.database_url)
    if args.demo:
        _print_demo(settings, _with_runtime(settings, _ensure_demo))
    app = create_app(settings, run_worker=not args.no_worker)
    _tune_garbage_collector()
    _hand_the_gil_over_sooner()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http=OneWriteHttpToolsProtocol,  # uvicorn's httptools, one write per answer (0031)
        access_log=False,  # the app logs each request with its id (edge/pipeline.py)
        log_config=None,
        lifespan="on",
        proxy_headers=False,  # no proxy is assumed; trusting X-Forwarded-* would be wrong
    )
    return 0


def _tune_garbage_collector() -> None:
    """Fewer, cheaper collections: measured p99 of updates 54 ms → 31 ms (docs/benchmarks.md).

    Each request allocates thousands of short-lived containers, so the default threshold
    (700) runs a collection every few requests, and every full one walks everything that
    lives for the whole process (SQLAlchemy and Pydantic caches). Request objects rarely form
    cycles; reference counting frees them. Startup objects are frozen out of collections.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


# How long the event loop's thread may keep the GIL while another thread waits for it
# (CPython's default is 5 ms); decision 0036.
SWITCH_INTERVAL_SECONDS = 0.0002


def _hand_the_gil_over_sooner() -> None:
    """Let the SQLite commit thread have the GIL within 0.2 ms instead of 5.

    A busy event loop never waits on anything that releases the GIL, so the commit thread
    (decision 0002), which needs it a few times per COMMIT, waits out the switch interval
    each time, and the loop then idles for the batch it waits on: 11-16 % of its time at
    5 ms, 6-10 % at 0.2 ms under the update load (docs/decisions/0036).
    """
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)


async def _ensure_demo(rt: Runtime) -> tuple[Credential, str, str]:
    """A demo merchant with one invoice, made on first start and reused afterwards."""
    from invoicegate.dialects.winpay.schemas import RUPIAH  # noqa: PLC0415
    from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec  # noqa: PLC0415
    from invoicegate.services.invoices import Actor  # noqa: PLC0415

    merchant = await rt.transactor.read(
        lambda uow: uow.merchants.find_merchant_by_name(DEMO_MERCHANT)
    )
    if merchant is None:
        merchant = (await rt.merchants.create_merchant(DEMO_MERCHANT)).merchant
    found = await rt.transactor.read(lambda uow: uow.merchants.credentials_of(merchant.id))
    credential = next(c for c in found if c.dialect == "winpay")
    actor = Actor(merchant.id, credential.id, "winpay", frozenset({RUPIAH.code}))
    try:
        invoice = await rt.invoices.find_by_reference(actor, "111130")
    except DomainError:
        invoice = await rt.invoices.create_invoice(
            actor,
            InvoiceTerms(
                reference="111130",
                customer=Customer("Delina Prasetya", "082342341", "delina@example.com"),
                items=[ItemSpec("01002676", 1, 260000)],
                currency=RUPIAH,
                back_url="https://your-invoice-url.com",
                expires_at=rt.now().replace(year=rt.now().year + 1),
            ),
        )
    return credential, invoice.id, invoice.checkout_slug


def _print_demo(settings: Settings, demo: tuple[Credential, str, str]) -> None:
    credential, invoice_id, slug = demo
    body = json.dumps(
        {
            "customer": {
                "name": "Delina Prasetya",
                "email": "delina@example.com",
                "phone": "082342341",
            },
            "invoice": {
                "ref": "111130",
                "products": [{"name": "01002676", "qty": 2, "price": 260000}],
            },
            "back_url": "https://your-invoice-url.com",
        }
    )
    secret = credential.secret or ""
    print(
        f"""
Demo merchant ready (Winpay dialect).
  X-Winpay-Key: {credential.public_id}
  secret:       {secret}
  invoice id:   {invoice_id}
  pay it here:  {settings.public_url}/{slug}  (the checkout page, in a browser)

Update the demo invoice (the seed's Update Invoice call), signed with the secret:

ts=$(date +%Y-%m-%dT%H:%M:%S%:z)
sig=$(printf %s "$ts" | openssl dgst -sha256 -hmac {shlex.quote(secret)} | sed 's/^.* //')
curl -s -X PUT {settings.public_url}/api/update/{invoice_id} \\
  -H 'Content-Type: application/json' \\
  -H 'X-Winpay-Key: {credential.public_id}' \\
  -H "X-Winpay-Timestamp: $ts" -H "X-Winpay-Signature: $sig" \\
  -d {shlex.quote(body)}
""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
