"""Where the keys that verify Guichet tokens come from: a JWKS, a PEM file or a dev key pair.

Configuration (``GUICHET_AUTH_*``; ``GUICHET_BACKEND`` and ``GUICHET_DATA_DIR`` are shared):

- ``GUICHET_AUTH_ISSUER`` (default ``guichet-dev``) and ``GUICHET_AUTH_AUDIENCE``
  (default ``guichet``): the ``iss`` and ``aud`` every token must carry.
- ``GUICHET_AUTH_JWKS_URL``: the identity provider's JWK Set (keys picked by ``kid``), or
- ``GUICHET_AUTH_PUBLIC_KEY_FILE``: one PEM public key (EC P-256 for ES256, or RSA for RS256).
- ``GUICHET_AUTH_MAX_TOKEN_LIFETIME_SECONDS`` (default 3600) and
  ``GUICHET_AUTH_MAX_AUTHORITY_TOKEN_LIFETIME_SECONDS`` (default 43200): the longest an
  applicant's, and an authority's, token may live (``exp - iat`` and ``exp - now``);
  a longer-lived token is refused whoever signed it (GDPR Art. 32).
- ``GUICHET_AUTH_DEV_KEYS`` (default true): with neither of the above, a development ES256
  key pair kept in ``<GUICHET_DATA_DIR>/dev-signing-key.pem`` (mode 0600), created on first
  use, with which ``guichet token issue`` signs. The ``postgres-kafka`` backend refuses it:
  production never trusts a key that sits next to the data.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # not at run time: `guichet token issue` needs neither (issue 11)
    from guichet_contracts.vocabulary import Authority
    from guichet_core.settings import ServiceSettings

log = logging.getLogger(__name__)

DEV_KEY_FILE = "dev-signing-key.pem"
ALGORITHMS = ("ES256", "RS256")
KeySource = Literal["jwks", "public_key_file", "dev"]
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class AuthConfigurationError(RuntimeError):
    """The authentication settings cannot be used as they are; the message says what to set."""


class Unauthenticated(Exception):
    """The token is missing or cannot be trusted; ``reason`` tells the caller why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VerifierUnavailable(Exception):
    """The keys cannot be fetched (JWKS endpoint down): not the caller's fault."""


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="ignore", env_prefix="GUICHET_AUTH_", populate_by_name=True
    )

    issuer: str = "guichet-dev"
    audience: str = "guichet"
    jwks_url: str | None = None
    public_key_file: Path | None = None
    dev_keys: bool = True
    leeway_seconds: int = Field(default=30, ge=0, le=300)
    # A stolen token opens what its caller may open until it expires (GDPR Art. 32):
    # an applicant's lives an hour at most, an authority agent's one working day.
    max_token_lifetime_seconds: int = Field(default=3600, ge=60, le=86_400)
    max_authority_token_lifetime_seconds: int = Field(default=43_200, ge=60, le=86_400)
    # How stale each service's copy of the token deny-list may be (``revocation``).
    revocation_cache_seconds: float = Field(default=5.0, ge=0, le=5)
    # Shared with ServiceSettings; auth_settings_for() copies them from the service.
    backend: Literal["embedded", "postgres-kafka"] = Field(
        default="embedded", validation_alias=AliasChoices("GUICHET_BACKEND", "backend")
    )
    data_dir: Path = Field(
        default=Path("var"), validation_alias=AliasChoices("GUICHET_DATA_DIR", "data_dir")
    )

    @property
    def dev_key_file(self) -> Path:
        return self.data_dir / DEV_KEY_FILE

    def key_source(self) -> KeySource:
        """Which key verifies tokens; raises ``AuthConfigurationError`` when none may be used."""
        if self.jwks_url and self.public_key_file:
            raise AuthConfigurationError(
                "set only one of GUICHET_AUTH_JWKS_URL and GUICHET_AUTH_PUBLIC_KEY_FILE"
            )
        if self.jwks_url:
            return "jwks"
        if self.public_key_file:
            return "public_key_file"
        if self.backend == "postgres-kafka":
            raise AuthConfigurationError(
                "GUICHET_BACKEND=postgres-kafka does not accept development signing keys: set "
                "GUICHET_AUTH_JWKS_URL (the identity provider's JWK Set) or "
                "GUICHET_AUTH_PUBLIC_KEY_FILE (a PEM public key)"
            )
        if not self.dev_keys:
            raise AuthConfigurationError(
                "GUICHET_AUTH_DEV_KEYS is false: set GUICHET_AUTH_JWKS_URL or "
                "GUICHET_AUTH_PUBLIC_KEY_FILE"
            )
        return "dev"


def auth_settings_for(
    service_settings: ServiceSettings, auth: AuthSettings | None = None
) -> AuthSettings:
    """The auth settings of a service: its backend and data directory, checked for use.

    Raises ``AuthConfigurationError`` (e.g. dev keys on ``postgres-kafka``) so that a
    misconfigured service refuses to start instead of accepting the wrong tokens.
    """
    base = auth if auth is not None else AuthSettings()
    settings = base.model_copy(
        update={"backend": service_settings.backend, "data_dir": service_settings.data_dir}
    )
    settings.key_source()
    return settings


class VerificationKeys:
    """The public key that verifies a token: a fixed one (PEM, dev) or one from a JWKS."""

    def __init__(self, *, key: PublicKey | None = None, jwks_url: str | None = None) -> None:
        if (key is None) == (jwks_url is None):
            raise ValueError("give exactly one of key and jwks_url")
        self._key, self._jwks_url = key, jwks_url
        self._jwks = jwt.PyJWKClient(jwks_url, timeout=5) if jwks_url else None

    @property
    def may_block(self) -> bool:
        """Whether finding a token's key may wait on the network (a JWKS fetch)."""
        return self._jwks is not None

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> VerificationKeys:
        source = settings.key_source()
        if source == "jwks":
            return cls(jwks_url=settings.jwks_url)
        if source == "public_key_file":
            assert settings.public_key_file is not None
            return cls(key=load_public_key_file(settings.public_key_file))
        return cls(key=dev_private_key(settings).public_key())

    def for_token(self, token: str) -> tuple[Any, list[str]]:
        """The key and the one algorithm it accepts; ``Unauthenticated`` when none fits."""
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as error:
            raise Unauthenticated(f"token is not a well-formed JWT ({error})") from error
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(f"token algorithm {algorithm!r} is not accepted (ES256, RS256)")
        if self._key is not None:
            expected = "ES256" if isinstance(self._key, ec.EllipticCurvePublicKey) else "RS256"
            return self._key, [expected]
        assert self._jwks is not None
        kid = jwt.get_unverified_header(token).get("kid")
        if not kid:
            raise Unauthenticated(f"token header has no 'kid' to pick a key of {self._jwks_url}")
        try:
            self._jwks.get_signing_keys()  # cached; failing here is the key set's fault
        except jwt.PyJWTError as error:
            raise VerifierUnavailable(f"no usable key set at {self._jwks_url}: {error}") from error
        try:
            jwk = self._jwks.get_signing_key(kid)
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"no key {kid!r} in {self._jwks_url}") from error
        return jwk.key, [jwk.algorithm_name]


def load_public_key_file(path: Path) -> PublicKey:
    """The PEM public key of GUICHET_AUTH_PUBLIC_KEY_FILE: EC P-256 (ES256) or RSA (RS256)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as error:
        raise AuthConfigurationError(
            f"GUICHET_AUTH_PUBLIC_KEY_FILE={path} is not a readable PEM public key: {error}"
        ) from error
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1":
        return key
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return key
    raise AuthConfigurationError(
        f"GUICHET_AUTH_PUBLIC_KEY_FILE={path} must hold an EC P-256 key (ES256) "
        "or an RSA key of at least 2048 bits (RS256)"
    )


def dev_private_key(settings: AuthSettings) -> ec.EllipticCurvePrivateKey:
    """The development ES256 private key, created (mode 0600) on first use.

    Several services may start at once: the key is written to a temporary file and
    hard-linked into place, so that exactly one key wins and nobody reads half a file.
    """
    if settings.key_source() != "dev":
        raise AuthConfigurationError(
            "development keys are off because GUICHET_AUTH_JWKS_URL or "
            "GUICHET_AUTH_PUBLIC_KEY_FILE is set; tokens come from the identity provider"
        )
    path = settings.dev_key_file
    if not path.exists():
        _create_dev_key(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s is readable by others (mode %o); chmod 600 it", path, mode)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise AuthConfigurationError(
            f"{path} is not a readable PEM private key ({error}); delete it to make a new one"
        ) from error
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise AuthConfigurationError(f"{path} is not an EC P-256 (ES256) key; delete it")
    return key


def _create_dev_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".dev-key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its key
            os.link(temporary, path)
            log.info("created the development signing key %s", path)
    finally:
        os.unlink(temporary)


def public_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


class DevTokenIssuer:
    """Signs development tokens with the dev key pair (never available in production)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, *, issuer: str, audience: str) -> None:
        self._key, self.issuer, self.audience = key, issuer, audience
        numbers = key.public_key().public_numbers()
        self._jwk = {"crv": "P-256", "kty": "EC", "x": _b64(numbers.x), "y": _b64(numbers.y)}
        canonical = json.dumps(self._jwk, separators=(",", ":"), sort_keys=True)  # RFC 7638
        self.key_id = _b64url(hashlib.sha256(canonical.encode()).digest())

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> DevTokenIssuer:
        return cls(dev_private_key(settings), issuer=settings.issuer, audience=settings.audience)

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
