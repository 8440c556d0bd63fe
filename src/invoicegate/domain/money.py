"""Money: integer minor units of an ISO-4217 currency; wire amounts are parsed exactly.

Floats never carry money. A wire amount becomes a Decimal first, then an integer count of
minor units, refusing more decimals than the currency has, negatives, and anything past a
signed 64-bit total (what every store column and every gateway can hold).
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_MINOR_UNITS = 2**63 - 1

# ISO 4217 exponents. Most currencies have 2 decimals; these are the exceptions. Note IDR:
# ISO says 2, but rupiah have no fractional part on the wire of the gateways we speak.
_EXPONENT_EXCEPTIONS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IDR": 0, "ISK": 0, "JPY": 0, "KMF": 0,
    "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip
_TWO_DECIMALS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK "
    "LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO "
    "NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST "
    "XCD YER ZAR ZMW ZWL"
).split()
EXPONENTS: dict[str, int] = {code: 2 for code in _TWO_DECIMALS} | _EXPONENT_EXCEPTIONS

# What a gateway sends as a numeric string. Decimal() alone would also take "1_000",
# Arabic-Indic or full-width digits, "NaN" and "Infinity": none of them is an amount.
_PLAIN_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)


class MoneyError(ValueError):
    """A wire amount or currency that cannot be money; the message is for a human."""


@dataclass(frozen=True, slots=True)
class Currency:
    code: str
    exponent: int

    @classmethod
    def of(cls, code: str) -> "Currency":
        currency = _CURRENCIES.get(code)  # built once: they are immutable values
        if currency is None:
            raise MoneyError(f"unknown currency {code!r}: use an ISO-4217 code such as SAR")
        return currency


_CURRENCIES = {code: Currency(code, exponent) for code, exponent in EXPONENTS.items()}


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a wire value: int, float (via its shortest repr) or numeric str."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise MoneyError("must be a finite number or a plain numeric string")
    if isinstance(value, str) and not (len(value) <= 40 and _PLAIN_NUMBER.fullmatch(value)):
        raise MoneyError("must be a finite number or a plain numeric string")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise MoneyError("must be a finite number or a plain numeric string") from None
    if not number.is_finite():
        raise MoneyError("must be a finite number")
    return number


def parse_minor_units(value: object, currency: Currency) -> int:
    """Minor units of a major-unit wire amount; refuses negatives, excess decimals, overflow."""
    if type(value) is int:  # what most gateways send; the same answers without a Decimal
        if value < 0:
            raise MoneyError("must not be negative")
        minor: int = value * 10**currency.exponent
        if minor > MAX_MINOR_UNITS:
            raise MoneyError("is too large")
        return minor
    number = to_decimal(value)
    if number < 0:
        raise MoneyError("must not be negative")
    if number > MAX_MINOR_UNITS:
        raise MoneyError("is too large")
    scaled = number.scaleb(currency.exponent)
    if scaled != scaled.to_integral_value():
        if currency.exponent == 0:
            raise MoneyError(f"must be a whole amount of {currency.code}")
        raise MoneyError(f"has more than {currency.exponent} decimals for {currency.code}")
    minor = int(scaled)
    if minor > MAX_MINOR_UNITS:
        raise MoneyError("is too large")
    return minor


def format_major(minor: int, currency: Currency) -> Decimal:
    """The major-unit Decimal of a minor-unit amount, with exactly the currency's decimals."""
    return Decimal(minor).scaleb(-currency.exponent)
