"""What the HTTP edge reads straight from an ASGI scope (no Starlette objects on hot paths)."""

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's first value, as Starlette's `Headers.get` gives it; `name` in lower
    case, as ASGI servers give names.

    Read from the scope's raw list: Starlette's `Headers` mapping, built per request and
    searched with a lower-cased copy of the name, cost three times as much for the few
    headers a dialect reads (docs/decisions/0025-edge-per-request.md).
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
