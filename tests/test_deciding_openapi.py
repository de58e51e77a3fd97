"""What integrators read of the deciding services is typed: every 2xx answer of their
routes has a schema naming its fields (issue 11: no untyped 2xx in the OpenAPI)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from guichet_regional_decision import bootstrap as regional
from guichet_residence_decision import bootstrap as residence

from .support import environment


def _typed(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A named model, or a list of them; never a free-form object."""
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}), components)
    reference = schema.get("$ref", "")
    model = components.get(reference.rsplit("/", 1)[-1], {})
    return bool(model.get("properties")) and model.get("additionalProperties") is not True


@pytest.mark.parametrize("service", [regional, residence], ids=lambda s: s.SPEC.name)
def test_every_route_of_a_deciding_service_answers_a_typed_model(service: Any) -> None:
    with environment():
        app = service.build()
    assert isinstance(app, FastAPI)
    document = app.openapi()
    components = document["components"]["schemas"]
    own = {
        (route.path, method.lower())
        for router in service.SPEC.routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    untyped = [
        f"{method.upper()} {path} {status}"
        for path, method in sorted(own)
        for status, answer in document["paths"][path][method]["responses"].items()
        if status.startswith("2")
        and not _typed(answer["content"]["application/json"]["schema"], components)
    ]
    assert untyped == []
