"""Refused attempts on a named dossier (Art. 29 of the agreement, GDPR Art. 15 §1 c).

Every service records, in its own store and outbox, each request it refused on a route
that names a dossier (401, 403, or 404 on a dossier the caller may not see); consultation
appends it to that dossier's access log, which the data subject reads. The event says
who tried (authority and agent, when a verified signature proves them), where (the route
template, never the URL) and why in one word: it carries no personal value and never the
request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from guichet_contracts.registry import REGISTRY, DomainEvent

RefusalReason = Literal["not_permitted", "not_found", "not_authenticated"]  # 403, 404, 401


class AccessRefusedV1(DomainEvent):
    """A caller was refused on a route naming the dossier ``application_id``."""

    # Version 1, superseded by v2 and upcast on read (a 403 or 404, by a verified
    # caller). Its published schema stays as it was, title and description included.
    model_config = ConfigDict(frozen=True, extra="forbid", title="AccessRefused")

    event_type: ClassVar[str] = "be.guichet.access.refused.v1"
    schema_version: ClassVar[int] = 1

    service: str = Field(max_length=64, description="The service that refused")
    authority: str = Field(max_length=20, description="The caller's authority")
    agent_id: str = Field(max_length=200, description="The caller's agent, from its token")
    method: str = Field(max_length=10)
    route: str = Field(max_length=200, description="The route template, e.g. /dossiers/{id}")
    status: int = Field(ge=400, le=499)
    reason: Literal["not_permitted", "not_found"]
    refused_at: datetime


@REGISTRY.register
class AccessRefused(DomainEvent):
    """A caller was refused on a route naming the dossier ``application_id``.

    v2 adds the 401 (``not_authenticated``): a token that does not verify names no one,
    so ``authority`` and ``agent_id`` are absent (its claims are the attacker's); a token
    whose signature verifies but that is refused (expired, wrong audience, revoked) names
    the authority and agent its signature proves.
    """

    event_type: ClassVar[str] = "be.guichet.access.refused.v2"
    schema_version: ClassVar[int] = 2

    service: str = Field(max_length=64, description="The service that refused")
    authority: str | None = Field(
        max_length=20, description="The caller's authority; absent when its token did not verify"
    )
    agent_id: str | None = Field(
        max_length=200,
        description="The caller's agent, from its verified token; absent when it did not verify",
    )
    method: str = Field(max_length=10)
    route: str = Field(max_length=200, description="The route template, e.g. /dossiers/{id}")
    status: int = Field(ge=400, le=499)
    reason: RefusalReason
    refused_at: datetime

    @property
    def verified(self) -> bool:
        """Whether a verified signature names the caller (v1 refusals always did)."""
        return self.authority is not None and self.agent_id is not None


def _refused_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # v1 always named a verified caller and a 403/404 reason: every v1 payload is a v2 one.
    return dict(data)


REGISTRY.register_historic(AccessRefusedV1)
REGISTRY.register_upcaster(
    from_type=AccessRefusedV1.event_type,
    from_version=1,
    to_type=AccessRefused.event_type,
    to_version=2,
    fn=_refused_v1_to_v2,
)
