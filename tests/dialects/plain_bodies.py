"""What the dialects' plain-path tests share (test_plain_update.py of Winpay and Paylink):
the seed's body edited at a path, and the edits Hypothesis draws."""

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
