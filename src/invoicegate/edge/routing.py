"""Which route answers a request: the routes' table, searched by literal prefix and suffix."""

import re
from collections.abc import Sequence
from typing import Any

from starlette.convertors import PathConvertor, StringConvertor, register_url_convertor
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from invoicegate.edge.dispatch import HTTP_METHODS, DispatchedRoute

_ANYTHING = re.compile("")

# (literal prefix and suffix of the path, the route's own regex, the route or None for one
# left to Starlette, whether its path parameters are the matched text as it is), in the
# router's order
Entry = tuple[str, str, re.Pattern[str], DispatchedRoute | None, bool]
# Convertors whose `convert` gives back the matched text itself.
_TEXT_CONVERTORS = (StringConvertor, PathConvertor)


class AnyTextConvertor(PathConvertor):
    """`{name:text}`: a path parameter that may hold anything, "/" and line breaks too.

    Starlette's `path` convertor is `.*`, which stops at a line break: a reference holding
    one (`%0A`) would match no route and never reach its dialect's answer.
    """

    regex = r"[\s\S]*"


register_url_convertor("text", AnyTextConvertor())


def table(routes: Sequence[BaseRoute]) -> list[Entry]:
    """Every route that can answer an HTTP request, in order; the dispatchers' ones usable."""
    table: list[Entry] = []
    for route in routes:
        if isinstance(route, Route):
            prefix, suffix = _literal_ends(route.path)
            dispatched = route if isinstance(route, DispatchedRoute) else None
            text = all(isinstance(c, _TEXT_CONVERTORS) for c in route.param_convertors.values())
            table.append((prefix, suffix, route.path_regex, dispatched, text))
        elif isinstance(route, Mount):
            table.append((route.path, "", _ANYTHING, None, True))
        elif not isinstance(route, WebSocketRoute):  # unknown kind: may match anything
            table.append(("", "", _ANYTHING, None, True))
    return table


def _literal_ends(template: str) -> tuple[str, str]:
    """("/api/merchants/", "/invoices") of "/api/merchants/{merchantId:text}/invoices": every
    path the route matches starts and ends with them. Checked before the route's regex,
    which backtracks over the whole path to find out the same (a template without
    parameters is its own prefix; its regex decides alone)."""
    if "{" not in template:
        return template, ""
    return template.split("{", 1)[0], template.rsplit("}", 1)[1]


def match(
    table: list[Entry], method: str, path: str
) -> tuple[DispatchedRoute, dict[str, Any]] | None:
    """The dispatcher's route Starlette's router would pick, with its path parameters, or
    None to let Starlette decide (another kind of route matches first, or none does)."""
    if method not in HTTP_METHODS:  # a non-standard method: Starlette's neutral 405
        return None
    for prefix, suffix, regex, route, text in table:
        if path.startswith(prefix) and path.endswith(suffix):
            matched = regex.match(path)
            if matched is not None:
                if route is None:
                    return None
                params = matched.groupdict()
                if not text:
                    convertors = route.param_convertors
                    params = {k: convertors[k].convert(v) for k, v in params.items()}
                return route, params
    return None
