"""What every native handler shares on the wire: bodies and query strings parsed into models
(a bad one is an invalid-input problem pointing at each bad field), and JSON answers."""

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from invoicegate.dialects.native.problems import INVALID_INPUT, NativeProblem, bad_parameters
from invoicegate.domain.changes import escape

JSON = "application/json"
M = TypeVar("M", bound=BaseModel)


def parse_body(raw: bytes, model: type[M]) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise invalid_body(error) from None


def parse_query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as error:
        problems = []
        for problem in error.errors(include_url=False):
            name = str(problem["loc"][0]) if problem["loc"] else "query"
            reason = (
                "is not a parameter here"
                if problem["type"] == "extra_forbidden"
                else problem["msg"]
            )
            problems.append((name, str(reason)))
        raise bad_parameters(problems) from None


def invalid_body(error: ValidationError) -> NativeProblem:
    items: list[dict[str, str]] = []
    for problem in error.errors(include_url=False):
        kind = problem["type"]
        if kind == "missing":
            reason = "is required"
        elif kind == "extra_forbidden":
            reason = "is not a field here (read-only or unknown)"
        elif kind == "json_invalid":
            reason = "must be valid JSON"
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            reason = "must be a JSON object"
        else:
            reason = str(problem["msg"])
        where = "".join("/" + escape(str(part)) for part in problem["loc"])
        items.append({"pointer": where, "detail": reason})
    detail = "; ".join(f"{i['pointer'] or 'body'}: {i['detail']}" for i in items)
    return NativeProblem(INVALID_INPUT, detail, items)


def json_answer(status: int, answer: BaseModel, headers: dict[str, str] | None = None) -> Response:
    return Response(answer.model_dump_json(), status, headers=headers, media_type=JSON)
