"""What integrators read is typed (issue 11): every 2xx answer of consultation's OpenAPI has
a schema, never an untyped object (its own routes: core's are core's)."""

from __future__ import annotations

from typing import Any

from guichet_consultation.bootstrap import SPEC, build

# The service's own routes (core's health and revocation routes are core's to type).
OWN = {route.path for router in SPEC.routers for route in router.routes}


def _vague(schema: dict[str, Any]) -> bool:
    """An object with no named members (``dict[str, Any]``), or a list of them."""
    if schema.get("type") == "array":
        return _vague(schema.get("items", {}))
    return (
        "$ref" not in schema
        and schema.get("type") in ("object", None)
        and not any(
            key in schema for key in ("properties", "anyOf", "oneOf", "allOf", "enum", "const")
        )
    )


def _untyped(schema: dict[str, Any]) -> list[str]:
    found = []
    for path, operations in schema["paths"].items():
        if path not in OWN:
            continue
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                content = answer.get("content", {})
                if not content or not all(media.get("schema") for media in content.values()):
                    found.append(f"{method.upper()} {path} {status}")
                for media in content.values():
                    if _vague(media.get("schema") or {}):
                        found.append(f"{method.upper()} {path} {status}: an untyped object")
    return found


def test_every_2xx_answer_has_a_schema() -> None:
    assert _untyped(build().openapi()) == []
