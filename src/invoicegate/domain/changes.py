"""Field-level changes between two invoice snapshots, each named by a JSON pointer (RFC 6901)."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldChange:
    pointer: str  # "/customer/name"; "" is the whole invoice (its creation)
    before: Any
    after: Any


def field_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """What differs, object members one by one; a list (the items) counts as one value.

    Line items are replaced whole on every change of them, with fresh ids, so an item-by-item
    diff would only ever say "everything"; the list before and after says it plainly.
    """
    if before is None:
        return [FieldChange("", None, after)]
    changes: list[FieldChange] = []
    _diff("", before, after, changes)
    return changes


def _diff(prefix: str, before: Any, after: Any, out: list[FieldChange]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(before.keys() | after.keys()):
            _diff(f"{prefix}/{escape(key)}", before.get(key), after.get(key), out)
    elif before != after:
        out.append(FieldChange(prefix, before, after))


def escape(token: str) -> str:
    """One reference token of a JSON pointer: "~" and "/" are escaped (RFC 6901 §3)."""
    return token.replace("~", "~0").replace("/", "~1")
