"""Who calls a Guichet API: a JWT bearer token names the calling authority and its agent.

Every token carries ``iss``, ``aud``, ``exp``, ``iat``, ``sub`` (optional ``jti``) and the
Guichet claims ``guichet_authority`` (an ``Authority`` value), ``guichet_agent`` (the
person or system acting), ``guichet_roles`` (list) and optional ``guichet_purpose``.
Signatures are ES256 or RS256, verified with the key configured in ``auth_keys``.
No token or a bad one → 401 with ``WWW-Authenticate``; the wrong authority → 403.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth_keys import (
    AuthConfigurationError,
    SignedBy,
    Unauthenticated,
    VerificationKeys,
    VerifierUnavailable,
)
from guichet_core.http.dev_tokens import DevTokenIssuer
from guichet_core.kernel.settings import AuthSettings

if TYPE_CHECKING:
    from guichet_core.http.verifier import TokenVerifier

__all__ = [
    "REGIONS",
    "AuthConfigurationError",
    "AuthSettings",
    "Caller",
    "CallerDep",
    "DevTokenIssuer",
    "SignedBy",
    "Unauthenticated",
    "VerificationKeys",
    "VerifierUnavailable",
    "current_caller",
    "declared_rule",
    "install_auth",
    "public",
    "require_authority",
]

log = logging.getLogger(__name__)


REGIONS: frozenset[Authority] = frozenset(
    {Authority.VLG, Authority.WAL, Authority.BXL, Authority.DG}
)


@dataclass(frozen=True)
class Caller:
    """The verified caller of a request."""

    subject: str  # `sub`: for an applicant a NISS, an enterprise number or a mandatary id
    authority: Authority
    agent_id: str
    roles: frozenset[str] = frozenset()
    purpose: str | None = None
    token_id: str | None = None  # `jti`: a token revoked by it is refused (``revocation``)
    issued_at: float | None = None  # `iat`: a subject's tokens issued before a time can be revoked

    @property
    def is_region(self) -> bool:
        return self.authority in REGIONS


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="GuichetToken",
    bearerFormat="JWT",
    description="A Guichet JWT (ES256/RS256) naming the calling authority and agent.",
)


def install_auth(app: FastAPI, verifier: TokenVerifier) -> None:
    """Make ``verifier`` the one that ``CallerDep`` and ``require_authority`` use in ``app``."""
    app.state.verifier = verifier


def _header_text(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace('"', "'")[:300]


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Caller:
    """The verified caller; HTTP 401 when the bearer token is missing or invalid."""
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise RuntimeError("no token verifier: call install_auth(app, verifier) at start-up")
    # What the refusal records in a named dossier's access log (``refusals``, Art. 29):
    # who a verified signature names, else no one.
    request.state.token_refused, request.state.signed_by = True, None
    if credentials is None:  # RFC 6750 §3.1: no error code when no credentials were sent
        reason, challenge = 'no bearer token: send "Authorization: Bearer <token>"', ""
    else:
        try:
            caller = verifier.cached(credentials.credentials)
            if caller is None and verifier.keys.may_block:
                # A JWKS lookup may go to the network: not on the event loop.
                caller = await run_in_threadpool(verifier.verify, credentials.credentials)
            elif caller is None:
                caller = verifier.verify(credentials.credentials)
        except Unauthenticated as error:
            reason, request.state.signed_by = error.reason, error.signed_by
            challenge = f', error="invalid_token", error_description="{_header_text(reason)}"'
        except VerifierUnavailable as error:
            log.error("cannot verify a token: %s", error)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "tokens cannot be verified now: the signing keys are unreachable",
                headers={"Retry-After": "30"},
            ) from error
        else:
            if not await _revoked(request, caller):
                request.state.token_refused = False
                request.state.caller = caller
                return caller
            request.state.signed_by = SignedBy(caller.authority, caller.agent_id)
            reason = "this token was revoked: ask the identity provider for a new one"
            challenge = f', error="invalid_token", error_description="{reason}"'
    headers = {"WWW-Authenticate": f'Bearer realm="guichet"{challenge}'}
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, reason, headers=headers)


async def _revoked(request: Request, caller: Caller) -> bool:
    """Whether the platform's deny-list (``guichet_core.http.revocation``) refuses the token;
    an app without one (a unit test's) revokes nothing."""
    revocations = getattr(request.app.state, "revocations", None)
    if revocations is None:
        return False
    try:
        return bool(await revocations.is_revoked(caller))
    except Exception as error:  # fail closed: a revoked token must not pass unseen
        log.error("cannot read the token deny-list: %s", type(error).__name__)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "tokens cannot be checked against revocations now: try again shortly",
            headers={"Retry-After": "5"},
        ) from error


CallerDep = Annotated[Caller, Depends(current_caller)]


def require_authority(
    *allowed: Authority | Iterable[Authority],
) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency giving the caller if its authority is allowed, else HTTP 403.

    ``Depends(require_authority(REGIONS))`` or ``require_authority(Authority.OE)``.
    """
    wanted = frozenset(
        member for item in allowed for member in ([item] if isinstance(item, Authority) else item)
    )
    if not wanted:
        raise ValueError("require_authority needs at least one authority")
    names = ", ".join(member.value for member in Authority if member in wanted)

    async def authorised_caller(caller: CallerDep) -> Caller:
        if caller.authority not in wanted:
            reason = f"this action is reserved to: {names}; your token is for {caller.authority}"
            challenge = (
                f'Bearer realm="guichet", error="insufficient_scope", error_description="{reason}"'
            )
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, reason, headers={"WWW-Authenticate": challenge}
            )
        return caller

    authorised_caller.admits = wanted  # type: ignore[attr-defined]  # read by declared_rule
    return authorised_caller


async def public() -> None:
    """The rule of a route that takes no token (``dependencies=[Depends(public)]``):
    health probes and what is published to everyone (Art. 16 §2, GDPR Art. 13-14)."""


def declared_rule(route: Any) -> frozenset[Authority] | Literal["public"] | None:
    """The rule a FastAPI route declares (STYLE 13): the authorities its
    ``require_authority`` admits, ``"public"``, or None when it declares none."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        admits = getattr(dependency.call, "admits", None)
        if isinstance(admits, frozenset):
            return frozenset(a for a in Authority if a in admits)
        if dependency.call is public:
            return "public"
        pending.extend(dependency.dependencies)
    return None
