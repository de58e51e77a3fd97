"""Personal data as it travels in events and messages: sealed, never in clear.

Names, birth data, NISS, passport and visa data, addresses, contact data, health and
criminal-record data and documents never enter an event or a Kafka message in clear.
They are sealed with the data key of the dossier they belong to, and only a service
that holds a need to know asks the key store to open them (Art. 11). Events are
immutable and topics are replayed, so personal data cannot be deleted from them; it is
deleted by destroying the dossier's key instead (crypto-shredding, Art. 27): every copy
of every value sealed with that key, in every store, topic and backup, becomes
unreadable at once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SealedData(BaseModel):
    """Personal data encrypted with one dossier's data key (AES-256-GCM).

    The dossier id is authenticated with the ciphertext (GCM associated data), so a
    sealed value copied into another dossier does not open. Opening it needs the key
    store; once the dossier's key is shredded it never opens again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(
        min_length=1, description="Id of the dossier whose data key sealed this value"
    )
    alg: Literal["AES-256-GCM"] = Field(description="Authenticated encryption algorithm")
    nonce: str = Field(description="The 96-bit GCM nonce, base64")
    ciphertext: str = Field(description="The ciphertext followed by the 128-bit GCM tag, base64")
