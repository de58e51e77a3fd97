"""The master key: the key-encryption key that wraps every dossier's data key.

It never enters the key store: ``GUICHET_MASTER_KEY`` (base64 of 32 bytes, the
``master_key`` of the settings; required by ``postgres-kafka``, which refuses a weak one),
else a development key generated once into ``<data_dir>/master.key``. A KMS can replace it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guichet_core.kernel.settings import ServiceSettings
from guichet_core.stores.vault_errors import MasterKeyError

_NONCE = 12  # 96-bit GCM nonces, random per wrap


@dataclass(frozen=True, slots=True)
class MasterKey:
    """The key-encryption key (AES-256-GCM; the dossier id is the associated data)."""

    key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != 32:
            raise MasterKeyError(f"a master key has 32 bytes, not {len(self.key)}")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(self.key).hexdigest()[:8]

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(AESGCM.generate_key(bit_length=256))

    @classmethod
    def from_base64(cls, text: str) -> MasterKey:
        try:
            return cls(base64.b64decode(text.strip(), validate=True))
        except binascii.Error as error:
            raise MasterKeyError("a master key is the base64 of 32 bytes") from error

    def to_base64(self) -> str:
        return base64.b64encode(self.key).decode()

    def wrap(self, dossier_id: str, data_key: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, dossier_id.encode())

    def unwrap(self, dossier_id: str, wrapped: bytes) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], dossier_id.encode())
        except (InvalidTag, ValueError) as error:
            raise MasterKeyError(
                f"master key {self.key_id} cannot unwrap the data key of dossier {dossier_id}"
            ) from error


def master_key_for(settings: ServiceSettings) -> MasterKey:
    """``settings.master_key`` (``GUICHET_MASTER_KEY``); else, on the embedded backend
    only, ``<data_dir>/master.key``."""
    configured = settings.master_key.get_secret_value() if settings.master_key else ""
    if configured:
        try:
            key = MasterKey.from_base64(configured)
        except MasterKeyError as error:
            raise MasterKeyError(f"GUICHET_MASTER_KEY: {error}") from error
        if settings.backend == "postgres-kafka":
            _refuse_weak_master_key(key, development=settings.data_dir / "master.key")
        return key
    if settings.backend == "postgres-kafka":
        raise MasterKeyError(
            "GUICHET_BACKEND=postgres-kafka needs GUICHET_MASTER_KEY (base64 of 32 random "
            "bytes, from the secret store): refusing to start without it"
        )
    return _development_master_key(settings.data_dir / "master.key")


_MIN_DISTINCT_BYTES = 16  # 32 random bytes have about 30; fewer than 16: odds of 1e-11


def _refuse_weak_master_key(key: MasterKey, *, development: Path) -> None:
    """Production refuses a master key anybody could guess or copy (GDPR Art. 32): one of
    few distinct bytes (zeros, a repeated pattern), a typed passphrase, or the development
    key of the data directory. The message names the variable, never the key."""
    advice = (
        "set GUICHET_MASTER_KEY to the base64 of 32 random bytes from the secret store, "
        "e.g. python3 -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())'"
    )
    if len(set(key.key)) < _MIN_DISTINCT_BYTES:
        raise MasterKeyError(f"GUICHET_MASTER_KEY has too little entropy to be random: {advice}")
    if all(0x20 <= byte < 0x7F for byte in key.key):
        raise MasterKeyError(f"GUICHET_MASTER_KEY is printable text, not random bytes: {advice}")
    if _read_key(development) == key:
        raise MasterKeyError(
            f"GUICHET_MASTER_KEY is the development key of {development}: {advice}"
        )


def _read_key(path: Path) -> MasterKey | None:
    try:
        return MasterKey.from_base64(path.read_text())
    except (OSError, MasterKeyError):
        return None


def _development_master_key(path: Path) -> MasterKey:
    """Read, or create once (mode 0600, atomically even when processes race), a dev key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as file:
                file.write(MasterKey.generate().to_base64() + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: use theirs
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    return MasterKey.from_base64(path.read_text())
