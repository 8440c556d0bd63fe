"""The composition root: every dialect's callback format, wired into a runtime.

Dialects import the runtime (for its use cases), so the runtime cannot import them; the
entry points (app.py, cli.py) build it here instead. A new dialect registers its format here.
"""

from invoicegate.dialects.native.webhooks import NativeWebhooks
from invoicegate.dialects.paylink.callback import PaylinkCallback
from invoicegate.dialects.paylink_v2.callback import PaylinkV2Callback
from invoicegate.dialects.winpay.callback import WinpayCallback
from invoicegate.runtime import Runtime
from invoicegate.services.callbacks import CallbackFormat
from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, Transactor
from invoicegate.settings import Settings


def callback_formats(settings: Settings) -> dict[str, CallbackFormat]:
    """Each dialect's callbacks (the native API's: its webhooks), by dialect name."""
    formats: list[CallbackFormat] = [
        NativeWebhooks(settings.public_url),
        WinpayCallback(settings.public_url),
        PaylinkCallback(settings.public_url),
        PaylinkV2Callback(),
    ]
    return {fmt.dialect: fmt for fmt in formats}


def build_runtime(settings: Settings, transactor: Transactor, clock: Clock = utc_now) -> Runtime:
    return Runtime.build(settings, transactor, callback_formats(settings), clock)
