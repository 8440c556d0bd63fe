"""Payment channels by currency, their simulated fees, and the codes a payment hands out."""

import binascii
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicegate.domain.channels import (
    PAYLINK_CHANNELS,
    RUPIAH_CHANNELS,
    Channel,
    ChannelGroup,
    channel_for,
    channel_name,
    channels_for,
    default_channel,
)
from invoicegate.domain.errors import InvalidInput
from invoicegate.domain.money import MAX_MINOR_UNITS, Currency
from invoicegate.services.payment_codes import payment_code, qris_payload

IDR, SAR, KWD = Currency.of("IDR"), Currency.of("SAR"), Currency.of("KWD")


def test_rupiah_invoices_offer_winpays_channels_and_others_paylinks() -> None:
    assert [c.code for c in channels_for(IDR)] == (
        "BRI BNI MANDIRI PERMATA BSI MUAMALAT BCA CIMB SINARMAS BNC MAYBANK "
        "QRIS OVO DANA SPAY ASTRA INDOMARET ALFAMART"
    ).split()
    for currency in (SAR, KWD, Currency.of("USD")):
        assert [c.code for c in channels_for(currency)] == [
            "mada",
            "visaMastercard",
            "amex",
            "stcpay",
            "applepay",
        ]


def test_a_channel_is_found_in_any_letter_case_but_only_for_its_currency() -> None:
    assert channel_for(IDR, "bsi").code == "BSI"
    assert channel_for(SAR, "VISAMASTERCARD").code == "visaMastercard"
    with pytest.raises(InvalidInput) as refused:
        channel_for(IDR, "mada")
    assert refused.value.problems[0][0] == "channel"
    assert "BRI" in refused.value.problems[0][1]
    with pytest.raises(InvalidInput):
        channel_for(SAR, "BSI")


def test_default_channels_and_names() -> None:
    assert default_channel(IDR).code == "BSI"
    assert default_channel(SAR).code == "mada"
    assert channel_name(IDR, "SPAY") == "ShopeePay"
    assert channel_name(IDR, "FASTPAY") == "FASTPAY"  # not ours: shown as it is


@pytest.mark.parametrize(
    ("code", "currency", "amount", "fee"),
    [
        ("BRI", IDR, 260_000, 4_000),  # virtual accounts: Rp4.000 flat
        ("BRI", IDR, 3_000, 3_000),  # never more than the amount
        ("QRIS", IDR, 260_000, 1_820),  # 0.7 %
        ("QRIS", IDR, 50, 0),  # 0.35 rounds half up to 0
        ("QRIS", IDR, 500, 4),  # 3.5 rounds half up to 4
        ("OVO", IDR, 100_000, 1_500),  # e-wallets 1.5 %
        ("ALFAMART", IDR, 260_000, 5_000),  # retail Rp5.000 flat
        ("mada", SAR, 30_100, 301),  # 1 % of SAR 301.00
        ("visaMastercard", SAR, 30_100, 753),  # 2.5 %: 752.5 rounds up
        ("amex", KWD, 12_345, 339),  # 2.75 % of KWD 12.345 = 339.4875
    ],
)
def test_simulated_fees(code: str, currency: Currency, amount: int, fee: int) -> None:
    assert channel_for(currency, code).fee(amount) == fee


@given(st.sampled_from(RUPIAH_CHANNELS + PAYLINK_CHANNELS), st.integers(0, MAX_MINOR_UNITS))
def test_a_fee_is_never_negative_nor_above_the_amount(channel: Channel, amount: int) -> None:
    assert 0 <= channel.fee(amount) <= amount


def test_every_fee_is_a_percentage_or_rupiah() -> None:
    for channel in PAYLINK_CHANNELS:  # any currency: a flat fee would mean nothing there
        assert channel.fee_flat == 0 and channel.fee_percent > Decimal(0)


@pytest.mark.parametrize(
    ("code", "currency", "shape"),
    [
        ("BCA", IDR, r"8\d{15}"),
        ("DANA", IDR, r"\d{12}"),
        ("INDOMARET", IDR, r"[A-HJ-NP-Z2-9]{12}"),
        ("applepay", SAR, r"\d{6}"),
    ],
)
def test_payment_codes_look_like_the_channels(code: str, currency: Currency, shape: str) -> None:
    channel = channel_for(currency, code)
    codes = {payment_code(channel, 260_000) for _ in range(20)}
    assert all(re.fullmatch(shape, c) for c in codes)
    assert len(codes) > 1


def test_a_qris_payload_carries_the_amount_and_a_valid_crc() -> None:
    payload = qris_payload(260_000)
    assert payload.startswith("000201" + "010212")
    assert "5303360" in payload and "5406260000" in payload and "5802ID" in payload
    body, crc = payload[:-4], payload[-4:]
    assert body.endswith("6304")
    assert crc == f"{binascii.crc_hqx(body.encode(), 0xFFFF):04X}"
    # CRC-16/CCITT-FALSE's check value, so the CRC above is the one QR readers compute
    assert binascii.crc_hqx(b"123456789", 0xFFFF) == 0x29B1


def test_channel_groups_cover_every_channel() -> None:
    groups = {c.group for c in RUPIAH_CHANNELS + PAYLINK_CHANNELS}
    assert groups == set(ChannelGroup)
