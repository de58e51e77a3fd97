"""Which refusals consultation appends to a dossier's access log, and as whom (Art. 29).

Its own dossier view logs the callers it ran for; a 401, or a caller the route's rule
refuses before the view runs (an operator, Art. 8), would otherwise be in no log. A
caller whose token did not verify is logged as unverified, never under its claims.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from guichet_consultation.consumers import entry_of, logged_by_the_view
from guichet_contracts import AccessRefused
from guichet_contracts.access import AccessRefusedV1
from guichet_contracts.registry import REGISTRY


def refused(**changes: Any) -> AccessRefused:
    fields: dict[str, Any] = {
        "application_id": uuid.uuid4(),
        "service": "consultation",
        "authority": "WAL",
        "agent_id": "wal-officer",
        "method": "GET",
        "route": "/dossiers/{dossier_id}",
        "status": 403,
        "reason": "not_permitted",
        "refused_at": datetime.now(UTC),
        **changes,
    }
    return AccessRefused(**fields)


def test_the_view_logs_only_the_callers_it_ran_for() -> None:
    assert logged_by_the_view(refused())  # a consulter refused by the policy: the view's
    assert not logged_by_the_view(refused(authority="PLATFORM_OPS", agent_id="ops"))
    assert not logged_by_the_view(
        refused(status=401, reason="not_authenticated", authority=None, agent_id=None)
    )
    assert not logged_by_the_view(refused(service="regional-decision"))


def test_an_unverified_caller_is_logged_as_such() -> None:
    entry = entry_of(refused(status=401, reason="not_authenticated", authority=None, agent_id=None))
    assert (entry.authority, entry.agent_id) == ("UNVERIFIED", "unverified")
    assert entry.outcome == "denied" and entry.reason == "not_authenticated"


def test_a_v1_refusal_is_read_as_v2_with_its_caller() -> None:
    """Refusals published before v2 (always a verified caller, a 403 or 404) still load."""
    v1 = AccessRefusedV1.model_validate(refused().model_dump(mode="json")).model_dump(mode="json")
    loaded = REGISTRY.load("be.guichet.access.refused.v1", 1, v1)
    assert isinstance(loaded, AccessRefused) and loaded.verified
    assert REGISTRY.current_type("be.guichet.access.refused.v1", 1) == AccessRefused.event_type
    entry = entry_of(loaded)
    assert (entry.authority, entry.agent_id) == ("WAL", "wal-officer")
