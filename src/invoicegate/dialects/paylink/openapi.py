"""Paylink's merchant invoices API as OpenAPI: operations, answers and errors (DIALECTS.md §2).

Request schemas are the models that parse requests; error examples are rendered by the
dialect's own error table; the seed's update call is the update's example.
"""

from pydantic import BaseModel, Field

from invoicegate.dialects.paylink.errors import TABLE, render
from invoicegate.dialects.paylink.schemas import CreateInvoiceBody, UpdateInvoiceBody
from invoicegate.openapi import Answer, Body, Declare, Param, Surface, error_answers
from invoicegate.services.ports import MAX_PAGE_SIZE

# shared/seeds/paylink-update-invoice.txt: its request, its answer and its one error.
SEED_UPDATE_REQUEST = {
    "items": [
        {"description": "Web Development Services", "quantity": 1, "price": 5000},
        {"description": "Hosting Services", "quantity": 1, "price": 200},
    ],
    "totalAmount": 5200,
    "dueDate": "2024-07-31",
    "currency": "SAR",
}
SEED_UPDATE_RESPONSE = {"message": "Invoice updated successfully."}
SEED_ERROR = {"message": "Invalid request data"}


class ItemOut(BaseModel):
    description: str
    quantity: int
    price: float = Field(description="major units of `currency`")


class CustomerInfoOut(BaseModel):
    customerName: str
    customerPhone: str


class InvoiceOut(BaseModel):
    invoiceId: str
    merchantId: str
    invoiceNumber: str
    date: str = Field(description="creation date, YYYY-MM-DD (UTC)")
    dueDate: str | None
    items: list[ItemOut]
    totalAmount: float
    currency: str
    customerInfo: CustomerInfoOut
    invoicePaymentUrl: str
    callbackUrl: str | None
    status: str = Field(description="lower case: unpaid, paid, cancelled")


class InvoiceList(BaseModel):
    invoices: list[InvoiceOut]
    page: int
    pageSize: int
    totalCount: int
    totalPages: int


class Message(BaseModel):
    message: str


class FieldProblem(BaseModel):
    field: str
    reason: str


class ErrorAnswer(BaseModel):
    message: str
    errors: list[FieldProblem] | None = Field(None, description="with 400: each bad field")


_MERCHANT = Param("merchantId", "path", "your merchant id (another's answers 404)")
_INVOICE = Param("invoiceId", "path", "the invoice id (UUID)")
_DATE = {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_WHOLE = {"type": "string", "pattern": r"^[0-9]{1,9}$"}
_LIST_FILTERS = (
    Param("status", "query", "unpaid, paid or cancelled", required=False),
    Param("startDate", "query", "created on or after (YYYY-MM-DD)", False, _DATE),
    Param("endDate", "query", "created on or before (YYYY-MM-DD)", False, _DATE),
    Param("customerPhone", "query", "any part of the phone", required=False),
    Param("customerName", "query", "any part of the name, any case", required=False),
    Param("page", "query", "from 1", required=False, schema=_WHOLE),
    Param("pageSize", "query", f"capped at {MAX_PAGE_SIZE}", required=False, schema=_WHOLE),
)


def _errors(name: str) -> tuple[Answer, ...]:
    sample = [("items[0].price", "must be a number")]
    return error_answers(TABLE, render, ErrorAnswer, name.split("_")[0], sample)


_op = Declare(_errors, ("api_key",))


MANY = "/api/merchants/{merchantId}/invoices"
ONE = MANY + "/{invoiceId}"
OPERATIONS = (
    _op(
        "POST",
        MANY,
        "create_invoice",
        "Create an invoice",
        Answer(201, "the invoice", InvoiceOut),
        _MERCHANT,
        body=Body(
            CreateInvoiceBody,
            examples={
                "invoice": {
                    **SEED_UPDATE_REQUEST,
                    "invoiceNumber": "INV-1001",
                    "customerInfo": {"customerName": "Sara", "customerPhone": "966500000001"},
                    "callbackUrl": "https://merchant.example/paylink/callback",
                }
            },
        ),
    ),
    _op(
        "GET",
        MANY,
        "list_invoices",
        "List invoices",
        Answer(200, "one page", InvoiceList),
        _MERCHANT,
        *_LIST_FILTERS,
    ),
    _op(
        "GET",
        ONE,
        "get_invoice",
        "Get an invoice",
        Answer(200, "the invoice", InvoiceOut),
        _MERCHANT,
        _INVOICE,
    ),
    _op(
        "PUT",
        ONE,
        "update_invoice",
        "Update an invoice: the seed's call (all four fields replace the invoice's)",
        Answer(200, "updated", Message, examples={"seed": SEED_UPDATE_RESPONSE}),
        _MERCHANT,
        _INVOICE,
        body=Body(UpdateInvoiceBody, examples={"seed": SEED_UPDATE_REQUEST}),
    ),
    _op(
        "DELETE",
        ONE,
        "delete_invoice",
        "Delete (cancel) an unpaid invoice; it stays readable",
        Answer(
            200, "deleted", Message, examples={"ok": {"message": "Invoice deleted successfully."}}
        ),
        _MERCHANT,
        _INVOICE,
    ),
)

SURFACE = Surface(
    name="paylink",
    title="Paylink merchant invoices API",
    description=(
        "Base URL replaces `https://api.paylink.sa`. Every call carries `X-API-KEY`. Amounts "
        "are decimals in the currency's major unit; `totalAmount` must be the sum of "
        'quantity times price. Bad input answers 400 `{"message": "Invalid request data"}` (the '
        "seed's words) with `errors` beside it."
    ),
    operations=OPERATIONS,
    security_schemes={
        "api_key": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
    },
)
