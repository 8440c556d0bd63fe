"""Winpay request bodies as the wire states them, with the tolerances real clients need."""

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
)
from pydantic_core import PydanticCustomError

from invoicegate.domain.invoice import MAX_ITEMS, MAX_QUANTITY
from invoicegate.domain.money import Currency, MoneyError, parse_minor_units

RUPIAH = Currency.of("IDR")
MAX_INTERVAL_MINUTES = 366 * 24 * 60
# Only the two harmless back commands; anything else with a script scheme could run code.
BACK_COMMANDS = frozenset({"javascript:history.back()", "javascript:history.go(-1)"})


def _plain_text(value: str) -> str:
    if "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise PydanticCustomError("text", "must not contain NUL or unpaired surrogates")
    return value


def _rupiah(value: Any) -> int:
    """`price` comes as 260000, 260000.0 or "260000.00" (DIALECTS.md §1): all mean 260000."""
    try:
        return parse_minor_units(value, RUPIAH)
    except MoneyError as error:
        raise PydanticCustomError("price", str(error)) from None


def _email(value: str | None) -> str:
    # The spec types email as a plain optional String, and the seed itself carries
    # "[email protected]": no format check, or the seed would not round-trip. Real
    # clients send "" (and null) for no email.
    return value or ""


def _back_url(value: str) -> str:
    if value in BACK_COMMANDS:
        return value
    lowered = value.lower()
    # No spaces, control characters (NUL, CR, LF...) or surrogates: a URL has none, and a
    # NUL cannot even be stored in a PostgreSQL text column.
    if (
        lowered.startswith(("http://", "https://"))
        and len(value) > len("https://")
        and value.isprintable()
        and " " not in value
    ):
        return value
    raise PydanticCustomError(
        "back_url", "must be an http(s) URL or javascript:history.back() / history.go(-1)"
    )


def _text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(_plain_text),
    ]


Rupiah = Annotated[int, BeforeValidator(_rupiah)]


class WireModel(BaseModel):
    # Unknown extra keys are ignored: real clients send them (DIALECTS.md §1).
    model_config = ConfigDict(extra="ignore", strict=True)


class CustomerIn(WireModel):
    name: _text(255)  # type: ignore[valid-type]
    email: Annotated[
        Annotated[str, Field(max_length=254), AfterValidator(_plain_text)] | None,
        AfterValidator(_email),
    ] = ""
    phone: _text(32)  # type: ignore[valid-type]


class ProductIn(WireModel):
    name: _text(255)  # type: ignore[valid-type]
    qty: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]
    price: Rupiah


class InvoiceIn(WireModel):
    ref: _text(128)  # type: ignore[valid-type]
    products: Annotated[list[ProductIn], Field(min_length=1, max_length=MAX_ITEMS)]


BackUrl = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_back_url)]
Interval = Annotated[StrictInt, Field(ge=1, le=MAX_INTERVAL_MINUTES)]


class CreateInvoiceBody(WireModel):
    customer: CustomerIn
    invoice: InvoiceIn
    back_url: BackUrl
    interval: Interval


class UpdateInvoiceBody(WireModel):
    customer: CustomerIn
    invoice: InvoiceIn
    back_url: BackUrl
    interval: Interval | None = None  # optional on update: keeps the validity when absent
