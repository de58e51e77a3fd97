"""``unseal_as``: a sealed JSON object opened as its contract, or refused without quoting it.

The key store is an in-memory fake: what is tested is the typing on top of ``unseal``
(the key stores themselves are test_vault's, on both backends).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest
from pydantic import BaseModel, ConfigDict

from guichet_core.stores.vault import KeyNotFound, PersonalDataVault, SealBroken


class InMemoryKeyStore:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    async def create_key(self, dossier_id: str) -> bytes:
        return self.keys.setdefault(dossier_id, os.urandom(32))

    async def get_key(self, dossier_id: str) -> bytes:
        if dossier_id not in self.keys:
            raise KeyNotFound(dossier_id)
        return self.keys[dossier_id]

    async def shred(self, dossier_id: str) -> bool:
        return self.keys.pop(dossier_id, None) is not None

    async def is_shredded(self, dossier_id: str) -> bool:
        return False

    async def preload(self, dossier_ids: Sequence[str]) -> None:
        return None

    async def create_keys(self, dossier_ids: Sequence[str]) -> None:
        for dossier_id in dossier_ids:
            await self.create_key(dossier_id)


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    email: str
    phone: str | None = None


async def test_a_sealed_object_opens_as_its_contract() -> None:
    vault = PersonalDataVault(InMemoryKeyStore())
    sealed = await vault.seal("app-1", {"email": "amina@example.org"})

    contact = await vault.unseal_as(sealed, Contact, dossier_id="app-1")

    assert contact == Contact(email="amina@example.org")


async def test_an_object_that_is_not_the_contract_is_refused_without_its_values() -> None:
    vault = PersonalDataVault(InMemoryKeyStore())
    sealed = await vault.seal("app-1", {"email": "amina@example.org", "niss": "85073003328"})

    with pytest.raises(SealBroken) as refusal:
        await vault.unseal_as(sealed, Contact)

    assert "Contact" in str(refusal.value)
    assert "85073003328" not in str(refusal.value)
    assert refusal.value.__cause__ is None and refusal.value.__suppress_context__


async def test_a_value_of_another_dossier_does_not_open_as_this_one_s() -> None:
    vault = PersonalDataVault(InMemoryKeyStore())
    sealed = await vault.seal("app-1", {"email": "amina@example.org"})

    with pytest.raises(SealBroken):
        await vault.unseal_as(sealed, Contact, dossier_id="app-2")
