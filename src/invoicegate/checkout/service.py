"""What the checkout page asks of the core: an invoice by its payment link, and paying it."""

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from invoicegate.domain.invoice import Invoice
from invoicegate.runtime import Runtime
from invoicegate.services.merchants import PAYLINK_V2, WINPAY
from invoicegate.services.ports import UnitOfWork

ACTOR = "checkout:customer"
DIALECT = "checkout"


@dataclass(frozen=True, slots=True)
class Checkout:
    invoice: Invoice
    display_name: str  # the credential's invoice display name (else the merchant's name)
    dialect: str | None  # the dialect of the credential the invoice was created with


@dataclass(frozen=True, slots=True)
class WayBack:
    """Where the customer returns after paying: a link, or (url None) the browser's back."""

    url: str | None


class CheckoutService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    async def find(self, slug: str) -> Checkout | None:
        def work(uow: UnitOfWork) -> Checkout | None:
            invoice = uow.invoices.get_by_checkout_slug(slug)
            if invoice is None:
                return None
            for credential in uow.merchants.credentials_of(invoice.merchant_id):
                if credential.id == invoice.credential_id:
                    return Checkout(invoice, credential.display_name, credential.dialect)
            merchant = uow.merchants.get_merchant(invoice.merchant_id)
            return Checkout(invoice, merchant.name if merchant else "", None)

        return await self._rt.transactor.read(work)

    async def pay(self, checkout: Checkout, channel: str, seen_version: int) -> Invoice:
        """Pay through the one code path every payment takes; the invoice must still be the
        version the customer saw (else StaleVersion)."""
        return await self._rt.payments.pay_invoice(
            checkout.invoice.id,
            channel=channel,
            expected_version=seen_version,
            actor=ACTOR,
            dialect=DIALECT,
        )


def way_back(checkout: Checkout) -> WayBack | None:
    """Winpay's `back_url`; Paylink v2's `callBackUrl` with the order's numbers (§3); the
    Paylink merchant invoices API has none. Only http(s) URLs ever become links."""
    invoice = checkout.invoice
    if checkout.dialect == WINPAY and invoice.back_url:
        if invoice.back_url.lower().startswith("javascript:"):
            return WayBack(None)  # history.back() / history.go(-1): the only ones accepted
        return WayBack(invoice.back_url) if _is_web_url(invoice.back_url) else None
    if checkout.dialect == PAYLINK_V2 and invoice.callback_url:
        if not _is_web_url(invoice.callback_url):
            return None
        parts = urlsplit(invoice.callback_url)
        query = [
            *parse_qsl(parts.query, keep_blank_values=True),
            ("transactionNo", invoice.id),
            ("orderNumber", invoice.reference),
        ]
        return WayBack(urlunsplit(parts._replace(query=urlencode(query))))
    return None


def _is_web_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))
