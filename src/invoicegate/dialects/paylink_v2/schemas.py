"""Paylink v2 request bodies as Paylink's SDKs send them (DIALECTS.md §3).

The SDKs send every optional field, as null when unset, so null is accepted everywhere an
optional field is.
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from invoicegate.dialects.jsonwire import Amount, CurrencyCode, HttpUrl, Quantity, text
from invoicegate.domain.invoice import MAX_ITEMS


class WireModel(BaseModel):
    # Unknown extra keys are ignored: SDK versions add fields over time.
    model_config = ConfigDict(extra="ignore", strict=True)


class AuthBody(WireModel):
    apiId: text(100)  # type: ignore[valid-type]
    secretKey: text(200)  # type: ignore[valid-type]
    persistToken: bool | None = False


class ProductIn(WireModel):
    title: text(255)  # type: ignore[valid-type]
    price: Amount
    qty: Quantity
    description: text(1000, 0) | None = None  # type: ignore[valid-type]
    isDigital: bool | None = None
    imageSrc: text(2048, 0) | None = None  # type: ignore[valid-type]
    specificVat: Amount | None = None
    productCost: Amount | None = None


class AddInvoiceBody(WireModel):
    orderNumber: text(128)  # type: ignore[valid-type]
    amount: Amount
    callBackUrl: HttpUrl
    clientName: text(255)  # type: ignore[valid-type]
    clientMobile: text(32)  # type: ignore[valid-type]
    products: Annotated[list[ProductIn], Field(min_length=1, max_length=MAX_ITEMS)]
    cancelUrl: HttpUrl | None = None
    clientEmail: text(254, 0) | None = None  # type: ignore[valid-type]
    currency: CurrencyCode | None = None  # SAR when absent
    note: text(1000, 0) | None = None  # type: ignore[valid-type]
    smsMessage: text(1000, 0) | None = None  # type: ignore[valid-type]
    supportedCardBrands: Annotated[list[text(50)], Field(max_length=20)] | None = None  # type: ignore[valid-type]
    displayPending: bool | None = None


class CancelInvoiceBody(WireModel):
    transactionNo: text(100)  # type: ignore[valid-type]
