"""What the plain-path tests share (Paylink's test_plain_update.py): the seed's body edited
at a path, and the edits Hypothesis draws."""

import json
from typing import Any

from hypothesis import strategies as st


def put(body: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set the value at `path` (keys and indexes from the body) to `value`."""
    holder: Any = body
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = value


def json_values(scalars: st.SearchStrategy[Any], keys: list[str]) -> st.SearchStrategy[Any]:
    """Scalars, and small arrays and objects (with these keys) of them."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(keys), inner)
        ),
        max_leaves=6,
    )


def edited(
    seed: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]], extra: bool
) -> dict[str, Any]:
    """A copy of the seed with each change put in place (one through a value an earlier
    change replaced by a scalar is skipped), and an unknown key if `extra`."""
    body: dict[str, Any] = json.loads(json.dumps(seed))
    for path, value in changes:
        try:
            put(body, path, value)
        except (KeyError, IndexError, TypeError):
            continue
    if extra:
        body["unknown"] = 1
    return body


def disputed_json(seed: str, key: str, number: str, text: str) -> list[str]:
    """Texts of the seed's JSON that orjson and Pydantic's exact parser may read differently,
    or that are no object at all: each must get the models' verdict.

    `key` and `number` are a number field as the seed writes them ('"price"', "260000"),
    `text` one of its string values with its quotes. The first two repeat that field with
    1.5: after it (the 1.5 wins), then before it (the seed's number wins).
    """
    field = f"{key}: {number}"
    return [
        seed.replace(field, f"{field}, {key}: 1.5"),
        seed.replace(field, f"{key}: 1.5, {field}"),
        seed[:-1] + ', "x": ' + "[" * 300 + "]" * 300 + "}",
        seed[:-1] + ', "x": ' + "[" * 1000 + "]" * 1000 + "}",
        seed.replace(text, '"a \\u0000"'),
        seed.replace(text, '"a \\ud800"'),
        seed.replace(number, "NaN"),
        seed.replace(number, "1e400"),
        seed.replace(number, "18446744073709551616"),
        "\ufeff" + seed,
        seed + "x",
        "",
        "null",
        "[]",
    ]
