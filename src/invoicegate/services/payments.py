"""Payment use cases: marking an invoice paid, with its revision in one commit.

The paid invoice records an InvoicePaid event; the unit of work turns it into the
merchant's callback jobs in the same commit (services/events.py).
"""

from datetime import datetime

from invoicegate.domain.channels import channel_for, default_channel
from invoicegate.domain.errors import AmountMismatch, InvoiceNotFound
from invoicegate.domain.invoice import Invoice, Payment, Revision
from invoicegate.services import ids
from invoicegate.services.invoices import Actor, check_version, utc_now
from invoicegate.services.payment_codes import payment_code
from invoicegate.services.ports import Clock, Transactor, UnitOfWork


class PaymentService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def pay_invoice(
        self,
        invoice_id: str,
        *,
        channel: str | None = None,
        fee: int | None = None,
        expected_version: int | None = None,
        actor: str = "operator",
        dialect: str = "cli",
    ) -> Invoice:
        """Pay the whole total through a channel of the invoice's currency (its default if
        None), with that channel's simulated fee unless `fee` is given. Races with other
        payments serialise on the invoice's row lock, races with updates on it or on an
        optimistic update's version guard (decision 0035); `expected_version` refuses
        to pay an invoice that changed since the payer saw it (StaleVersion).
        """

        def work(uow: UnitOfWork) -> Invoice:
            current = uow.invoices.get(invoice_id, for_update=True)
            if current is None:
                raise InvoiceNotFound
            current.ensure_changeable()  # before the version: a second payer hears "paid"
            check_version(current, expected_version)
            chosen = (
                channel_for(current.currency, channel)
                if channel is not None
                else default_channel(current.currency)
            )
            now = self._clock()
            amount = current.total
            payment = Payment(
                id=ids.new_id(),
                channel=chosen.code,
                code=payment_code(chosen, amount),
                payment_ref=ids.new_checkout_slug(),
                amount=amount,
                fee=chosen.fee(amount) if fee is None else fee,
                paid_at=now,
            )
            return _pay(uow, current, payment, actor, dialect, now)

        return await self._tx.write(work)

    async def record_payment(
        self,
        actor: Actor,
        invoice_id: str,
        *,
        amount: int,
        channel: str,
        reference: str,
        expected_version: int | None = None,
    ) -> Invoice:
        """A payment the merchant received outside invoicegate (bank transfer, cash, ...).

        The core knows whole payments only, so the amount must be the invoice's total.
        """

        def work(uow: UnitOfWork) -> Invoice:
            current = uow.invoices.get(invoice_id, for_update=True)
            if current is None or current.merchant_id != actor.merchant_id:
                raise InvoiceNotFound
            current.ensure_changeable()
            check_version(current, expected_version)
            if amount != current.total:
                raise AmountMismatch(current.total)
            now = self._clock()
            payment = Payment(
                id=ids.new_id(),
                channel=channel,
                code=ids.new_checkout_slug().upper(),
                payment_ref=reference,
                amount=amount,
                fee=0,
                paid_at=now,
            )
            return _pay(uow, current, payment, actor.name, actor.dialect, now)

        return await self._tx.write(work)


def _pay(
    uow: UnitOfWork, current: Invoice, payment: Payment, actor: str, dialect: str, now: datetime
) -> Invoice:
    paid = current.paid(payment, now)
    uow.invoices.save(
        paid,
        Revision.of("paid", current, paid, actor=actor, dialect=dialect, at=now),
    )
    return paid
