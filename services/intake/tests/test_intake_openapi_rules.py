"""What integrators read is typed (issue 11): every 2xx answer of intake's own routes is
a named model in the OpenAPI (core's health and revocation routes are core's to type)."""

from __future__ import annotations

from guichet_intake.bootstrap import SPEC, build


def test_every_2xx_answer_of_intake_is_a_named_model() -> None:
    own = {route.path for router in SPEC.routers for route in router.routes}
    answers = [
        (f"{method} {path} {status}", answer["content"]["application/json"]["schema"])
        for path, operations in build().openapi()["paths"].items()
        if path in own
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
    ]
    assert len(answers) == 4  # file, supply, status, e-box
    for name, schema in answers:
        named = schema.get("items", schema)  # the e-box answers a list of messages
        assert "$ref" in named, name
