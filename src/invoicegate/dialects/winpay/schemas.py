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

from invoicegate.dialects.jsonwire import plain_text, text
from invoicegate.domain.invoice import MAX_ITEMS, MAX_QUANTITY
from invoicegate.domain.money import Currency, MoneyError, parse_minor_units
from invoicegate.edge.urls import UrlRefused, checked_url

RUPIAH = Currency.of("IDR")
MAX_INTERVAL_MINUTES = 366 * 24 * 60
MAX_REFERENCE_LENGTH = 128
# Only the two harmless back commands; anything else with a script scheme could run code.
BACK_COMMANDS = frozenset({"javascript:history.back()", "javascript:history.go(-1)"})


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
    """One of the two back commands, or a URL by the service's one rule (invoicegate.edge.urls)."""
    if value in BACK_COMMANDS:
        return value
    try:
        return checked_url(value)
    except UrlRefused as refused:
        raise PydanticCustomError(
            "back_url",
            f"must be an http(s) URL or javascript:history.back() / history.go(-1): {refused}",
        ) from None


Rupiah = Annotated[int, BeforeValidator(_rupiah)]


class WireModel(BaseModel):
    # Unknown extra keys are ignored: real clients send them (DIALECTS.md §1).
    model_config = ConfigDict(extra="ignore", strict=True)


class CustomerIn(WireModel):
    name: text(255)  # type: ignore[valid-type]
    email: Annotated[
        Annotated[str, Field(max_length=254), AfterValidator(plain_text)] | None,
        AfterValidator(_email),
    ] = ""
    phone: text(32)  # type: ignore[valid-type]


class ProductIn(WireModel):
    name: text(255)  # type: ignore[valid-type]
    qty: Annotated[StrictInt, Field(ge=1, le=MAX_QUANTITY)]
    price: Rupiah


class InvoiceIn(WireModel):
    ref: text(MAX_REFERENCE_LENGTH)  # type: ignore[valid-type]
    products: Annotated[list[ProductIn], Field(min_length=1, max_length=MAX_ITEMS)]


BackUrl = Annotated[str, AfterValidator(_back_url)]
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
