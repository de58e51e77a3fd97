"""Refused attempts on a named dossier, recorded where its data subject reads them.

Art. 29 of the agreement and GDPR Art. 15 §1 c: the person learns who tried to read or
act on their dossier, refused attempts included. The one place that sees every refusal
is the problem mapping (``problems.py``): for a 401, a 403, or a 404 on a route naming a
dossier, it calls ``record_refusal``, which appends an ``AccessRefused`` event to the
service's own store and outbox (durable, no other service's database touched);
consultation appends it to that dossier's access log. Nothing personal is recorded: the
caller's authority and agent, the route template (never the URL) and a reason category.
A token refused with a verified signature (expired, wrong audience, revoked) names its
authority and agent; one that does not verify names no one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from starlette.requests import Request

from guichet_contracts import ACCESS_REFUSALS_TOPIC, AccessRefused
from guichet_contracts.access import RefusalReason
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth_keys import SignedBy
from guichet_core.kernel.codec import new_event

log = logging.getLogger(__name__)

DOSSIER_PARAMS = ("dossier_id", "application_id")
REASONS: dict[int, RefusalReason] = {
    401: "not_authenticated",
    403: "not_permitted",
    404: "not_found",
}
APPLICANT_AGENT = "applicant"


def refusal_of(request: Request, status: int) -> AccessRefused | None:
    """The refusal to record for this answer, if it refused a caller a named dossier."""
    reason = REASONS.get(status)
    runtime: Any = getattr(request.app.state, "runtime", None)
    route = getattr(request.scope.get("route"), "path", None)
    named = next((request.path_params[p] for p in DOSSIER_PARAMS if p in request.path_params), None)
    who = _who(request, status)
    if reason is None or who is None or runtime is None or route is None or named is None:
        return None
    try:
        dossier = UUID(str(named))
    except ValueError:
        return None  # not a dossier id: nothing to attach the attempt to
    authority, agent = who
    return AccessRefused(
        application_id=dossier,
        service=runtime.spec.name,
        authority=None if authority is None else authority.value,
        # An applicant's agent is a person (their NISS, or an enterprise's officer): the
        # topic names no person, so an applicant refused is recorded as such, unnamed.
        agent_id=(
            APPLICANT_AGENT
            if authority is Authority.APPLICANT
            else None
            if agent is None
            else agent[:200]
        ),
        method=request.method,
        route=route[:200],
        status=status,
        reason=reason,
        refused_at=datetime.now(UTC),
    )


def _who(request: Request, status: int) -> tuple[Authority | None, str | None] | None:
    """The refused caller's authority and agent: for a 401, what the token's verified
    signature names (``auth.current_caller``), or (None, None) when nothing verified (a
    forged or unsigned token's claims are the attacker's); None when no one was refused."""
    if status == 401:
        if not getattr(request.state, "token_refused", False):
            return None  # not the token check's 401
        signer: SignedBy | None = getattr(request.state, "signed_by", None)
        return (None, None) if signer is None else (signer.authority, signer.agent_id)
    caller: Any = getattr(request.state, "caller", None)
    return None if caller is None else (caller.authority, caller.agent_id)


async def record_refusal(request: Request, status: int) -> None:
    """Append the refusal in its own transaction (the refused request wrote nothing)."""
    refused = refusal_of(request, status)
    if refused is None:
        return
    runtime: Any = request.app.state.runtime
    try:
        async with runtime.store.unit_of_work() as uow:
            await uow.append(
                f"access-refused-{refused.application_id}",
                [new_event(refused)],
                expected_version=None,
                publish_to=runtime.settings.named(ACCESS_REFUSALS_TOPIC),
            )
        runtime.relay.wake()
    except Exception:  # the refusal is still answered; the failure is an operator's
        log.exception("a refused attempt could not be recorded for the access log")
