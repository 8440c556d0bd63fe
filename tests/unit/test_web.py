"""The edge's own Response for JSON answers is Starlette's, headers and all."""

import orjson
import pytest
from starlette.responses import Response

from invoicegate.web import json_answer


@pytest.mark.parametrize("status", [200, 201, 204, 304, 400, 401, 404, 409, 413, 500, 503])
@pytest.mark.parametrize("body", [{}, [], {"responseCode": "2000300", "é": "ü"}, None])
def test_a_json_answer_is_what_starlette_would_send(status: int, body: object) -> None:
    ours = json_answer(status, body)
    theirs = Response(orjson.dumps(body), status, media_type="application/json")
    assert isinstance(ours, Response)
    assert (ours.status_code, ours.body, ours.raw_headers, ours.background) == (
        theirs.status_code,
        theirs.body,
        theirs.raw_headers,
        theirs.background,
    )
    ours.headers["Retry-After"] = "1"  # the dispatcher adds headers this way
    assert ours.raw_headers[-1] == (b"retry-after", b"1")
