"""Field rules the JSON dialects share: exact numbers, whole quantities, text, error paths.

Bodies are parsed with `web.loads_exact`, so every non-integer number arrives here as an
exact Decimal. Each dialect keeps its own wire names and envelopes; only these rules are
common, so they live outside any one dialect (dialects never import each other).
"""

import re
import sys
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any, TypeVar, get_args

import orjson
from annotated_types import MaxLen, MinLen
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError
from starlette.requests import Request

from invoicegate.domain.invoice import MAX_QUANTITY, ItemSpec
from invoicegate.domain.money import Currency, MoneyError, format_major, parse_minor_units
from invoicegate.edge.errors import BadInput as BadInput  # re-exported for the JSON dialects
from invoicegate.edge.errors import Problem
from invoicegate.edge.requests import loads_exact, read_body
from invoicegate.edge.urls import UrlRefused, checked_url

NOT_STORABLE = "must not contain NUL or unpaired surrogates"


def storable(value: str) -> bool:
    """Whether every database can hold this text: PostgreSQL refuses NUL, UTF-8 surrogates.

    Every text that may reach a query (body fields, path and query parameters) is checked.
    """
    return _NOT_STORABLE.search(value) is None


# NUL, or a lone surrogate (JSON's \ud800 escapes make them); one regex scan in C, where a
# Python loop over every character of every text field cost a few percent of an update.
_NOT_STORABLE = re.compile("[\x00\ud800-\udfff]")


# An invoice id as the service writes it: what str(uuid.UUID(raw)) gives back for it.
_CANONICAL_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_id(raw: str) -> str | None:
    """The id in its canonical form (lowercase, hyphenated), or None if it is no UUID.

    Ids as the service gave them out pass one regex; any other spelling of a UUID (upper
    case, braces, no hyphens) is parsed, as before."""
    if _CANONICAL_ID.fullmatch(raw):
        return raw
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def plain_text(value: str) -> str:
    if not storable(value):
        raise PydanticCustomError("text", NOT_STORABLE)
    return value


def is_text(value: Any, min_length: int, max_length: int) -> bool:
    """Whether `text(max_length, min_length)` takes this JSON value as it is."""
    return type(value) is str and min_length <= len(value) <= max_length and storable(value)


def plain_object(raw: bytes, keys: frozenset[str]) -> dict[str, Any] | None:
    """The body as orjson reads it if it is a JSON object of only these keys, else None.

    For a dialect's plain path beside its models: taking only the models' own keys, no
    ignored value can hold what the models' parser would read otherwise (a float, nesting
    deeper than it accepts: Pydantic's 254 levels, orjson's 1,024).
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return body if type(body) is dict and body.keys() <= keys else None


def plain_fields(model: type[BaseModel], **rules: Any) -> frozenset[str]:
    """The keys a plain path takes for `model`, checked against it when the module loads.

    Each rule names a field of the model and what the model checks it with: the validator
    function its plain check stands in for (`number`, `plain_text`, ...), or the model of
    its items for a list. A rule for a field the model lacks, or whose validator the model
    no longer uses, fails the import; so does a field of the model with no rule unless it is
    optional with None as its default. Such a field needs no rule: the plain path takes
    only these keys, so a body that carries it goes to the model (its absence means None
    on both paths).
    """
    name = model.__name__
    for field_name, rule in rules.items():
        field = model.model_fields.get(field_name)
        if field is None:
            raise AssertionError(f"the plain path checks {field_name!r}, not a field of {name}")
        if isinstance(rule, type):
            uses = rule is field.annotation or rule in get_args(field.annotation)
        else:
            uses = any(getattr(meta, "func", None) is rule for meta in field.metadata)
        if not uses:
            raise AssertionError(
                f"the plain path checks {name}.{field_name} as {rule.__name__}; the model no"
                " longer does"
            )
    for field_name, field in model.model_fields.items():
        if field_name not in rules and (field.is_required() or field.default is not None):
            raise AssertionError(
                f"{name}.{field_name} has no plain rule and is not optional with None as its"
                " default: give it a rule (jsonwire.plain_fields)"
            )
    return frozenset(rules)


def length_bounds(model: type[BaseModel], field_name: str) -> tuple[int, int]:
    """The (min_length, max_length) the model states for one of its fields (0, no limit)."""
    low, high = 0, sys.maxsize
    for meta in model.model_fields[field_name].metadata:
        if isinstance(meta, MinLen):
            low = meta.min_length
        elif isinstance(meta, MaxLen):
            high = meta.max_length
    return low, high


def plain_items(
    value: Any,
    keys: frozenset[str],
    count: tuple[int, int],
    *,
    quantity: str,
    name: str,
    name_length: tuple[int, int],
) -> list[Any] | None:
    """The value if it is a JSON array of `count` line items (min, max), each an object of
    only these keys whose `quantity` is a JSON integer from 1 to MAX_QUANTITY, whose
    "price" is a JSON integer and whose `name` is plain text of `name_length`
    characters; else None (Paylink's plain update body: its items)."""
    if type(value) is not list or not count[0] <= len(value) <= count[1]:
        return None
    shortest, longest = name_length
    for item in value:
        if type(item) is not dict or not item.keys() <= keys:
            return None
        number = item.get(quantity)
        if type(number) is not int or not 1 <= number <= MAX_QUANTITY:
            return None
        if type(item.get("price")) is not int or not is_text(item.get(name), shortest, longest):
            return None
    return value


def text(max_length: int, min_length: int = 1) -> Any:
    return Annotated[
        str, Field(min_length=min_length, max_length=max_length), AfterValidator(plain_text)
    ]


def number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise PydanticCustomError("number", "must be a number")
    return Decimal(value)


def whole_quantity(value: Any) -> int:
    """Whole units only (docs/dialects/paylink.md says why): 2 and 2.0 pass, 1.5 does not."""
    amount = number(value)
    if amount != amount.to_integral_value():
        raise PydanticCustomError(
            "quantity", "must be a whole number (fractional quantities are not supported)"
        )
    if not 1 <= amount <= MAX_QUANTITY:
        raise PydanticCustomError("quantity", f"must be 1 to {MAX_QUANTITY}")
    return int(amount)


def currency_code(value: str) -> str:
    try:
        Currency.of(value)
    except MoneyError as error:
        raise PydanticCustomError("currency", str(error)) from None
    return value


def http_url(value: str) -> str:
    """The service's one URL rule (invoicegate.edge.urls), as a field error."""
    try:
        return checked_url(value)
    except UrlRefused as refused:
        raise PydanticCustomError("url", str(refused)) from None


Amount = Annotated[Decimal, BeforeValidator(number)]
Quantity = Annotated[int, BeforeValidator(whole_quantity)]
CurrencyCode = Annotated[str, Field(min_length=3, max_length=3), AfterValidator(currency_code)]
HttpUrl = Annotated[str, AfterValidator(http_url)]


def wire_amount(minor: int, currency: Currency) -> int | float:
    """A JSON number in major units: whole amounts as integers, others as decimals.

    The float only carries the value onto the wire: up to 15 significant digits its
    shortest repr is exactly the decimal (5200.5 is written 5200.5).
    """
    major = format_major(minor, currency)
    if major == major.to_integral_value():
        return int(major)
    return float(major)


def validation_problems(error: ValidationError) -> list[Problem]:
    """One (field path, reason) per bad field, e.g. ("items[0].price", "must be a number")."""
    problems: list[Problem] = []
    for problem in error.errors(include_url=False):
        kind = problem["type"]
        path = field_path(problem["loc"]) or "body"
        if kind == "missing":
            reason = "is required"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            reason = "must be a JSON object"
        else:
            reason = str(problem["msg"])
        problems.append((path, reason))
    return problems


def field_path(location: tuple[int | str, ...]) -> str:
    """A Pydantic error location as a client writes it: `items[0].price`."""
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


M = TypeVar("M", bound=BaseModel)


async def parse_exact_body(request: Request, model: type[M], limit: int) -> M:
    """The body as `model`, its decimals read exactly; raises BadInput listing every problem.

    A body over `limit` bytes raises BodyTooLarge.
    """
    return validate_exact(await read_body(request, limit), model)


def validate_exact(raw: bytes, model: type[M]) -> M:
    """`parse_exact_body` of a body already read."""
    try:
        data = loads_exact(raw)
    except ValueError:
        raise BadInput([("body", "must be valid JSON")]) from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BadInput(validation_problems(error)) from None


def priced_items(
    lines: Sequence[tuple[str, int, Decimal]],
    items_path: str,
    total: Decimal,
    total_path: str,
    currency: Currency,
    problems: list[Problem],
) -> list[ItemSpec]:
    """(name, quantity, price) lines in minor units, whose stated total must be their sum.

    Every problem is appended to `problems` (the caller raises once, with all of them).
    """
    items: list[ItemSpec] = []
    for index, (name, quantity, price) in enumerate(lines):
        minor = _minor(price, currency, f"{items_path}[{index}].price", problems)
        items.append(ItemSpec(name, quantity, minor or 0))
    stated = _minor(total, currency, total_path, problems)
    if not problems:
        computed = sum(item.quantity * item.unit_price for item in items)
        if stated != computed:
            expected = format_major(computed, currency)
            problems.append((total_path, f"must equal the sum of quantity * price ({expected})"))
    return items


def _minor(value: Decimal, currency: Currency, path: str, problems: list[Problem]) -> int | None:
    try:
        return parse_minor_units(value, currency)
    except MoneyError as error:
        problems.append((path, str(error)))
        return None
