"""Guichet's event contracts: what every service may rely on in another's events.

Events are immutable, versioned facts. A published event's meaning never changes: a new
meaning is a new ``schema_version`` (and a new type string), and old versions are
upcast on read (see ``registry``).
"""

from guichet_contracts import employment as employment  # registers the ONSS/INASTI events
from guichet_contracts.access import AccessRefused
from guichet_contracts.decisions import (
    ApplicationDeclaredAdmissible,
    AuthorisationWithdrawn,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    ResidenceAuthorised,
    SinglePermitGranted,
    StayEnded,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.envelope import CloudEventEnvelope
from guichet_contracts.events import (
    ApplicationFiled,
    DocumentReference,
    SupplementaryDocumentsSupplied,
)
from guichet_contracts.registry import REGISTRY, DomainEvent, EventRegistry, UnknownEventType
from guichet_contracts.retention import AppealDecided, AppealLodged, DossierPurged
from guichet_contracts.sealed import SealedData
from guichet_contracts.topics import ACCESS_REFUSALS_TOPIC

__all__ = [
    "ACCESS_REFUSALS_TOPIC",
    "REGISTRY",
    "AccessRefused",
    "AppealDecided",
    "AppealLodged",
    "ApplicationDeclaredAdmissible",
    "ApplicationFiled",
    "AuthorisationWithdrawn",
    "CloudEventEnvelope",
    "DocumentReference",
    "DomainEvent",
    "DossierPurged",
    "EventRegistry",
    "NegativeDecisionTaken",
    "ProfessionalCardGranted",
    "ResidenceAuthorised",
    "SealedData",
    "SealedDossier",
    "SinglePermitGranted",
    "StayEnded",
    "SupplementaryDocumentsRequested",
    "SupplementaryDocumentsSupplied",
    "UnknownEventType",
    "WorkAuthorised",
]
