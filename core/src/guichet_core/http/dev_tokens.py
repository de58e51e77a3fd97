"""Development tokens: signed with the dev key pair of the data directory.

``guichet token issue``, the demo and the tests sign with it; the ``postgres-kafka``
backend never trusts it (``auth_keys.key_source``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from guichet_core.http.auth_keys import dev_private_key, public_key_pem
from guichet_core.kernel.settings import ServiceSettings

if TYPE_CHECKING:
    from guichet_contracts.vocabulary import Authority


class DevTokenIssuer:
    """Signs development tokens with the dev key pair (never available in production)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, *, issuer: str, audience: str) -> None:
        self._key, self.issuer, self.audience = key, issuer, audience
        numbers = key.public_key().public_numbers()
        self._jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
        canonical = json.dumps(self._jwk, separators=(",", ":"), sort_keys=True)  # RFC 7638
        self.key_id = _b64url(hashlib.sha256(canonical.encode()).digest())

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> DevTokenIssuer:
        return cls(
            dev_private_key(settings), issuer=settings.auth.issuer, audience=settings.auth.audience
        )

    def issue(
        self,
        *,
        subject: str,
        authority: Authority,
        agent_id: str,
        roles: Iterable[str] = (),
        purpose: str | None = None,
        ttl: timedelta | None = None,
    ) -> str:
        """A signed token; ``ttl`` defaults to the longest the verifier accepts: one hour
        for an applicant, eight for an authority's agent."""
        if ttl is None:
            ttl = timedelta(hours=1 if str(authority) == "APPLICANT" else 8)
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            "guichet_authority": str(authority),
            "guichet_agent": agent_id,
            "guichet_roles": sorted(set(roles)),
        }
        if purpose is not None:
            claims["guichet_purpose"] = purpose
        return jwt.encode(claims, self._key, algorithm="ES256", headers={"kid": self.key_id})

    def public_key_pem(self) -> str:
        return public_key_pem(self._key)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK Set, for a verifier configured with GUICHET_AUTH_JWKS_URL."""
        return {"keys": [{**self._jwk, "kid": self.key_id, "use": "sig", "alg": "ES256"}]}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64(number: int) -> str:
    return _b64url(number.to_bytes(32, "big"))
