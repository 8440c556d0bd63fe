"""Frozen dataclasses built at the cost of plain ones, for the few made on every request."""

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Quick(Generic[P, T]):
    """How the hot paths build the frozen, slotted dataclass `kind`: `new(...)` is
    `kind(...)` and `evolved(record, **changes)` is `dataclasses.replace(record, **changes)`,
    with the same result: a `kind`, equal to what those make, still refusing assignment.

    A frozen dataclass's `__init__` sets each field with `object.__setattr__`, to get past
    its own `__setattr__` (which refuses): measured ~0.2-0.5 µs a field on this machine, and
    an invoice has 18, read and made anew three times an update (decision 0024). Here a plain
    twin class with the same fields in the same slots sets them (the interpreter's own slot
    store); its `__post_init__` then makes the object a `kind`: the same slots are the same
    memory layout, so Python allows the `__class__` assignment. Nothing sees the object
    before that.
    """

    def __init__(self, kind: Callable[P, T]) -> None:
        assert isinstance(kind, type) and dataclasses.is_dataclass(kind)
        assert kind.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert "__post_init__" not in vars(kind)  # the twin's would replace it
        fields = dataclasses.fields(kind)
        assert all(f.init and not f.kw_only for f in fields)  # `evolved` passes all, in order
        namespace: dict[str, Any] = {"__annotations__": {f.name: f.type for f in fields}}
        for f in fields:  # the same defaults, so `new` takes exactly what `kind` takes
            namespace[f.name] = dataclasses.field(
                default=f.default, default_factory=f.default_factory
            )

        def __post_init__(made: Any) -> None:
            made.__class__ = kind

        namespace["__post_init__"] = __post_init__
        twin = type(f"_{kind.__name__}Fields", (), namespace)
        self.new: Callable[P, T] = dataclasses.dataclass(slots=True, repr=False, eq=False)(twin)
        # Every field's value at once, in the fields' order (read in C).
        self.values: Callable[[T], tuple[Any, ...]] = attrgetter(*(f.name for f in fields))
        self._index = {f.name: index for index, f in enumerate(fields)}

    def evolved(self, record: T, **changes: Any) -> T:
        values = list(self.values(record))
        for name, value in changes.items():
            values[self._index[name]] = value
        return self.new(*values)  # type: ignore[call-arg]
