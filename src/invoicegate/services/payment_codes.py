"""Simulated payment codes: what each kind of channel hands a customer to pay with."""

import binascii
import secrets

from invoicegate.domain.channels import Channel, ChannelGroup

_UPPER_ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud at a till


def payment_code(channel: Channel, amount: int) -> str:
    """A virtual account number, a QRIS payload, an e-wallet or retail code, an approval code."""
    group = channel.group
    if group is ChannelGroup.VIRTUAL_ACCOUNT:
        return "8" + _digits(15)  # 16 digits, as Indonesian banks' VA numbers run
    if group is ChannelGroup.QRIS:
        return qris_payload(amount)
    if group is ChannelGroup.EWALLET:
        return _digits(12)
    if group is ChannelGroup.RETAIL:
        return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(12))
    return _digits(6)  # a card or wallet approval code


def qris_payload(rupiah: int) -> str:
    """A dynamic QRIS string in EMVCo's tag-length-value layout, ending in its CRC-16."""
    merchant_account = _tlv("00", "ID.CO.QRIS.WWW") + _tlv("01", "9360" + _digits(15))
    body = (
        _tlv("00", "01")  # payload format
        + _tlv("01", "12")  # dynamic: one amount, one payment
        + _tlv("26", merchant_account)
        + _tlv("52", "0000")
        + _tlv("53", "360")  # ISO 4217 numeric for IDR
        + _tlv("54", str(rupiah))
        + _tlv("58", "ID")
        + _tlv("59", "INVOICEGATE SANDBOX")
        + _tlv("60", "JAKARTA")
        + "6304"
    )
    # CRC-16/CCITT-FALSE over everything up to and including the CRC's own tag and length.
    return body + f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def _digits(count: int) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(count))
