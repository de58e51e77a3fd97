"""Event payload base class, the registry of known types, and upcasting of old versions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class DomainEvent(BaseModel):
    """A fact that happened to one dossier. Past-tense name, frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int]

    application_id: UUID = Field(description="The dossier (individual electronic dossier) id")


class UnknownEventType(LookupError):
    """No contract is registered under this type string and version."""


class EventRegistry:
    """Maps stable type strings to payload models, and old versions to upcasters.

    An upcaster turns the payload of ``(old_type, old_version)`` into the payload of the
    next version, so readers only ever see the newest model of each event.
    """

    def __init__(self) -> None:
        self._models: dict[str, type[DomainEvent]] = {}
        self._historic: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[tuple[str, int], tuple[str, int, Upcaster]] = {}

    def register(self, model: type[DomainEvent]) -> type[DomainEvent]:
        if model.event_type in self._models:
            raise ValueError(f"event type {model.event_type!r} is registered twice")
        self._models[model.event_type] = model
        return model

    def register_historic(self, model: type[DomainEvent]) -> type[DomainEvent]:
        """Keep a superseded version's model for its published JSON Schema; reads of it
        go through an upcaster to the newest version."""
        self._historic[model.event_type] = model
        return model

    def register_upcaster(
        self, *, from_type: str, from_version: int, to_type: str, to_version: int, fn: Upcaster
    ) -> None:
        self._upcasters[(from_type, from_version)] = (to_type, to_version, fn)

    def models(self, *, historic: bool = False) -> list[type[DomainEvent]]:
        chosen = [*self._models.values(), *(self._historic.values() if historic else ())]
        return sorted(chosen, key=lambda m: m.event_type)

    def current_type(self, event_type: str, schema_version: int) -> str:
        """The type string a payload of ``(event_type, schema_version)`` is read as once
        upcast (``...filed.v1`` -> ``...filed.v2``): what a consumer picks its handler by,
        without decoding the payload. Unknown pairs come back unchanged."""
        seen = 0
        while (event_type, schema_version) in self._upcasters:
            event_type, schema_version, _ = self._upcasters[(event_type, schema_version)]
            seen += 1
            if seen > 50:
                raise ValueError(f"upcaster loop for {event_type!r}")
        return event_type

    def knows(self, event_type: str) -> bool:
        return event_type in self._models or any(t == event_type for t, _ in self._upcasters)

    def load(self, event_type: str, schema_version: int, data: dict[str, Any]) -> DomainEvent:
        """Validate a stored or received payload, upcasting it to the newest version first."""
        seen = 0
        while (event_type, schema_version) in self._upcasters:
            event_type, schema_version, fn = self._upcasters[(event_type, schema_version)]
            data = fn(data)
            seen += 1
            if seen > 50:
                raise ValueError(f"upcaster loop for {event_type!r}")
        model = self._models.get(event_type)
        if model is None or model.schema_version != schema_version:
            raise UnknownEventType(f"no contract for {event_type!r} version {schema_version}")
        return model.model_validate(data)


REGISTRY = EventRegistry()
