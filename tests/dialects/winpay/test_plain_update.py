"""The update body's plain path (schemas.plain_update) against the models it stands in for.

Whatever body `plain_update` takes, `UpdateInvoiceBody` must accept too, with the same
changes; whatever it leaves (None), the models decide with their own messages. Bodies are
the seed's, each field replaced by values of every JSON kind and edge, with extra keys,
duplicate keys and deep nesting.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from invoicegate.dialects.winpay import translate
from invoicegate.dialects.winpay.schemas import UpdateInvoiceBody, plain_update
from tests.dialects.plain_bodies import disputed_json, edited, json_values, put
from tests.dialects.winpay.conftest import seed_body

NOW = datetime(2026, 11, 22, 15, 0, 0, 123456, tzinfo=UTC)

SEED = seed_body("e")

# Every place a value sits, as a path of keys from the body.
PATHS = [
    ("customer",),
    ("customer", "name"),
    ("customer", "email"),
    ("customer", "phone"),
    ("invoice",),
    ("invoice", "ref"),
    ("invoice", "products"),
    ("invoice", "products", 0),
    ("invoice", "products", 0, "name"),
    ("invoice", "products", 0, "qty"),
    ("invoice", "products", 0, "price"),
    ("back_url",),
    ("interval",),
]

EDGE_TEXTS = [
    "",
    "a",
    "x" * 32,
    "x" * 33,
    "x" * 128,
    "x" * 129,
    "x" * 254,
    "x" * 255,
    "x" * 256,
    "a\x00b",
    "\ud800",
    "é ü 日本",
    "javascript:history.back()",
    "javascript:history.go(-1)",
    "javascript:alert(1)",
    "https://shop.example/back",
    "http://",
    "ftp://files.example/",
    "https://a.b/\u202e",
]
EDGE_NUMBERS = [
    0,
    1,
    -1,
    1000,
    1001,
    10**6,
    10**6 + 1,
    527040,
    527041,
    2**63,
    2**64,
    10**20,
    1.0,
    1.5,
    260000.0,
    True,
    False,
]

scalars = st.one_of(
    st.sampled_from(EDGE_TEXTS),
    st.sampled_from(EDGE_NUMBERS),
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["260000", "260000.00", "1e3"]),
)
values = json_values(scalars, ["name", "x"])


def _models_accept(raw: bytes) -> bool:
    try:
        UpdateInvoiceBody.model_validate_json(raw)
    except ValidationError:
        return False
    return True


def _same_verdict(raw: bytes) -> bool:
    """True if the plain path took the body (and then the models agree on it)."""
    plain = plain_update(raw)
    if plain is None:
        return False
    try:
        model = UpdateInvoiceBody.model_validate_json(raw)
    except ValidationError as error:  # pragma: no cover - the failure this test exists for
        raise AssertionError(f"plain took a body the models refuse: {raw!r}") from error
    assert translate.plain_update_changes(plain, NOW) == translate.update_changes(model, NOW)
    return True


def test_the_seed_and_its_usual_variants_take_the_plain_path() -> None:
    bodies = [
        SEED,
        SEED | {"interval": 60},
        SEED | {"interval": None},
        SEED | {"back_url": "javascript:history.back()"},
        {**SEED, "customer": {"name": "A", "phone": "1"}},
        {**SEED, "customer": {"name": "A", "phone": "1", "email": None}},
        {**SEED, "customer": {"name": "A", "phone": "1", "email": ""}},
        {**SEED, "invoice": {"ref": "r", "products": [{"name": "p", "qty": 1000, "price": 0}] * 3}},
    ]
    for body in bodies:
        assert _same_verdict(json.dumps(body).encode()), body


@pytest.mark.parametrize("path", PATHS)
def test_every_field_at_every_edge_gets_the_models_verdict(path: tuple[Any, ...]) -> None:
    for value in [*EDGE_TEXTS, *EDGE_NUMBERS, None, [], {}, [1], {"name": "x"}]:
        body = json.loads(json.dumps(SEED))
        put(body, path, value)
        raw = json.dumps(body).encode()
        accepted = _models_accept(raw)
        took = _same_verdict(raw)
        # the plain path takes every valid value of exactly its JSON type
        if accepted and type(value) in (str, int):
            assert took or (path[-1] == "price" and type(value) is str), (path, value)


@settings(max_examples=600, deadline=None)
@given(
    changes=st.lists(st.tuples(st.sampled_from(PATHS), values), max_size=3),
    extra=st.booleans(),
)
def test_a_body_the_plain_path_takes_is_one_the_models_take_alike(
    changes: list[tuple[tuple[Any, ...], Any]], extra: bool
) -> None:
    body = edited(SEED, changes, extra)
    try:
        raw = json.dumps(body).encode()
    except (ValueError, UnicodeEncodeError):
        return
    _same_verdict(raw)


def test_json_the_two_parsers_read_differently_is_left_to_the_models() -> None:
    seed = json.dumps(SEED)
    bodies = disputed_json(seed, '"price"', "260000", '"Delina Prasetya"')
    bodies += [
        # Pydantic's parser refuses nesting orjson would take
        seed[:-1] + ', "interval": ' + "[" * 300 + "]" * 300 + "}",
        seed.replace("260000", "260000.0"),
        seed.replace("260000", "1e5"),
    ]
    for text in bodies:
        raw = text.encode("utf-8", "surrogatepass")
        accepted = _models_accept(raw)
        took = _same_verdict(raw)
        assert not took or accepted
    assert _same_verdict(bodies[1].encode())  # the last duplicate wins in both
    assert not _same_verdict(bodies[0].encode())
