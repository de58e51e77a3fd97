"""The CloudEvents 1.0 envelope every Guichet event travels in.

On Kafka (and in the embedded log) envelopes use the *binary content mode*: the payload
is the message value (JSON) and every attribute is a ``ce_<name>`` header; the message
key is the application id (``subject``), so all events of one dossier stay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class CloudEventEnvelope(BaseModel):
    """CloudEvents 1.0 attributes plus Guichet's extensions.

    ``schemaversion`` is our extension: the version of the payload's contract, so a
    consumer can upcast old payloads. ``traceparent`` is the CloudEvents distributed
    tracing extension (W3C Trace Context), so one request is followed across services.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID
    source: str = Field(description="URI reference of the producing service, e.g. /guichet/intake")
    type: str = Field(description="Stable event type, e.g. be.guichet.application.filed.v1")
    specversion: Literal["1.0"] = "1.0"
    time: datetime
    subject: str = Field(description="The application (dossier) id the event is about")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = Field(default=None, description="URI of the payload's JSON Schema")
    schemaversion: int = Field(ge=1, description="Version of the payload contract")
    traceparent: str | None = None
    data: dict[str, Any]
