"""Refused attempts on a named dossier (Art. 29 of the agreement, GDPR Art. 15 §1 c).

Every service records, in its own store and outbox, each request it refused (403, or
404 on a dossier the caller may not see) on a route that names a dossier; consultation
appends it to that dossier's access log, which the data subject reads. The event says
who tried (authority and agent), where (the route template, never the URL) and why in
one word: it carries no personal value and never the request.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from guichet_contracts.registry import REGISTRY, DomainEvent

RefusalReason = Literal["not_permitted", "not_found"]  # 403, 404


@REGISTRY.register
class AccessRefused(DomainEvent):
    """A caller was refused on a route naming the dossier ``application_id``."""

    event_type: ClassVar[str] = "be.guichet.access.refused.v1"
    schema_version: ClassVar[int] = 1

    service: str = Field(max_length=64, description="The service that refused")
    authority: str = Field(max_length=20, description="The caller's authority")
    agent_id: str = Field(max_length=200, description="The caller's agent, from its token")
    method: str = Field(max_length=10)
    route: str = Field(max_length=200, description="The route template, e.g. /dossiers/{id}")
    status: int = Field(ge=400, le=499)
    reason: RefusalReason
    refused_at: datetime
