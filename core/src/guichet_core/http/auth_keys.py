"""Where the keys that verify Guichet tokens come from: a JWKS, a PEM file or a dev key pair.

Configuration: the ``auth`` section of the service's settings (``GUICHET_AUTH_*``), with
its backend and data directory (``GUICHET_BACKEND``, ``GUICHET_DATA_DIR``):

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

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from guichet_contracts.vocabulary import Authority

if TYPE_CHECKING:  # not at run time: `guichet token issue` needs no framework (issue 11)
    from guichet_core.kernel.settings import ServiceSettings

log = logging.getLogger(__name__)

DEV_KEY_FILE = "dev-signing-key.pem"
ALGORITHMS = ("ES256", "RS256")
KeySource = Literal["jwks", "public_key_file", "dev"]
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


class AuthConfigurationError(RuntimeError):
    """The authentication settings cannot be used as they are; the message says what to set."""


@dataclass(frozen=True)
class SignedBy:
    """Who a refused token's verified signature names (its claims are then the platform's
    identity provider's): what the refusal records in the dossier's access log (Art. 29)."""

    authority: Authority
    agent_id: str


class Unauthenticated(Exception):
    """The token is missing or cannot be trusted; ``reason`` tells the caller why.

    ``signed_by`` names the caller when the signature verified but the token is refused
    anyway (expired, wrong audience, too long-lived); None when nothing verified, so no
    claim of an attacker's token is ever taken for who they are.
    """

    def __init__(self, reason: str, *, signed_by: SignedBy | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.signed_by = signed_by


class VerifierUnavailable(Exception):
    """The keys cannot be fetched (JWKS endpoint down): not the caller's fault."""


def dev_key_file(settings: ServiceSettings) -> Path:
    """Where the development key pair of a data directory sits."""
    return settings.data_dir / DEV_KEY_FILE


def key_source(settings: ServiceSettings) -> KeySource:
    """Which key verifies tokens; raises ``AuthConfigurationError`` when none may be used,
    so that a misconfigured service refuses to start instead of accepting wrong tokens."""
    auth = settings.auth
    if auth.jwks_url and auth.public_key_file:
        raise AuthConfigurationError(
            "set only one of GUICHET_AUTH_JWKS_URL and GUICHET_AUTH_PUBLIC_KEY_FILE"
        )
    if auth.jwks_url:
        return "jwks"
    if auth.public_key_file:
        return "public_key_file"
    if settings.backend == "postgres-kafka":
        raise AuthConfigurationError(
            "GUICHET_BACKEND=postgres-kafka does not accept development signing keys: set "
            "GUICHET_AUTH_JWKS_URL (the identity provider's JWK Set) or "
            "GUICHET_AUTH_PUBLIC_KEY_FILE (a PEM public key)"
        )
    if not auth.dev_keys:
        raise AuthConfigurationError(
            "GUICHET_AUTH_DEV_KEYS is false: set GUICHET_AUTH_JWKS_URL or "
            "GUICHET_AUTH_PUBLIC_KEY_FILE"
        )
    return "dev"


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
    def from_settings(cls, settings: ServiceSettings) -> VerificationKeys:
        source = key_source(settings)
        if source == "jwks":
            return cls(jwks_url=settings.auth.jwks_url)
        if source == "public_key_file":
            assert settings.auth.public_key_file is not None
            return cls(key=load_public_key_file(settings.auth.public_key_file))
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


def dev_private_key(settings: ServiceSettings) -> ec.EllipticCurvePrivateKey:
    """The development ES256 private key, created (mode 0600) on first use.

    Several services may start at once: the key is written to a temporary file and
    hard-linked into place, so that exactly one key wins and nobody reads half a file.
    """
    if key_source(settings) != "dev":
        raise AuthConfigurationError(
            "development keys are off because GUICHET_AUTH_JWKS_URL or "
            "GUICHET_AUTH_PUBLIC_KEY_FILE is set; tokens come from the identity provider"
        )
    path = dev_key_file(settings)
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
