"""Blind indexes: find a dossier by NISS or by applicant without storing the identifier.

A keyed hash (HMAC-SHA256) whose key is derived from the platform's master key, so
every service computes the same index for the same value, and nobody without the
master key can test a guessed NISS against a stored index.
"""

from __future__ import annotations

import hashlib
import hmac

from guichet_core.kernel.settings import ServiceSettings
from guichet_core.stores.vault import master_key_for


class BlindIndex:
    def __init__(self, key: bytes) -> None:
        self._key = hmac.new(key, b"guichet consultation blind index v1", hashlib.sha256).digest()

    def of(self, value: str) -> str:
        return hmac.new(self._key, value.strip().encode(), hashlib.sha256).hexdigest()


def blind_index_for(settings: ServiceSettings) -> BlindIndex:
    return BlindIndex(master_key_for(settings).key)
