"""Payment channels a customer may pay through, by the invoice's currency, and their fees.

Rupiah invoices are paid through Winpay's channels (codes as Winpay's own SDK names them,
DIALECTS.md §1); every other currency through Paylink's (§3: the SDKs' card brands plus
Apple Pay). Fees are the sandbox's simulated ones (docs/decisions/0008-checkout-page.md).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from invoicegate.domain.errors import InvalidInput
from invoicegate.domain.money import Currency


class ChannelGroup(StrEnum):
    VIRTUAL_ACCOUNT = "virtual_account"
    QRIS = "qris"
    EWALLET = "ewallet"
    RETAIL = "retail"
    CARD = "card"
    WALLET = "wallet"


@dataclass(frozen=True, slots=True)
class Channel:
    code: str  # what payments and callbacks carry
    name: str  # the brand as a customer knows it
    group: ChannelGroup
    fee_percent: Decimal = Decimal(0)  # of the paid amount
    fee_flat: int = 0  # minor units; only for rupiah channels, whose currency is fixed

    def fee(self, amount: int) -> int:
        """The simulated fee on `amount` minor units: never more than the amount itself."""
        percent = (amount * self.fee_percent / 100).to_integral_value(ROUND_HALF_UP)
        return min(amount, int(percent) + self.fee_flat)


def _virtual_account(code: str, name: str) -> Channel:
    return Channel(code, name, ChannelGroup.VIRTUAL_ACCOUNT, fee_flat=4_000)


def _ewallet(code: str, name: str) -> Channel:
    return Channel(code, name, ChannelGroup.EWALLET, fee_percent=Decimal("1.5"))


def _retail(code: str, name: str) -> Channel:
    return Channel(code, name, ChannelGroup.RETAIL, fee_flat=5_000)


RUPIAH_CHANNELS: tuple[Channel, ...] = (
    _virtual_account("BRI", "BRI"),
    _virtual_account("BNI", "BNI"),
    _virtual_account("MANDIRI", "Mandiri"),
    _virtual_account("PERMATA", "Permata"),
    _virtual_account("BSI", "BSI"),
    _virtual_account("MUAMALAT", "Muamalat"),
    _virtual_account("BCA", "BCA"),
    _virtual_account("CIMB", "CIMB Niaga"),
    _virtual_account("SINARMAS", "Sinarmas"),
    _virtual_account("BNC", "BNC"),
    _virtual_account("MAYBANK", "Maybank"),
    Channel("QRIS", "QRIS", ChannelGroup.QRIS, fee_percent=Decimal("0.7")),
    _ewallet("OVO", "OVO"),
    _ewallet("DANA", "DANA"),
    _ewallet("SPAY", "ShopeePay"),
    _ewallet("ASTRA", "AstraPay"),
    _retail("INDOMARET", "Indomaret"),
    _retail("ALFAMART", "Alfamart"),
)

PAYLINK_CHANNELS: tuple[Channel, ...] = (
    Channel("mada", "mada", ChannelGroup.CARD, fee_percent=Decimal("1")),
    Channel("visaMastercard", "Visa / Mastercard", ChannelGroup.CARD, fee_percent=Decimal("2.5")),
    Channel("amex", "American Express", ChannelGroup.CARD, fee_percent=Decimal("2.75")),
    Channel("stcpay", "STC Pay", ChannelGroup.WALLET, fee_percent=Decimal("1.5")),
    Channel("applepay", "Apple Pay", ChannelGroup.WALLET, fee_percent=Decimal("2.5")),
)


def channels_for(currency: Currency) -> tuple[Channel, ...]:
    return RUPIAH_CHANNELS if currency.code == "IDR" else PAYLINK_CHANNELS


def default_channel(currency: Currency) -> Channel:
    """What a payment without a stated channel goes through: BSI for rupiah (the channel of
    Winpay's callback sample), mada otherwise."""
    return channel_for(currency, "BSI" if currency.code == "IDR" else "mada")


def channel_for(currency: Currency, code: str) -> Channel:
    """The channel with this code (any letter case) among the currency's; else InvalidInput."""
    offered = channels_for(currency)
    wanted = code.strip().lower()
    for channel in offered:
        if channel.code.lower() == wanted:
            return channel
    known = ", ".join(channel.code for channel in offered)
    raise InvalidInput([("channel", f"not a channel for {currency.code}: use one of {known}")])


def channel_name(currency: Currency, code: str) -> str:
    """How a customer knows the channel a payment went through (its code, if not ours)."""
    for channel in channels_for(currency):
        if channel.code == code:
            return channel.name
    return code
