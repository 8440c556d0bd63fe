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

from invoicegate.dialects.jsonwire import is_text, plain_items, plain_object, plain_text, text
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


# --- the update body, when it is plainly valid ------------------------------------------

_BODY_KEYS = frozenset(UpdateInvoiceBody.model_fields)
_CUSTOMER_KEYS = frozenset(CustomerIn.model_fields)
_INVOICE_KEYS = frozenset(InvoiceIn.model_fields)
_PRODUCT_KEYS = frozenset(ProductIn.model_fields)


def plain_update(raw: bytes) -> dict[str, Any] | None:
    """The update body as parsed JSON if it is plainly valid, prices in minor units; else None.

    `UpdateInvoiceBody.model_validate_json` builds five models only to be read once: with
    the changes made from them, ~14-17 µs of a Winpay update in the service against ~11-12
    this way (docs/decisions/0032-update-path-cpu.md). A body of exactly the models' keys,
    every value of exactly its JSON type and inside every rule above, is what the models
    accept, with the same values; for anything else (an unknown key, a float or string
    price, a refusal, JSON orjson and Pydantic's parser might read differently) this
    answers None and the models decide, with their own messages.
    tests/dialects/winpay/test_plain_update.py holds the two equal.
    """
    body = plain_object(raw, _BODY_KEYS)  # only the models' keys, at every level
    if body is None:
        return None
    customer = body.get("customer")
    invoice = body.get("invoice")
    if type(customer) is not dict or not customer.keys() <= _CUSTOMER_KEYS:
        return None
    if type(invoice) is not dict or not invoice.keys() <= _INVOICE_KEYS:
        return None
    email = customer.get("email")
    if not (
        is_text(customer.get("name"), 1, 255)
        and is_text(customer.get("phone"), 1, 32)
        and (email is None or is_text(email, 0, 254))
        and is_text(invoice.get("ref"), 1, MAX_REFERENCE_LENGTH)
    ):
        return None
    products = plain_items(
        invoice.get("products"), _PRODUCT_KEYS, MAX_ITEMS, quantity="qty", name="name"
    )
    if products is None:
        return None
    for product in products:
        try:
            product["price"] = parse_minor_units(product["price"], RUPIAH)
        except MoneyError:
            return None
    back_url = body.get("back_url")
    if type(back_url) is not str:
        return None
    if back_url not in BACK_COMMANDS:
        try:
            checked_url(back_url)
        except UrlRefused:
            return None
    interval = body.get("interval")
    if interval is not None and (
        type(interval) is not int or not 1 <= interval <= MAX_INTERVAL_MINUTES
    ):
        return None
    return body
