"""OpenAPI 3.1 from the code: each surface declares its operations, Pydantic gives the schemas.

A surface (a dialect) lists its operations once — method, path, parameters, body model,
answer models, security — and this module turns every surface into one document. Schemas
come from the same Pydantic models that validate requests and render answers, so the
document cannot say one thing while the code does another.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from invoicegate.edge.dispatch import ErrorTable, Render
from invoicegate.edge.errors import BadInput, Problem

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: Literal["path", "query", "header"]
    description: str
    required: bool = True
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True, slots=True)
class Body:
    model: type[BaseModel]
    media_types: tuple[str, ...] = (JSON,)
    examples: dict[str, Any] = field(default_factory=dict)  # name -> a request body


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    description: str
    model: type[BaseModel] | None = None
    media_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)  # name -> description
    examples: dict[str, Any] = field(default_factory=dict)  # name -> an answer body


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str  # a template, "/api/update/{id}": the same in Starlette and in OpenAPI
    operation_id: str
    summary: str
    description: str = ""
    params: tuple[Param, ...] = ()
    query: type[BaseModel] | None = None  # each field is one query parameter
    body: Body | None = None
    answers: tuple[Answer, ...] = ()
    security: tuple[str, ...] = ()  # the surface's security schemes it needs, all at once


@dataclass(frozen=True, slots=True)
class Surface:
    name: str  # the tag, and the prefix of its schemas' names
    title: str
    description: str
    operations: tuple[Operation, ...]
    security_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)


def document(
    surfaces: Sequence[Surface], *, title: str, version: str, description: str
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of all surfaces."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    schemes: dict[str, Any] = {}
    for surface in surfaces:
        refs = _schemas(surface, schemas)
        for name, scheme in surface.security_schemes.items():
            schemes[f"{surface.name}.{name}"] = scheme
        for op in surface.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(surface, op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "tags": [
            {"name": s.name, "description": f"**{s.title}.** {s.description}"} for s in surfaces
        ],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": schemes},
    }


Refs = dict[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _schemas(surface: Surface, into: dict[str, Any]) -> Refs:
    """Each model of the surface once, named `surface.Model`; references between them kept."""
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for op in surface.operations:
        if op.body is not None:
            wanted.append((op.body.model, "validation"))
        wanted += [(a.model, "serialization") for a in op.answers if a.model is not None]
    unique = list(dict.fromkeys(wanted))
    refs, top = models_json_schema(
        unique, ref_template=f"#/components/schemas/{surface.name}.{{model}}"
    )
    for name, schema in top.get("$defs", {}).items():
        into[f"{surface.name}.{name}"] = schema
    return dict(refs)


def _operation(surface: Surface, op: Operation, refs: Refs) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": f"{surface.name}.{op.operation_id}",
        "summary": op.summary,
        "tags": [surface.name],
    }
    if op.description:
        out["description"] = op.description
    params = [_param(p) for p in op.params]
    if op.query is not None:
        params += _query_params(op.query)
    if params:
        out["parameters"] = params
    if op.body is not None:
        schema = refs[(op.body.model, "validation")]
        out["requestBody"] = {
            "required": True,
            "content": {media: _content(schema, op.body.examples) for media in op.body.media_types},
        }
    out["responses"] = {str(a.status): _answer(a, refs) for a in op.answers}
    # One requirement naming every scheme: all of them at once (Winpay's three headers).
    out["security"] = (
        [{f"{surface.name}.{name}": [] for name in op.security}] if op.security else []
    )
    return out


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.where,
        "required": param.required or param.where == "path",
        "description": param.description,
        "schema": param.schema,
    }


def _query_params(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        description = prop.pop("description", "")
        prop.pop("title", None)
        params.append(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": description,
                "schema": prop,
            }
        )
    return params


def _answer(answer: Answer, refs: Refs) -> dict[str, Any]:
    out: dict[str, Any] = {"description": answer.description}
    if answer.headers:
        out["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in answer.headers.items()
        }
    if answer.model is not None:
        schema = refs[(answer.model, "serialization")]
        out["content"] = {answer.media_type: _content(schema, answer.examples)}
    return out


def _content(schema: dict[str, Any], examples: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schema}
    if examples:
        content["examples"] = {name: {"value": value} for name, value in examples.items()}
    return content


def error_answers(
    table: ErrorTable,
    render: Render,
    model: type[BaseModel],
    operation: str,
    sample_problems: Sequence[Problem] = (),
) -> tuple[Answer, ...]:
    """A dialect's error answers, from its error table, each example rendered by its own code.

    Every status the table can answer is listed (the fallback 5xx is not: no input may get
    one); bad input is shown with `sample_problems` as its field-by-field detail.
    """
    invalid = table.lookup(BadInput)
    by_status: dict[int, list[Any]] = {}
    for found in table.answers():
        by_status.setdefault(found.status, []).append(found)
    answers = []
    for status, found_list in sorted(by_status.items()):
        examples = {}
        for found in found_list:
            problems = sample_problems if found is invalid else ()
            rendered = render(found, problems, operation)
            name = " ".join(filter(None, (found.code, found.message.format(operation=operation))))
            examples[name] = orjson.loads(bytes(rendered.body))
        description = "; ".join(examples)
        answers.append(Answer(status, description, model, examples=examples))
    return tuple(answers)


class Declare:
    """Operations of one surface that share its errors and credentials, declared briefly."""

    def __init__(self, errors: Callable[[str], tuple[Answer, ...]], security: tuple[str, ...]):
        self._errors = errors
        self._security = security

    def __call__(
        self,
        method: str,
        path: str,
        name: str,
        summary: str,
        success: Answer,
        *params: Param,
        body: Body | None = None,
        verb: str | None = None,  # the operation's name in the dialect's error messages
        security: tuple[str, ...] | None = None,
    ) -> Operation:
        return Operation(
            method,
            path,
            name,
            summary,
            params=params,
            body=body,
            answers=(success, *self._errors(verb or name)),
            security=self._security if security is None else security,
        )
