"""JSON Schema export of every contract, for integrators (checked in under contracts/schemas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guichet_contracts.envelope import CloudEventEnvelope
from guichet_contracts.registry import REGISTRY

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for the envelope and each registered event version."""
    documents: dict[str, dict[str, Any]] = {
        "cloudevent-envelope.json": CloudEventEnvelope.model_json_schema()
    }
    for model in REGISTRY.models(historic=True):
        schema = model.model_json_schema()
        schema["$id"] = f"urn:guichet:schema:{model.event_type}"
        schema["x-event-type"] = model.event_type
        schema["x-schema-version"] = model.schema_version
        documents[f"{model.event_type}.json"] = schema
    return documents


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Write every schema file; remove files of contracts that no longer exist."""
    directory.mkdir(parents=True, exist_ok=True)
    documents = schema_documents()
    written = []
    for name, document in documents.items():
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    for stale in directory.glob("*.json"):
        if stale.name not in documents:
            stale.unlink()
    return written
