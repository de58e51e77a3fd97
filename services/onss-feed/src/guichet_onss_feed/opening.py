"""Opening the feed's events for ``signals``: the consumer that holds a need to know
unseals the personal part with the dossier's key (``KeyShredded`` once it is deleted)."""

from __future__ import annotations

from typing import Any

from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)
from guichet_contracts.signals import opened
from guichet_core.vault import PersonalDataVault

FeedEvent = (
    EmploymentDeclared
    | EmploymentEnded
    | WagesDeclared
    | PostingDeclared
    | SelfEmployedAffiliationRecorded
)
FEED_EVENTS = (EmploymentDeclared, EmploymentEnded, WagesDeclared, PostingDeclared,
               SelfEmployedAffiliationRecorded)  # fmt: skip


async def open_declaration(vault: PersonalDataVault, event: FeedEvent) -> dict[str, Any]:
    """The event's clear fields and its unsealed personal fields, as ``signals`` reads them."""
    personal = await vault.unseal(event.personal, dossier_id=str(event.application_id))
    return opened(event, personal)
