"""Every route of every service declares who may call it, and its OpenAPI says every
error it can answer (STYLE 13, 14; issue 12).

Who may call a route is data (STYLE 13): one dependency per route, ``require_authority``
for the kinds of caller it admits or ``public`` for the few that take no token (health
probes, the register of access rights of Art. 16 §2, the privacy notice of GDPR Art.
13-14). Whether the admitted caller is competent for *this* dossier, and what it sees of
it (consultation's per-article policy, Art. 11, 21-26), is then the handler's.

What integrators read is true: each operation documents, as application/problem+json,
the problems the platform answers for it (401/403 where a token is checked, 404/410 where
a path names something, 409 where a write may conflict, 413/422 where a body is read).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import declared_rule
from guichet_core.http.problem_docs import PROBLEM_JSON
from reliability.target import SERVICE_MODULES

from .support import environment

SERVICES = SERVICE_MODULES  # every service of the platform


def _app(service: str) -> FastAPI:
    with environment():
        app = importlib.import_module(SERVICES[service]).build()
    assert isinstance(app, FastAPI)
    return app


def _routes(app: FastAPI) -> list[APIRoute]:
    """The app's routes, those of its included routers too (none has a prefix)."""
    found, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            pending.extend(included.routes)
    assert found, "no route found: how does FastAPI keep included routers now?"
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_who_may_call_it(service: str) -> None:
    """STYLE 13: a route without a declared rule fails this test."""
    undeclared = [
        f"{sorted(route.methods)} {route.path}"
        for route in _routes(_app(service))
        if declared_rule(route) is None
    ]
    assert not undeclared, f"{service}: no require_authority(...) nor public: {undeclared}"


# The kinds of caller each formerly handler-checked route admits (STYLE 13): the route
# says who may call at all; the handler, who is competent and what they see.
EXPECTED_RULES = {
    # Art. 14 §1-2: ONSS sends DIMONA, LIMOSA and DmfA, INASTI the self-employed data.
    ("onss-feed", "/batches/{source}"): {Authority.ONSS, Authority.INASTI},
    ("onss-feed", "/imports/{source}"): {Authority.ONSS, Authority.INASTI},
    # GDPR Art. 15, Art. 29 of the agreement: the data subject's own dossiers and log.
    ("consultation", "/me/dossiers"): {Authority.APPLICANT},
    ("consultation", "/me/access-log"): {Authority.APPLICANT},
    # GDPR Art. 15, 20: the export goes to the controller (a region or the Immigration
    # Office, Art. 15 of the agreement) and to the person once answered.
    ("retention", "/rights-requests/{request_id}/export"): {
        Authority.VLG,
        Authority.WAL,
        Authority.BXL,
        Authority.DG,
        Authority.OE,
        Authority.APPLICANT,
    },
}


@pytest.mark.parametrize(("service", "path"), EXPECTED_RULES)
def test_a_route_once_checked_in_its_handler_declares_its_rule(service: str, path: str) -> None:
    (route,) = [r for r in _routes(_app(service)) if r.path == path]
    assert declared_rule(route) == frozenset(EXPECTED_RULES[service, path])


def test_platform_operations_read_no_dossier() -> None:
    """Art. 8: the processor's operators run the platform and read no dossier content."""
    app = _app("consultation")
    for path in ("/dossiers/{dossier_id}", "/dossiers", "/dossiers/search"):
        (route,) = [r for r in _routes(app) if r.path == path]
        rule = declared_rule(route)
        assert isinstance(rule, frozenset)
        assert Authority.PLATFORM_OPS not in rule


def _expected(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The problems the platform can answer for an operation, by what it takes."""
    wanted: set[str] = set()
    if operation.get("security"):
        wanted |= {"401", "403"}  # no or a bad token; a caller the rule does not admit
        wanted.add("503")  # the keys or the database unreachable: retry (issue 12)
    if "{" in path:
        wanted |= {"404", "410"}  # an unknown id; an erased dossier (Art. 27, GDPR Art. 17)
    if method == "post" and operation.get("security"):
        wanted.add("409")  # two writes on one dossier at once, a decided request, …
    if "requestBody" in operation:
        wanted |= {"413", "422"}
    if operation.get("parameters") or "requestBody" in operation:
        wanted.add("422")
    return wanted


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_documents_the_problems_it_can_answer(service: str) -> None:
    schema = _app(service).openapi()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation.get("responses", {})
            for status in sorted(_expected(path, method, operation)):
                content = responses.get(status, {}).get("content", {})
                if PROBLEM_JSON not in content:
                    missing.append(f"{method.upper()} {path} {status}")
    assert not missing, f"{service}: undocumented problems: {missing}"


@pytest.mark.parametrize("service", SERVICES)
def test_an_operation_takes_a_token_exactly_when_its_rule_admits_authorities(
    service: str,
) -> None:
    app = _app(service)
    schema = app.openapi()
    for route in _routes(app):
        for method in route.methods - {"HEAD", "OPTIONS"}:
            operation = schema["paths"][route.path][method.lower()]
            public = not isinstance(declared_rule(route), frozenset)
            assert bool(operation.get("security")) is not public, (method, route.path)


def _untyped(schema: dict[str, Any]) -> bool:
    """A JSON body whose schema names no model: ``dict[str, Any]``, ``Any``, a list of them."""
    if "$ref" in schema or schema.get("type") in {"string", "integer", "number", "boolean"}:
        return False
    if schema.get("type") == "array":
        return _untyped(schema.get("items", {}))
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return any(_untyped(part) for part in schema[union] if part.get("type") != "null")
    return not schema.get("properties")


@pytest.mark.parametrize("service", SERVICES)
def test_every_successful_answer_has_a_typed_schema(service: str) -> None:
    """Integrators code against the OpenAPI (issue 11): no 2xx answer is an untyped object."""
    untyped = [
        f"{method.upper()} {path} {status}"
        for path, operations in _app(service).openapi()["paths"].items()
        for method, operation in operations.items()
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
        for media, content in response.get("content", {}).items()
        if media.endswith("json") and _untyped(content.get("schema", {}))
    ]
    assert not untyped, f"{service}: untyped answers: {untyped}"
