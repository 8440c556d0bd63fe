"""Paylink's v2 payment API as OpenAPI: auth, the three invoice calls, errors (DIALECTS.md §3).

Request schemas are the models that parse requests; error examples are rendered by the
dialect's own error table.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field

from invoicegate.dialects.paylink_v2.errors import TABLE, render
from invoicegate.dialects.paylink_v2.schemas import AddInvoiceBody, AuthBody, CancelInvoiceBody
from invoicegate.openapi import Answer, Body, Declare, Param, Surface, error_answers


class TokenAnswer(BaseModel):
    id_token: str = Field(description="send as `Authorization: Bearer …`; 30 min, or 30 h")


class ProductOut(BaseModel):
    title: str
    price: float
    qty: int
    description: str | None
    isDigital: bool
    imageSrc: str | None
    specificVat: float | None
    productCost: float | None


class OrderRequest(BaseModel):
    """The addInvoice body as Paylink echoes it."""

    amount: float
    orderNumber: str
    callBackUrl: str | None
    clientEmail: str | None
    clientName: str
    clientMobile: str
    note: str | None
    cancelUrl: str | None
    products: list[ProductOut]
    supportedCardBrands: list[str]
    currency: str
    smsMessage: str | None
    displayPending: bool
    receivers: Any
    partnerPortion: Any
    metadata: Any


class Receipt(BaseModel):
    paymentMethod: str
    paymentDate: str
    passcode: str


class InvoiceAnswer(BaseModel):
    gatewayOrderRequest: OrderRequest
    amount: float
    transactionNo: str
    orderStatus: Literal["Pending", "Paid", "Canceled"]
    paymentErrors: Any
    url: str = Field(description="the payment page")
    qrUrl: str
    mobileUrl: str
    checkUrl: str
    success: bool
    digitalOrder: bool
    foreignCurrencyRate: Any
    paymentReceipt: Receipt | None
    metadata: Any


class CancelAnswer(BaseModel):
    success: Literal["true"] = Field(description='a string: the SDKs accept only "true"')


class FieldProblem(BaseModel):
    field: str
    reason: str


class ErrorAnswer(BaseModel):
    """What the SDKs read: `detail`, then `title`."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


_TOKEN = ("bearer",)


def _errors(name: str) -> tuple[Answer, ...]:
    sample = [("products[0].price", "must be a number")]
    return error_answers(TABLE, render, ErrorAnswer, name, sample)


_op = Declare(_errors, _TOKEN)


OPERATIONS = (
    _op(
        "POST",
        "/api/auth",
        "auth",
        "Trade apiId and secretKey for a bearer token",
        Answer(200, "a token", TokenAnswer),
        body=Body(
            AuthBody,
            examples={"auth": {"apiId": "APP_ID_…", "secretKey": "…", "persistToken": False}},
        ),
        security=(),
    ),
    _op(
        "POST",
        "/api/addInvoice",
        "addInvoice",
        "Create an invoice",
        Answer(200, "the invoice", InvoiceAnswer),
        body=Body(
            AddInvoiceBody,
            examples={
                "sdk": {
                    "orderNumber": "ORD-1001",
                    "amount": 5200,
                    "callBackUrl": "https://merchant.example/paid",
                    "clientName": "Sara",
                    "clientMobile": "966500000001",
                    "currency": "SAR",
                    "products": [
                        {"title": "Web Development Services", "price": 5000, "qty": 1},
                        {"title": "Hosting Services", "price": 200, "qty": 1},
                    ],
                }
            },
        ),
    ),
    _op(
        "GET",
        "/api/getInvoice/{transactionNo}",
        "getInvoice",
        "Get an invoice",
        Answer(200, "the invoice", InvoiceAnswer),
        Param("transactionNo", "path", "addInvoice's transactionNo"),
    ),
    _op(
        "POST",
        "/api/cancelInvoice",
        "cancelInvoice",
        "Cancel an unpaid invoice",
        Answer(200, "cancelled", CancelAnswer),
        body=Body(CancelInvoiceBody),
    ),
)

SURFACE = Surface(
    name="paylink_v2",
    title="Paylink v2 payment API",
    description=(
        "Base URL replaces `https://restpilot.paylink.sa`: Paylink's own SDKs run unchanged. "
        "`POST /api/auth` gives a token; the other calls send it as a bearer token. Amounts "
        "are decimals in the currency's major unit (SAR when `currency` is absent)."
    ),
    operations=OPERATIONS,
    security_schemes={
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    },
)
