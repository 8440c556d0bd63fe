"""The update body's plain path (schemas.plain_update) against the models it stands in for.

Whatever body the plain path turns into changes, the models (read exactly, then priced)
must accept too, with the same changes; whatever it leaves, the models decide with their
own messages. Bodies are the seed's, each field replaced by values of every JSON kind and
edge, with extra keys, duplicate keys and deep nesting.
"""

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicegate.dialects.jsonwire import validate_exact
from invoicegate.dialects.paylink import translate
from invoicegate.dialects.paylink.schemas import UpdateInvoiceBody, plain_update
from invoicegate.edge.errors import BadInput
from tests.dialects.paylink.conftest import seed_update_body
from tests.dialects.plain_bodies import disputed_json, edited, json_values, put

SEED = seed_update_body()

PATHS = [
    ("items",),
    ("items", 0),
    ("items", 0, "description"),
    ("items", 0, "quantity"),
    ("items", 0, "price"),
    ("items", 1, "price"),
    ("totalAmount",),
    ("currency",),
    ("dueDate",),
]

EDGE_VALUES = [
    "",
    "a",
    "x" * 255,
    "x" * 256,
    "a\x00b",
    "é ü 日本",
    "SAR",
    "sar",
    "KWD",
    "IDR",
    "XXX",
    "USDX",
    "2024-07-31",
    "2024-02-30",
    "2024-7-31",
    "2024-07-31T00:00:00",
    "20240731",
    "2024-W31-3",
    "5200",
    0,
    1,
    -1,
    2,
    199,
    200,
    5000,
    5200,
    5400,
    10400,
    1000,
    1001,
    10**6,
    10**6 + 1,
    2**63,
    2**64,
    10**20,
    1.0,
    5000.5,
    5200.0,
    0.001,
    True,
    False,
    None,
    [],
    {},
    [1],
    {"description": "x"},
]


def _full_path(raw: bytes) -> Any:
    """The models' changes, or the BadInput they raise."""
    try:
        return translate.update_changes(validate_exact(raw, UpdateInvoiceBody))
    except BadInput as refused:
        return refused


def _same_verdict(raw: bytes) -> bool:
    """True if the plain path gave changes (and then the models give the same)."""
    plain = plain_update(raw)
    if plain is None:
        return False
    changes = translate.plain_update_changes(plain)
    full = _full_path(raw)
    if changes is None:  # the plain body's amounts are refused: so must the models' be
        assert isinstance(full, BadInput), raw
        return False
    assert changes == full, raw
    return True


def test_the_seed_and_its_usual_variants_take_the_plain_path() -> None:
    bodies = [
        SEED,
        SEED | {"currency": "KWD", "totalAmount": 5200},
        SEED | {"currency": "IDR"},
        SEED | {"items": [{"description": "a", "quantity": 3, "price": 7}], "totalAmount": 21},
    ]
    for body in bodies:
        assert _same_verdict(json.dumps(body).encode()), body


@pytest.mark.parametrize("path", PATHS)
def test_every_field_at_every_edge_gets_the_models_verdict(path: tuple[Any, ...]) -> None:
    for value in EDGE_VALUES:
        for summed in (False, True):
            body = json.loads(json.dumps(SEED))
            put(body, path, value)
            if summed:  # the stated total made the items' sum, where it can be
                try:
                    body["totalAmount"] = sum(i["quantity"] * i["price"] for i in body["items"])
                except (KeyError, TypeError):
                    continue
            raw = json.dumps(body).encode()
            took = _same_verdict(raw)
            if not isinstance(_full_path(raw), BadInput) and type(value) in (str, int):
                assert took, (path, value)  # every valid value of exactly its JSON type


scalars = st.one_of(
    st.sampled_from(EDGE_VALUES[:-4]),
    st.none(),
    st.text(max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = json_values(scalars, ["price", "x"])


@settings(max_examples=600, deadline=None)
@given(
    changes=st.lists(st.tuples(st.sampled_from(PATHS), values), max_size=3),
    extra=st.booleans(),
)
def test_a_body_the_plain_path_takes_is_one_the_models_take_alike(
    changes: list[tuple[tuple[Any, ...], Any]], extra: bool
) -> None:
    body = edited(SEED, changes, extra)
    _same_verdict(json.dumps(body).encode())


def test_json_the_two_parsers_read_differently_is_left_to_the_models() -> None:
    seed = json.dumps(SEED)
    bodies = disputed_json(seed, '"totalAmount"', "5200", '"Hosting Services"')
    bodies.append(seed.replace("5200", "5200.000000000000001"))
    for text in bodies:
        _same_verdict(text.encode("utf-8", "surrogatepass"))
    for encoding in ("utf-16", "utf-32"):  # the exact parser reads these; orjson does not
        assert plain_update(seed.encode(encoding)) is None
    assert _same_verdict(bodies[1].encode())  # the last duplicate wins in both
    assert not _same_verdict(bodies[0].encode())
