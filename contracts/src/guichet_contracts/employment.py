"""Employment, wage and self-employment data, on the onss-feed topic (Art. 14).

ONSS/RSZ feeds DIMONA (immediate declarations of employment), LIMOSA (prior declarations
of posted workers and self-employed) and DmfA (quarterly declarations) data; INASTI/RSVZ
feeds affiliations of the self-employed (Art. 14 §1-2). Each event is about ONE dossier:
a declaration that concerns two dossiers of the same worker makes two events, each
sealed with its own dossier's key.

What stays in clear is what routing, linking and the platform's signals need and
identifies nobody on its own: dates, the quarter, the enterprise numbers, the joint
committee, the declaration's own number. What identifies or describes the worker (the
NISS, wages, days and hours worked, the worker type, the sender, the place of work, the
self-employed activity) travels sealed in ``personal`` (Art. 11); wages of an identified
worker are personal data. ``record_key`` is a keyed hash of the declaration's natural
key (which may contain the NISS): it lets consumers deduplicate without learning it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import Field

from guichet_contracts.registry import REGISTRY, DomainEvent
from guichet_contracts.sealed import SealedData

__all__ = [
    "EmploymentDeclared",
    "EmploymentEnded",
    "PostingDeclared",
    "SelfEmployedAffiliationRecorded",
    "WagesDeclared",
]

_KBO = r"^[01][0-9]{9}$"
_JOINT_COMMITTEE = r"^[0-9]{3}(\.[0-9]{2})?$"

_RECORD_KEY = "Keyed hash (HMAC-SHA256) of the source declaration's natural key"
_SEALED = ", sealed with the dossier's key (AES-256-GCM)"


@REGISTRY.register
class EmploymentDeclared(DomainEvent):
    """A DIMONA entry declaration (déclaration immédiate de l'emploi / onmiddellijke
    aangifte van tewerkstelling, Art. 14 §1 1°): the employer declared that the worker
    of this dossier starts working for it."""

    event_type: ClassVar[str] = "be.guichet.employment.declared.v1"
    schema_version: ClassVar[int] = 1

    record_key: str = Field(pattern=r"^[0-9a-f]{64}$", description=_RECORD_KEY)
    dimona_id: str = Field(min_length=1, max_length=40, description="The DIMONA period number")
    employer_enterprise_number: str = Field(pattern=_KBO, description="KBO/BCE, digits only")
    entry_date: date
    planned_exit_date: date | None = None
    joint_committee: str | None = Field(default=None, pattern=_JOINT_COMMITTEE)
    received_at: datetime
    personal: SealedData = Field(description="The worker's NISS and worker type" + _SEALED)


@REGISTRY.register
class EmploymentEnded(DomainEvent):
    """A DIMONA exit declaration: the employment of the dossier's worker ended."""

    event_type: ClassVar[str] = "be.guichet.employment.ended.v1"
    schema_version: ClassVar[int] = 1

    record_key: str = Field(pattern=r"^[0-9a-f]{64}$", description=_RECORD_KEY)
    dimona_id: str = Field(min_length=1, max_length=40, description="The DIMONA period number")
    employer_enterprise_number: str = Field(pattern=_KBO, description="KBO/BCE, digits only")
    entry_date: date
    exit_date: date
    received_at: datetime
    personal: SealedData = Field(description="The worker's NISS and worker type" + _SEALED)


@REGISTRY.register
class WagesDeclared(DomainEvent):
    """A DmfA quarterly declaration line (déclaration multifonctionnelle / multifunctionele
    aangifte, Art. 14 §1 3°): what the employer paid the worker in the quarter."""

    event_type: ClassVar[str] = "be.guichet.wages.declared.v1"
    schema_version: ClassVar[int] = 1

    record_key: str = Field(pattern=r"^[0-9a-f]{64}$", description=_RECORD_KEY)
    quarter: str = Field(pattern=r"^[0-9]{4}-Q[1-4]$", description="e.g. 2026-Q1")
    employer_enterprise_number: str = Field(pattern=_KBO, description="KBO/BCE, digits only")
    joint_committee: str | None = Field(default=None, pattern=_JOINT_COMMITTEE)
    received_at: datetime
    personal: SealedData = Field(
        description="The worker's NISS, gross wage (EUR), days and hours worked and worker type"
        + _SEALED
    )


@REGISTRY.register
class PostingDeclared(DomainEvent):
    """A LIMOSA prior declaration (Art. 14 §1 2°, §2): a worker posted to Belgium, or a
    self-employed person working here, for the declared period."""

    event_type: ClassVar[str] = "be.guichet.posting.declared.v1"
    schema_version: ClassVar[int] = 1

    record_key: str = Field(pattern=r"^[0-9a-f]{64}$", description=_RECORD_KEY)
    limosa_id: str = Field(min_length=1, max_length=40, description="The LIMOSA-1 number")
    declarant: Literal["employee", "self_employed"]
    belgian_user_enterprise_number: str | None = Field(
        default=None, pattern=_KBO, description="The Belgian user (client), KBO/BCE"
    )
    start_date: date
    end_date: date
    received_at: datetime
    personal: SealedData = Field(
        description="The worker's NISS, the sender and the place of work" + _SEALED
    )


@REGISTRY.register
class SelfEmployedAffiliationRecorded(DomainEvent):
    """INASTI/RSVZ: the self-employed person of the dossier is affiliated (general
    repertory of the self-employed, Art. 14 §2) from ``start_date``."""

    event_type: ClassVar[str] = "be.guichet.self-employed-affiliation.recorded.v1"
    schema_version: ClassVar[int] = 1

    record_key: str = Field(pattern=r"^[0-9a-f]{64}$", description=_RECORD_KEY)
    start_date: date
    end_date: date | None = None
    received_at: datetime
    personal: SealedData = Field(
        description="The person's NISS and self-employed activity" + _SEALED
    )
