"""The edge's own pieces: JSON answers as Starlette's, an access line's duration as round()'s."""

import random

import orjson
import pytest
from starlette.responses import Response

from invoicegate.edge.pipeline import duration_ms
from invoicegate.edge.requests import json_answer


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


def test_an_access_lines_duration_is_milliseconds_to_two_decimals_as_round_gives_them() -> None:
    rng = random.Random(8)
    samples = [rng.randrange(0, 10**11) for _ in range(100_000)] + [0, 4_999, 5_001, 10**12]
    for elapsed_ns in samples:
        if abs(elapsed_ns % 10_000 - 5_000) <= 1:
            continue  # an exact half: either neighbour is as right
        assert duration_ms(elapsed_ns) == round(elapsed_ns / 1e9 * 1000, 2), elapsed_ns
    assert duration_ms(12_345_678) == 12.35 and duration_ms(0) == 0.0
