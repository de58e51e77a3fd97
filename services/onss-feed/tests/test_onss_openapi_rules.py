"""What integrators read is typed (issue 11): every 2xx answer of the feed's own routes is
a named model in the OpenAPI (core's health and revocation routes are core's to type)."""

from __future__ import annotations

from guichet_onss_feed.bootstrap import SPEC, build


def test_every_2xx_answer_of_the_feed_is_a_named_model() -> None:
    own = {route.path for router in SPEC.routers for route in router.routes}
    answers = [
        (f"{method} {path} {status}", answer["content"]["application/json"]["schema"])
        for path, operations in build().openapi()["paths"].items()
        if path in own
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
    ]
    assert len(answers) == 2  # a JSON batch, a streamed import
    for name, schema in answers:
        assert "$ref" in schema, name
