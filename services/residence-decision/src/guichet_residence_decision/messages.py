"""What the worker and employer read of the Immigration Office's decisions (Art. 20 §5, 24)."""

from __future__ import annotations

from guichet_contracts import (
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    SinglePermitGranted,
    StayEnded,
)
from guichet_contracts.vocabulary import Language

SUBJECTS: dict[str, dict[Language, str]] = {
    "single_permit_granted": {
        "en": "Your single permit is granted",
        "fr": "Votre permis unique est accordé",
        "nl": "Uw gecombineerde vergunning is toegekend",
        "de": "Ihre kombinierte Erlaubnis ist erteilt",
    },
    "residence_refused": {
        "en": "Decision: your residence authorisation is refused",
        "fr": "Décision : votre autorisation de séjour est refusée",
        "nl": "Beslissing: uw verblijfsmachtiging is geweigerd",
        "de": "Entscheidung: Ihre Aufenthaltserlaubnis wird verweigert",
    },
    "permit_withdrawn": {
        "en": "Decision: your single permit is withdrawn",
        "fr": "Décision : votre permis unique est retiré",
        "nl": "Beslissing: uw gecombineerde vergunning is ingetrokken",
        "de": "Entscheidung: Ihre kombinierte Erlaubnis wird entzogen",
    },
    "stay_ended": {
        "en": "Decision: your stay is ended",
        "fr": "Décision : il est mis fin à votre séjour",
        "nl": "Beslissing: er wordt een einde gesteld aan uw verblijf",
        "de": "Entscheidung: Ihr Aufenthalt wird beendet",
    },
}


def notice_of(event: DomainEvent) -> str | None:
    """The notice a decision of the Office sends the applicants, if any."""
    match event:
        case SinglePermitGranted():
            return "single_permit_granted"
        case NegativeDecisionTaken():
            return "residence_refused"
        case AuthorisationWithdrawn():
            return "permit_withdrawn"
        case StayEnded():
            return "stay_ended"
    return None
