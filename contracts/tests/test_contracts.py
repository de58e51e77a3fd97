"""Event contracts: frozen, strict, versioned, and published as JSON Schema."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from guichet_contracts import REGISTRY, DomainEvent, EventRegistry, NegativeDecisionTaken
from guichet_contracts.schemas import SCHEMA_DIR, render, schema_documents


def test_every_event_type_is_stable_versioned_and_past_tense() -> None:
    for model in REGISTRY.models():
        assert model.event_type.startswith("be.guichet.")
        assert model.event_type.endswith(f".v{model.schema_version}")
        assert model.model_config.get("frozen") is True
        assert model.model_config.get("extra") == "forbid"
        assert re.search(r"(ed|en|wn)(?=[A-Z]|$)", model.__name__), model.__name__


def test_the_checked_in_json_schemas_are_up_to_date() -> None:
    """`make schemas` regenerates them; integrators read these files."""
    documents = schema_documents()
    on_disk = {path.name for path in SCHEMA_DIR.glob("*.json")}
    assert on_disk == set(documents), "run `make schemas`"
    for name, document in documents.items():
        assert (SCHEMA_DIR / name).read_text(encoding="utf-8") == render(document), (
            f"{name} is stale: run `make schemas`"
        )


def test_a_negative_decision_has_no_room_for_a_reason() -> None:
    """Art. 24: other authorities only learn that a negative decision was taken."""
    fields = set(NegativeDecisionTaken.model_fields)
    assert fields == {"application_id", "step", "authority", "decided_at"}
    with pytest.raises(ValidationError):
        NegativeDecisionTaken.model_validate(
            {
                "application_id": str(uuid.uuid4()),
                "step": "work",
                "authority": "VLG",
                "decided_at": datetime.now(UTC).isoformat(),
                "reason": "insufficient salary",
            }
        )
    schema = json.loads((SCHEMA_DIR / f"{NegativeDecisionTaken.event_type}.json").read_text())
    assert schema["additionalProperties"] is False


def test_events_cannot_be_changed_once_made() -> None:
    event = NegativeDecisionTaken(
        application_id=uuid.uuid4(), step="work", authority="WAL", decided_at=datetime.now(UTC)
    )
    with pytest.raises(ValidationError):
        event.step = "residence"  # type: ignore[misc]


def test_an_old_version_is_upcast_to_the_newest_contract_on_read() -> None:
    registry = EventRegistry()

    class ThingNoted(DomainEvent):
        event_type: ClassVar[str] = "be.guichet.thing.noted.v2"
        schema_version: ClassVar[int] = 2
        label: str
        language: str

    registry.register(ThingNoted)

    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "language": "fr"}  # v1 payloads were all in French

    registry.register_upcaster(
        from_type="be.guichet.thing.noted.v1",
        from_version=1,
        to_type="be.guichet.thing.noted.v2",
        to_version=2,
        fn=v1_to_v2,
    )
    loaded = registry.load(
        "be.guichet.thing.noted.v1", 1, {"application_id": str(uuid.uuid4()), "label": "x"}
    )
    assert isinstance(loaded, ThingNoted)
    assert loaded.language == "fr"


def test_a_superseded_version_is_read_as_the_type_it_is_upcast_to() -> None:
    # A v1 filing still in flight is handled by whoever handles v2: never dropped as a
    # type nobody needs (events are immutable contracts: a new version is upcast).
    from guichet_contracts import REGISTRY

    assert (
        REGISTRY.current_type("be.guichet.application.filed.v1", 1)
        == "be.guichet.application.filed.v2"
    )
    assert (
        REGISTRY.current_type("be.guichet.application.filed.v2", 2)
        == "be.guichet.application.filed.v2"
    )
    assert REGISTRY.current_type("be.guichet.unknown.v9", 9) == "be.guichet.unknown.v9"
