"""What integrators read of the problems (STYLE 14): each operation of a service's OpenAPI
documents, as application/problem+json, the problems the platform answers for it — 401
and 403 where a token is checked, 503 where keys or the database may be away, 404 and
410 where a path names something, 409 where a write may conflict, 413 and 422 where a
body is read."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"


def status_title(status: int) -> str:
    """A problem's ``title``: the status's own phrase (RFC 9457 §3.1.4)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; the input is never echoed",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}


def _declare(responses: dict[str, Any], status: str, description: str) -> None:
    """A problem response in the OpenAPI; one a route declared itself keeps its words."""
    declared = responses.setdefault(status, {})
    if declared.get("description") in (None, "Validation Error"):  # FastAPI's own words
        declared["description"] = description
    # Errors are only ever answered as problems: FastAPI's application/json 422 is not.
    problem = declared.get("content", {}).get(PROBLEM_JSON, {})
    declared["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA, **problem}}


# What the platform answers, by what an operation takes (STYLE 14): derived here once,
# from the operation's declared rule (a token: ``security``), path and body, never
# written route by route.
TOKEN_PROBLEMS = {
    "401": "No bearer token, or one that is invalid or expired: see WWW-Authenticate",
    "403": "This route's rule does not admit your authority, or you are not competent "
    "for this dossier",
    "503": "The signing keys or the database cannot be reached now: retry after "
    "Retry-After (with the same Idempotency-Key)",
}
PATH_PROBLEMS = {
    "404": "Nothing of that id is known to this service (or it is not yours)",
    "410": "The dossier was erased (Art. 27 of the cooperation agreement, GDPR Art. 17)",
}
WRITE_PROBLEMS = {
    "409": "It changed meanwhile, or its state does not allow this: reload and decide again",
}
BODY_PROBLEMS = {
    "413": "The body is over this route's limit",
    "422": "Invalid input: where and why, never the input",
}


def _problems_of(path: str, method: str, operation: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    authenticated = bool(operation.get("security"))
    if authenticated:
        problems |= TOKEN_PROBLEMS
    if "{" in path:
        problems |= PATH_PROBLEMS
    if authenticated and method in ("post", "put", "patch", "delete"):
        problems |= WRITE_PROBLEMS
    if "requestBody" in operation or any(k.startswith("x-body-limit") for k in operation):
        problems |= BODY_PROBLEMS
    elif "422" in operation.get("responses", {}) or operation.get("parameters"):
        problems["422"] = "Invalid parameters: where and why"
    return problems


def document_problems(app: FastAPI) -> None:
    """Every problem an operation can answer, as application/problem+json, in the OpenAPI."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for status, description in _problems_of(path, method, operation).items():
                    _declare(responses, status, description)
                for status in [s for s in responses if s[:1] in ("4", "5")]:
                    _declare(
                        responses, status, status_title(int(status))
                    )  # a route's own: 400, 429
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
