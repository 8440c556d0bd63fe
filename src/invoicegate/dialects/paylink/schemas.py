"""Paylink merchant invoices API bodies as the wire states them (DIALECTS.md §2).

Amounts stay exact Decimals here; they become minor units in `translate`, once the
currency is known.
"""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from invoicegate.dialects.jsonwire import (
    Amount,
    CurrencyCode,
    HttpUrl,
    Quantity,
    currency_code,
    length_bounds,
    number,
    plain_fields,
    plain_items,
    plain_object,
    plain_text,
    text,
    whole_quantity,
)
from invoicegate.domain.invoice import MAX_ITEMS
from invoicegate.domain.money import Currency, MoneyError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PHONE = re.compile(r"\+?[0-9]{5,20}")


def _due_date(value: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise PydanticCustomError("date", "must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date", "is not a real calendar date") from None


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise PydanticCustomError("phone", "must be 5 to 20 digits, like 966500000000")
    return value


DueDate = Annotated[date, BeforeValidator(_due_date)]


class WireModel(BaseModel):
    # Unknown extra keys are ignored, as real clients send them.
    model_config = ConfigDict(extra="ignore", strict=True)


class ItemIn(WireModel):
    description: text(255)  # type: ignore[valid-type]
    quantity: Quantity
    price: Amount


class CustomerInfoIn(WireModel):
    customerName: text(255)  # type: ignore[valid-type]
    customerPhone: Annotated[str, AfterValidator(_phone)]


Items = Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)]


class UpdateInvoiceBody(WireModel):
    """The seed's update: all four fields are required and replace the invoice's own."""

    items: Items
    totalAmount: Amount
    dueDate: DueDate
    currency: CurrencyCode


class CreateInvoiceBody(UpdateInvoiceBody):
    invoiceNumber: text(128)  # type: ignore[valid-type]
    customerInfo: CustomerInfoIn
    callbackUrl: HttpUrl | None = None


# --- the update body, when it is plainly valid ------------------------------------------

# Each field the plain path checks, with the model's validator its check stands in for,
# checked against the models when this module loads (jsonwire.plain_fields); a field the
# models gain without a rule here sends every body that carries it to the models.
_BODY_KEYS = plain_fields(
    UpdateInvoiceBody, items=ItemIn, totalAmount=number, dueDate=_due_date, currency=currency_code
)
_ITEM_KEYS = plain_fields(ItemIn, description=plain_text, quantity=whole_quantity, price=number)
_ITEMS = length_bounds(UpdateInvoiceBody, "items")
_DESCRIPTION = length_bounds(ItemIn, "description")
_CODE = length_bounds(UpdateInvoiceBody, "currency")


def plain_update(raw: bytes) -> dict[str, Any] | None:
    """The update body as parsed JSON if it is plainly valid, `dueDate` a date; else None.

    Reading it exactly (`loads_exact`), validating it through the models and pricing its
    Decimals took ~21 µs of a Paylink update in the service, ~7 this way (medians;
    docs/decisions/0032-update-path-cpu.md).
    A body of only the keys above, every amount and quantity a JSON integer, every value
    inside the models' rules, is what they accept with the same values (an integer is exact
    in any parser); for anything else (a decimal amount, any other key, a refusal, JSON the
    two parsers might read differently) this answers None and the models decide, with
    their own messages. tests/dialects/paylink/test_plain_update.py holds them equal.
    """
    body = plain_object(raw, _BODY_KEYS)
    if body is None:
        return None
    items = plain_items(
        body.get("items"),
        _ITEM_KEYS,
        _ITEMS,
        quantity="quantity",
        name="description",
        name_length=_DESCRIPTION,
    )
    if items is None:
        return None
    if type(body.get("totalAmount")) is not int:
        return None
    code = body.get("currency")
    if type(code) is not str or not _CODE[0] <= len(code) <= _CODE[1]:
        return None
    try:
        Currency.of(code)
    except MoneyError:
        return None
    due = body.get("dueDate")
    if type(due) is not str or not _DATE.fullmatch(due):
        return None
    try:
        body["dueDate"] = date.fromisoformat(due)
    except ValueError:
        return None
    return body
