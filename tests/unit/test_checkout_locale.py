"""The checkout page's language choice and its Babel formatting of money and time."""

from datetime import UTC, date, datetime, timedelta

import pytest

from invoicegate.checkout.csrf import CsrfTokens
from invoicegate.checkout.locale import Formats, choose_language
from invoicegate.checkout.texts import _TABLE, LANGUAGES, text
from invoicegate.domain.money import Currency

RLM = "\u200f"


@pytest.mark.parametrize(
    ("minor", "code", "language", "shown"),
    [
        (260_000, "IDR", "id", "Rp260.000"),  # whole rupiah: no ",00" (DIALECTS.md §4)
        (260_000, "IDR", "en", "IDR260,000"),
        (260_000, "IDR", "ar", f"{RLM}260,000\xa0IDR"),
        (520_050, "SAR", "en", "SAR5,200.50"),
        (500, "SAR", "id", "SAR5,00"),
        (30_100, "SAR", "ar", f"{RLM}301.00\xa0ر.س.{RLM}"),
        (12_345, "KWD", "en", "KWD12.345"),
        (1_500, "BHD", "en", "BHD1.500"),
        (1_000, "OMR", "id", "OMR1,000"),
        (10**18, "IDR", "id", "Rp1.000.000.000.000.000.000"),
    ],
)
def test_money_has_the_currencys_decimals_in_the_pages_locale(
    minor: int, code: str, language: str, shown: str
) -> None:
    assert Formats(language).money(minor, Currency.of(code)) == shown


@pytest.mark.parametrize(
    ("span", "language", "shown"),
    [
        (timedelta(minutes=59, seconds=59), "id", "59 menit"),
        (timedelta(hours=23, minutes=50), "en", "23 hours and 50 minutes"),
        (timedelta(days=2, hours=4, minutes=5), "en", "2 days and 4 hours"),
        (timedelta(hours=23, minutes=50), "ar", "23 ساعة و50 دقيقة"),
        (timedelta(seconds=5), "en", "1 minute"),  # never "0 minutes" while still payable
    ],
)
def test_time_left_reads_naturally(span: timedelta, language: str, shown: str) -> None:
    assert Formats(language).duration(span) == shown


def test_moments_are_in_the_invoices_home_time_zone() -> None:
    moment = datetime(2025, 1, 1, 3, 0, tzinfo=UTC)
    assert Formats("id").moment(moment, Currency.of("IDR")) == "1 Januari 2025, 10:00 WIB"
    assert Formats("en").moment(moment, Currency.of("SAR")) == "1 January 2025, 06:00 +0300"
    assert Formats("en").day(date(2024, 7, 15)) == "15 July 2024"


def test_directions() -> None:
    assert [Formats(lang).direction for lang in LANGUAGES] == ["ltr", "ltr", "rtl"]


@pytest.mark.parametrize(
    ("asked", "header", "code", "language"),
    [
        ("ar", "id", "IDR", "ar"),
        (None, "in-ID", "SAR", "id"),  # the old code for Indonesian
        (None, "en-US,en;q=0.9", "IDR", "en"),
        (None, "*", "SAR", "ar"),
        (None, "da, en;q=abc", "KWD", "ar"),  # a broken q is no preference
        (None, None, "USD", "en"),
        (None, ";;,,q=1", "IDR", "id"),
    ],
)
def test_choose_language(asked: str | None, header: str | None, code: str, language: str) -> None:
    assert choose_language(asked, header, Currency.of(code)) == language


def test_every_sentence_exists_in_every_language() -> None:
    for key, sentences in _TABLE.items():
        assert len(sentences) == len(LANGUAGES) and all(s.strip() for s in sentences), key
    assert text("en", "pay_button", amount="<b>") == "Pay <b>"  # escaping is the template's


def test_csrf_tokens_are_bound_to_the_slug_and_the_browsers_nonce() -> None:
    tokens = CsrfTokens("a-secret")
    nonce, fresh = tokens.nonce(None)
    assert fresh and tokens.nonce(nonce) == (nonce, False)
    assert tokens.nonce("short")[1] is True  # a junk cookie is replaced
    token = tokens.token("abcdefghijk", nonce)
    assert tokens.valid("abcdefghijk", nonce, token)
    assert not tokens.valid("abcdefghijx", nonce, token)
    assert not tokens.valid("abcdefghijk", tokens.nonce(None)[0], token)
    assert not tokens.valid("abcdefghijk", None, token)
    assert not tokens.valid("abcdefghijk", nonce, None)
    assert not tokens.valid("abcdefghijk", nonce, "é" * 64)
    assert not CsrfTokens("another-secret").valid("abcdefghijk", nonce, token)
