"""Checking a token: signature, issuer, audience, lifetime and the Guichet claims.

The keys come from ``auth_keys``; ``auth.current_caller`` asks the verifier installed in
the app (``auth.install_auth``) for the ``Caller`` of each request's bearer token.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import Caller
from guichet_core.http.auth_keys import SignedBy, Unauthenticated, VerificationKeys
from guichet_core.kernel.settings import ServiceSettings

_VERIFIED_CACHE_SIZE = 10_000  # tokens; one per calling agent and hour is typical
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "guichet_authority", "guichet_agent"]
# PyJWT checks these after the signature: a token refused for one of them was signed
# with the configured key, so its claims say who it really is.
_CHECKED_AFTER_THE_SIGNATURE = (
    jwt.ExpiredSignatureError,
    jwt.ImmatureSignatureError,
    jwt.InvalidAudienceError,
    jwt.InvalidIssuerError,
    jwt.InvalidIssuedAtError,
    jwt.MissingRequiredClaimError,
)


class TokenVerifier:
    """Checks a token's signature, issuer, audience, lifetime and Guichet claims."""

    def __init__(
        self,
        keys: VerificationKeys,
        *,
        issuer: str,
        audience: str,
        leeway: int = 30,
        max_lifetime: int = 3600,
        max_authority_lifetime: int = 43_200,
    ) -> None:
        self.keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway
        self.max_lifetime, self.max_authority_lifetime = max_lifetime, max_authority_lifetime
        self._verified: dict[str, tuple[Caller, float]] = {}  # oldest first

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        """The verifier the settings call for; ``AuthConfigurationError`` when they cannot."""
        auth = settings.auth
        return cls(
            VerificationKeys.from_settings(settings),
            issuer=auth.issuer,
            audience=auth.audience,
            leeway=auth.leeway_seconds,
            max_lifetime=auth.max_token_lifetime_seconds,
            max_authority_lifetime=auth.max_authority_token_lifetime_seconds,
        )

    def cached(self, token: str) -> Caller | None:
        """The caller of a token verified before and not expired since, else None.

        Callers reuse a token until it expires: checking its signature once is enough.
        The key is the whole token, signature included, so a forged token never hits.
        """
        entry = self._verified.get(token)
        if entry is None:
            return None
        caller, expires = entry
        if time.time() > expires + self.leeway:
            self._verified.pop(token, None)
            return None  # verify() then says why it is refused
        return caller

    def verify(self, token: str) -> Caller:
        key, algorithms = self.keys.for_token(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except _CHECKED_AFTER_THE_SIGNATURE as error:
            signer = _signed_by(token, key, algorithms)
            raise Unauthenticated(self._reason(error), signed_by=signer) from error
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(self._reason(error)) from error
        caller = _caller(claims)
        try:
            self._check_lifetime(caller, claims)
        except Unauthenticated as error:
            signer = SignedBy(caller.authority, caller.agent_id)
            raise Unauthenticated(error.reason, signed_by=signer) from error
        self._verified[token] = (caller, float(claims["exp"]))
        while len(self._verified) > _VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))
        return caller

    def _check_lifetime(self, caller: Caller, claims: dict[str, Any]) -> None:
        """Refuse a token that lives longer than its kind of caller may (GDPR Art. 32):
        from ``iat`` to ``exp``, and from now to ``exp`` (an old ``iat`` stretches nothing)."""
        applicant = caller.authority is Authority.APPLICANT
        allowed = self.max_lifetime if applicant else self.max_authority_lifetime
        expires = float(claims["exp"])
        lifetime = max(expires - float(claims["iat"]), expires - time.time())
        if lifetime > allowed + self.leeway:
            who = "an applicant's token" if applicant else "an authority's token"
            raise Unauthenticated(
                f"token lifetime exceeds the {allowed} s allowed for {who}: "
                "ask the identity provider for a shorter-lived token"
            )

    def _reason(self, error: jwt.InvalidTokenError) -> str:
        """Why a token is refused, in general terms: never a claim of the token back."""
        match error:
            case jwt.ExpiredSignatureError():
                return "the token has expired: ask the identity provider for a new one"
            case jwt.InvalidAudienceError():
                return f"token audience is not {self.audience!r}"
            case jwt.InvalidIssuerError():  # never the token's claim back (STYLE 14)
                return "the token was not issued by this platform's identity provider"
            case jwt.MissingRequiredClaimError():
                return f"token lacks the required claim {error.claim!r}"
            case jwt.InvalidSignatureError():
                return "signature does not match the configured key"
            case jwt.InvalidAlgorithmError():
                return "token algorithm does not match the configured key"
            case jwt.ImmatureSignatureError():
                return f"token is not valid yet ({error})"
            case jwt.DecodeError():
                return f"token is not a well-formed JWT ({error})"
        return f"invalid token ({error})"


def _signed_by(token: str, key: Any, algorithms: list[str]) -> SignedBy | None:
    """Who a token refused on a claim names, once its signature is checked again on its
    own (only the claims checks are off); None when it names no known authority and agent."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "require": [],
            },
        )
    except jwt.InvalidTokenError:
        return None
    authority, agent = claims.get("guichet_authority"), claims.get("guichet_agent")
    if not isinstance(authority, str) or authority not in Authority.__members__.values():
        return None
    if not isinstance(agent, str) or not agent:
        return None
    return SignedBy(Authority(authority), agent)


def _caller(claims: dict[str, Any]) -> Caller:
    authority, agent, subject = (claims[k] for k in ("guichet_authority", "guichet_agent", "sub"))
    if authority not in Authority.__members__.values():
        raise Unauthenticated("the token names an authority this platform does not know")
    if not isinstance(agent, str) or not agent or not subject:
        raise Unauthenticated("claims 'guichet_agent' and 'sub' must be non-empty strings")
    roles, purpose, jti = (claims.get(k) for k in ("guichet_roles", "guichet_purpose", "jti"))
    if roles is None:
        roles = []
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise Unauthenticated("claim 'guichet_roles' must be a list of strings")
    if purpose is not None and not isinstance(purpose, str):
        raise Unauthenticated("claim 'guichet_purpose' must be a string")
    if jti is not None and not isinstance(jti, str):
        raise Unauthenticated("claim 'jti' must be a string")
    issued_at = float(claims["iat"])
    return Caller(subject, Authority(authority), agent, frozenset(roles), purpose, jti, issued_at)
