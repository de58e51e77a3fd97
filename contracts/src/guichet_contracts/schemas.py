"""JSON Schema export of every contract, for integrators (checked in under contracts/schemas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from guichet_contracts.dossier import SealedDossier
from guichet_contracts.envelope import CloudEventEnvelope
from guichet_contracts.registry import REGISTRY

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_documents() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, for the envelope, the sealed dossier and each registered
    event version."""
    documents: dict[str, dict[str, Any]] = {
        "cloudevent-envelope.json": CloudEventEnvelope.model_json_schema()
    }
    # What ApplicationFiled.dossier holds once opened: the integrators with a need to
    # know (Art. 11) read it too.
    dossier = SealedDossier.model_json_schema()
    version = SealedDossier.model_fields["schema_version"].default
    dossier["$id"] = f"urn:guichet:schema:sealed-dossier.v{version}"
    dossier["x-schema-version"] = version
    documents[f"sealed-dossier.v{version}.json"] = dossier
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
