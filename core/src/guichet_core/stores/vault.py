"""Personal data sealed per dossier; deleting the dossier's key deletes it everywhere.

Personal fields are sealed (AES-256-GCM) with their dossier's data key before they enter
an event or a message (Art. 11). Events are never deleted, so Art. 27 deletion destroys
the key instead (crypto-shredding): every sealed copy, in every store and topic, becomes
unreadable. Keys live behind the ``KeyStore`` port; ``SqlKeyStore`` keeps them in the
platform's own key-store database (schema ``<namespace>keystore``, or the SQLite file
``<data_dir>/<namespace>keystore.sqlite3``), wrapped by a master key that never enters
it: ``GUICHET_MASTER_KEY`` (base64 of 32 bytes; required by ``postgres-kafka``), else a
development key generated once into ``<data_dir>/master.key``. A KMS can replace it later.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from guichet_contracts.sealed import SealedData
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.stores.keystore import KeyStore, SqlKeyStore, data_keys
from guichet_core.stores.master_key import MasterKey, master_key_for
from guichet_core.stores.shared_stores import MIGRATIONS, open_shared_database
from guichet_core.stores.vault_errors import (
    DossierErased,
    KeyNotFound,
    KeyShredded,
    MasterKeyError,
    SealBroken,
    VaultError,
)

__all__ = [  # the vault's import path, whichever module defines each name
    "ALG",
    "DossierErased",
    "KeyNotFound",
    "KeyShredded",
    "KeyStore",
    "MasterKey",
    "MasterKeyError",
    "PersonalDataVault",
    "SealBroken",
    "SqlKeyStore",
    "VaultError",
    "data_keys",
    "master_key_for",
    "open_vault",
]

VAULT_MIGRATIONS_DIR = MIGRATIONS["keystore"]
ALG = "AES-256-GCM"
_NONCE = 12  # 96-bit GCM nonces, random per seal
SealedModel = TypeVar("SealedModel", bound=BaseModel)  # a contract sealed as JSON


class PersonalDataVault:
    """Seals personal data with its dossier's key; opens it for those who need to know."""

    def __init__(self, key_store: KeyStore) -> None:
        self.key_store = key_store

    async def seal(self, dossier_id: str, data: dict[str, Any]) -> SealedData:
        """Seal a JSON object (use ``model_dump(mode="json")`` for dates and enums)."""
        plain = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return await self.seal_bytes(dossier_id, plain.encode())

    async def seal_bytes(self, dossier_id: str, data: bytes) -> SealedData:
        """Seal a document; ``KeyShredded`` if the dossier was deleted."""
        if not dossier_id:
            raise ValueError("personal data is sealed for a dossier: dossier_id is empty")
        key = await self.key_store.create_key(dossier_id)
        nonce = os.urandom(_NONCE)
        ciphertext = AESGCM(key).encrypt(nonce, data, dossier_id.encode())
        return SealedData(
            key_id=dossier_id,
            alg=ALG,
            nonce=base64.b64encode(nonce).decode(),
            ciphertext=base64.b64encode(ciphertext).decode(),
        )

    async def unseal(self, sealed: SealedData, *, dossier_id: str | None = None) -> dict[str, Any]:
        """Open a sealed JSON object; pass ``dossier_id`` to insist it belongs to that dossier."""
        plain = await self.unseal_bytes(sealed, dossier_id=dossier_id)
        try:
            data = json.loads(plain)
        except ValueError as error:
            raise SealBroken("the sealed value is not JSON (a document?)") from error
        if not isinstance(data, dict):
            raise SealBroken("the sealed value is not a JSON object")
        return data

    async def unseal_as(
        self, sealed: SealedData, model: type[SealedModel], *, dossier_id: str | None = None
    ) -> SealedModel:
        """Open a sealed JSON object as the contract ``model`` (e.g. ``SealedDossier``)."""
        data = await self.unseal(sealed, dossier_id=dossier_id)
        try:
            return model.model_validate(data)
        except ValidationError as error:
            # Not chained: a validation error quotes the personal values it was given.
            raise SealBroken(
                f"a value sealed as dossier {sealed.key_id}'s is not a {model.__name__}"
                f" ({error.error_count()} errors)"
            ) from None

    async def unseal_bytes(self, sealed: SealedData, *, dossier_id: str | None = None) -> bytes:
        """Open a sealed document; ``KeyShredded`` once its dossier's key is shredded."""
        if dossier_id is not None and sealed.key_id != dossier_id:
            raise SealBroken(f"sealed for dossier {sealed.key_id}, not for {dossier_id}")
        key = await self.key_store.get_key(sealed.key_id)
        try:
            nonce = base64.b64decode(sealed.nonce, validate=True)
            ciphertext = base64.b64decode(sealed.ciphertext, validate=True)
            return AESGCM(key).decrypt(nonce, ciphertext, sealed.key_id.encode())
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise SealBroken(
                f"a value sealed as dossier {sealed.key_id}'s does not open with its key"
            ) from error

    async def preload(self, dossier_ids: Sequence[str]) -> None:
        """Fetch many dossiers' keys in one query (a rebuild opens thousands)."""
        await self.key_store.preload(dossier_ids)

    async def create_keys(self, dossier_ids: Sequence[str]) -> None:
        """Give many dossiers their keys at once (see ``KeyStore.create_keys``)."""
        await self.key_store.create_keys(dossier_ids)

    async def shred(self, dossier_id: str) -> bool:
        """Crypto-shred the dossier: everything ever sealed for it becomes unreadable."""
        return await self.key_store.shred(dossier_id)

    async def is_shredded(self, dossier_id: str) -> bool:
        return await self.key_store.is_shredded(dossier_id)

    async def ensure_not_erased(self, dossier_id: str) -> None:
        """``DossierErased`` if the dossier's key was shredded (asks the key store, never
        the cache: another process may have shredded it a moment ago)."""
        if await self.key_store.is_shredded(dossier_id):
            raise DossierErased(f"dossier {dossier_id} was erased")


async def open_vault(settings: ServiceSettings) -> tuple[PersonalDataVault, AsyncEngine]:
    """The vault on the migrated key store; the caller disposes of the engine."""
    master_key = master_key_for(settings)  # refuse before touching any database
    engine = await open_shared_database(settings, "keystore")
    return PersonalDataVault(SqlKeyStore(engine, master_key)), engine
