"""The vault's errors: what sealing, opening and key handling can refuse."""

from __future__ import annotations


class VaultError(Exception):
    """Base of the vault's errors."""


class KeyNotFound(VaultError, LookupError):
    """The dossier never had a data key: nothing was ever sealed for it."""


class KeyShredded(VaultError):
    """The dossier's key was shredded: its personal data is deleted (Art. 27)."""


class DossierErased(KeyShredded):
    """The dossier was erased (Art. 27 of the agreement, GDPR Art. 17): every service
    answers 410 Gone for it, whether its own rows are deleted yet or not."""


class MasterKeyError(VaultError):
    """The master key is missing, malformed, or not the one that wrapped a data key."""


class SealBroken(VaultError):
    """A sealed value does not open: tampered with, or moved to another dossier."""
