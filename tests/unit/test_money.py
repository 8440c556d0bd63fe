"""Money parsing and formatting: exact minor units per currency, and every wire value refused."""

import string
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicegate.domain.money import (
    EXPONENTS,
    MAX_MINOR_UNITS,
    Currency,
    MoneyError,
    format_major,
    parse_minor_units,
)

IDR = Currency.of("IDR")
SAR = Currency.of("SAR")
KWD = Currency.of("KWD")

currencies = st.sampled_from([IDR, SAR, KWD])
minor_units = st.integers(min_value=0, max_value=MAX_MINOR_UNITS)


def test_exponents_of_the_currencies_we_quote() -> None:
    assert (IDR.exponent, SAR.exponent, KWD.exponent) == (0, 2, 3)


@given(currencies, minor_units)
def test_format_then_parse_round_trips(currency: Currency, minor: int) -> None:
    major = format_major(minor, currency)
    assert major.as_tuple().exponent == -currency.exponent
    assert parse_minor_units(major, currency) == minor
    assert parse_minor_units(str(major), currency) == minor


@given(currencies, st.integers(min_value=0, max_value=10**15 - 1))
def test_round_trips_through_a_float_while_it_holds_every_digit(
    currency: Currency, minor: int
) -> None:
    as_float = float(str(format_major(minor, currency)))
    assert parse_minor_units(as_float, currency) == minor


@given(currencies, st.integers(min_value=0, max_value=10**17), st.integers(1, 9))
def test_refuses_more_decimals_than_the_currency_has(
    currency: Currency, minor: int, extra_digit: int
) -> None:
    too_precise = Decimal(minor * 10 + extra_digit).scaleb(-(currency.exponent + 1))
    for value in (too_precise, str(too_precise)):
        with pytest.raises(MoneyError, match=r"whole amount|decimals"):
            parse_minor_units(value, currency)


@given(currencies, st.integers(min_value=-(10**30), max_value=-1))
def test_refuses_negative_ints_and_strings(currency: Currency, amount: int) -> None:
    for value in (amount, str(amount), f"{amount}.00"):
        with pytest.raises(MoneyError, match="negative"):
            parse_minor_units(value, currency)


@given(currencies, st.floats(max_value=-1e-3, allow_nan=False, allow_infinity=False))
def test_refuses_negative_floats(currency: Currency, amount: float) -> None:
    with pytest.raises(MoneyError):
        parse_minor_units(amount, currency)


@pytest.mark.parametrize(
    "value",
    [
        float("inf"),
        float("-inf"),
        float("nan"),
        "Infinity",
        "-Infinity",
        "inf",
        "NaN",
        "sNaN",
        Decimal("Infinity"),
        Decimal("NaN"),
    ],
)
@pytest.mark.parametrize("currency", [IDR, SAR, KWD], ids=lambda c: c.code)
def test_refuses_non_finite_values(value: object, currency: Currency) -> None:
    with pytest.raises(MoneyError, match="finite"):
        parse_minor_units(value, currency)


@pytest.mark.parametrize("value", [True, False])
def test_refuses_bools_although_they_are_ints(value: bool) -> None:
    with pytest.raises(MoneyError, match="must be a finite number"):
        parse_minor_units(value, IDR)


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "abc",
        "12abc",
        "1.2.3",
        "1,000",
        "0x10",
        "$5",
        "5 SAR",
        "--5",
        "1e",
        ".",
        "1" * 41,
        None,
        [],
        {},
        b"5",
        1 + 2j,
        object(),
    ],
)
def test_refuses_garbage(value: object) -> None:
    with pytest.raises(MoneyError, match="must be a finite number"):
        parse_minor_units(value, SAR)


@given(st.text(alphabet=string.ascii_letters + string.punctuation + " ", max_size=40))
def test_refuses_any_string_without_digits(value: str) -> None:
    with pytest.raises(MoneyError):
        parse_minor_units(value, SAR)


@pytest.mark.parametrize(
    "value", ["1_000", "1_0.00", "\u0661\u0662\u0663", "\uff11\uff12", "NaN", "Infinity", "1e"]
)
def test_refuses_numeric_strings_no_gateway_sends(value: str) -> None:
    with pytest.raises(MoneyError):
        parse_minor_units(value, SAR)


@given(currencies, st.integers(min_value=MAX_MINOR_UNITS + 1, max_value=2**80))
def test_refuses_more_minor_units_than_64_bits_hold(currency: Currency, minor: int) -> None:
    major = format_major(minor, currency)
    for value in (major, str(major)):
        with pytest.raises(MoneyError, match="too large"):
            parse_minor_units(value, currency)


@given(currencies, st.integers(min_value=MAX_MINOR_UNITS + 1, max_value=2**200))
def test_refuses_major_amounts_beyond_64_bits(currency: Currency, amount: int) -> None:
    for value in (amount, float(amount)):
        with pytest.raises(MoneyError, match="too large"):
            parse_minor_units(value, currency)
    with pytest.raises(MoneyError):  # past 40 characters a string is refused unread
        parse_minor_units(str(amount), currency)


def test_the_largest_amount_is_accepted_and_one_more_is_not() -> None:
    assert parse_minor_units("92233720368547758.07", SAR) == MAX_MINOR_UNITS
    with pytest.raises(MoneyError, match="too large"):
        parse_minor_units("92233720368547758.08", SAR)
    with pytest.raises(MoneyError, match="too large"):
        parse_minor_units("1e400", IDR)


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        (260000, IDR, 260000),
        (260000.0, IDR, 260000),
        ("260000", IDR, 260000),
        ("260000.00", IDR, 260000),
        (0, IDR, 0),
        ("-0", IDR, 0),
        (12.5, SAR, 1250),
        ("12.50", SAR, 1250),
        (Decimal("12.5"), SAR, 1250),
        ("1.5", KWD, 1500),
        (0.001, KWD, 1),
        ("1e3", SAR, 100000),
    ],
)
def test_accepts_ints_floats_and_numeric_strings(
    value: object, currency: Currency, minor: int
) -> None:
    assert parse_minor_units(value, currency) == minor


def test_float_arithmetic_noise_is_refused_not_rounded() -> None:
    with pytest.raises(MoneyError, match="decimals"):
        parse_minor_units(0.1 + 0.2, SAR)


@pytest.mark.parametrize("code", ["", "XXX", "sar", "US", "DOLLAR", " SAR", "SAR "])
def test_currency_of_rejects_unknown_codes(code: str) -> None:
    with pytest.raises(MoneyError, match="unknown currency"):
        Currency.of(code)


@given(
    st.text(alphabet=string.ascii_letters + " é", max_size=5).filter(lambda c: c not in EXPONENTS)
)
def test_currency_of_knows_only_iso_codes(code: str) -> None:
    with pytest.raises(MoneyError):
        Currency.of(code)


@given(currencies, st.integers(min_value=-(2**70), max_value=2**70))
def test_an_int_answers_as_the_same_decimal_does(currency: Currency, amount: int) -> None:
    """Ints skip the Decimal (parse_minor_units' fast path): the same result or message."""

    def outcome(value: object) -> object:
        try:
            return parse_minor_units(value, currency)
        except MoneyError as error:
            return str(error)

    assert outcome(amount) == outcome(Decimal(amount))
