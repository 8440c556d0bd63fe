"""The Winpay Checkout Page API as OpenAPI: its operations, envelopes and codes (DIALECTS.md §1).

Request schemas are the models that parse requests; error examples are rendered by the
dialect's own error table and renderer; the seed's update call is the update's example.
"""

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from invoicegate.dialects.winpay.errors import TABLE, renderer
from invoicegate.dialects.winpay.schemas import CreateInvoiceBody, UpdateInvoiceBody
from invoicegate.openapi import Answer, Body, Declare, Param, Surface, error_answers

_SEED_MOMENT = datetime(2023, 10, 25, 7, 12, 14, tzinfo=UTC)  # the seed's responseDate

# shared/seeds/winpay-update-invoice.txt, its request and response samples.
SEED_UPDATE_REQUEST = {
    "customer": {"name": "Delina Prasetya", "email": "[email protected]", "phone": "082342341"},
    "invoice": {"ref": "111130", "products": [{"name": "01002676", "qty": 1, "price": 260000}]},
    "back_url": "https://your-invoice-url.com",
}
SEED_UPDATE_RESPONSE = {
    "responseCode": "2000300",
    "responseMessage": "Invoice Updated",
    "responseDate": "2023-10-25T14:12:14+07:00",
    "responseData": {
        "id": "2edff262-6228-4da1-96d7-729bf9fc85f0",
        "ref": "0000001792131232161",
        "created_at": "2023-10-25 14:12:14",
        "redirect_url": "https://checkout.winpay.id/upu90zxyid",
        "back_url": "https://your-invoice-url.com",
        "customer": {"name": "Delina Prasetya", "email": "[email protected]", "phone": "082342341"},
        "products": [
            {
                "uuid": "92cd6096-ab4a-4e79-be61-c4cdbeedd281",
                "name": "01002676",
                "qty": 1,
                "price": 260000,
            }
        ],
    },
}


class CustomerOut(BaseModel):
    name: str
    email: str
    phone: str


class ProductOut(BaseModel):
    uuid: str
    name: str
    qty: int
    price: int = Field(description="whole rupiah")


class PaymentOut(BaseModel):
    uuid: str
    channel: str
    code: str
    payment_ref: str
    paid_amount: str = Field(pattern=r"^[0-9]+$")
    fee: str = Field(pattern=r"^[0-9]+$")
    nett: str = Field(pattern=r"^[0-9]+$")
    created_at: str
    updated_at: str


class CreatedInvoice(BaseModel):
    id: str
    ref: str
    created_at: str = Field(description="Jakarta time, YYYY-MM-DD HH:MM:SS")
    redirect_url: str = Field(description="the invoice's payment page")
    back_url: str | None
    customer: CustomerOut
    products: list[ProductOut]


class FoundInvoice(CreatedInvoice):
    status: Literal["UNPAID", "PAID"]
    payment: PaymentOut | None = Field(None, description="present once paid")


class _Envelope(BaseModel):
    responseCode: str = Field(description="always a string")
    responseMessage: str
    responseDate: str = Field(description="ISO-8601, +07:00")


class CreatedAnswer(_Envelope):
    responseData: CreatedInvoice


class FoundAnswer(_Envelope):
    responseData: FoundInvoice


class DeletedAnswer(_Envelope):
    responseData: list[str] = Field(max_length=0)


class ErrorAnswer(_Envelope):
    responseData: list[str] = Field(description='one "field: reason" per bad field')


_AUTH = ("key", "timestamp", "signature")
_ID = Param("id", "path", "the invoice id (UUID)")
_REF = Param("ref", "path", "the merchant's reference (may hold /)")


def _errors(name: str) -> tuple[Answer, ...]:
    render = renderer(lambda: _SEED_MOMENT)
    sample = [("invoice.products[0].price", "must not be negative")]
    verb = name.split("_")[0]  # create, find, update, delete: what the messages name
    return error_answers(TABLE, render, ErrorAnswer, verb, sample)


_op = Declare(_errors, _AUTH)


OPERATIONS = (
    _op(
        "POST",
        "/api/create",
        "create_invoice",
        "Create an invoice (201, 2010300)",
        Answer(201, "Invoice created", CreatedAnswer),
        body=Body(CreateInvoiceBody, examples={"seed": {**SEED_UPDATE_REQUEST, "interval": 60}}),
    ),
    _op(
        "GET",
        "/api/find/{id}",
        "find_invoice",
        "Find an invoice by id (2000300)",
        Answer(200, "Invoice Found", FoundAnswer),
        _ID,
    ),
    _op(
        "GET",
        "/api/findByRef/{ref}",
        "find_by_ref",
        "Find an invoice by the merchant's reference (2000300)",
        Answer(200, "Invoice Found", FoundAnswer),
        _REF,
    ),
    _op(
        "PUT",
        "/api/update/{id}",
        "update_invoice",
        "Update an invoice: the seed's call (2000300)",
        Answer(
            200,
            "Invoice Updated (the seed's sample; invoicegate also answers `status`)",
            FoundAnswer,
            examples={"seed": {**SEED_UPDATE_RESPONSE}},
        ),
        _ID,
        body=Body(UpdateInvoiceBody, examples={"seed": SEED_UPDATE_REQUEST}),
    ),
    _op(
        "DELETE",
        "/api/delete/{id}",
        "delete_invoice",
        "Delete (cancel) an invoice by id (2000300)",
        Answer(200, "Invoice has been deleted", DeletedAnswer),
        _ID,
    ),
    _op(
        "DELETE",
        "/api/deleteByRef/{ref}",
        "delete_by_ref",
        "Delete (cancel) an invoice by reference (2000300)",
        Answer(200, "Invoice has been deleted", DeletedAnswer),
        _REF,
    ),
)


def _header(name: str, description: str) -> dict[str, str]:
    return {"type": "apiKey", "in": "header", "name": name, "description": description}


SURFACE = Surface(
    name="winpay",
    title="Winpay Checkout Page API",
    description=(
        "Base URL replaces `https://checkout.winpay.id`. Every call is signed: "
        "`X-Winpay-Signature` = lowercase hex HMAC-SHA256(secret, the exact "
        "`X-Winpay-Timestamp` string), the timestamp within 300 s of server time. Answers use "
        "Winpay's envelope; `responseCode` is always a string."
    ),
    operations=OPERATIONS,
    security_schemes={
        "key": _header("X-Winpay-Key", "the credential's client key (wp_…)"),
        "timestamp": _header("X-Winpay-Timestamp", "ISO-8601 with offset, e.g. +07:00"),
        "signature": _header("X-Winpay-Signature", "hex HMAC-SHA256(secret, timestamp)"),
    },
)
