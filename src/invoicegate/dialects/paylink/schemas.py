"""Paylink merchant invoices API bodies as the wire states them (DIALECTS.md §2).

Amounts stay exact Decimals here; they become minor units in `translate`, once the
currency is known.
"""

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from invoicegate.dialects.jsonwire import Amount, CurrencyCode, HttpUrl, Quantity, text
from invoicegate.domain.invoice import MAX_ITEMS

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
