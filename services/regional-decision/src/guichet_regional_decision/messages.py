"""What the applicant reads in the e-box and by e-mail (Art. 20 §5), in their language.

Only the worker concerned reads a negative decision's reasons (Art. 24); the employer
is told of the step, never of the reasons.
"""

from __future__ import annotations

from guichet_contracts import (
    ApplicationDeclaredAdmissible,
    AuthorisationWithdrawn,
    DomainEvent,
    NegativeDecisionTaken,
    ProfessionalCardGranted,
    SupplementaryDocumentsRequested,
    WorkAuthorised,
)
from guichet_contracts.vocabulary import DecisionStep, Language
from guichet_regional_decision.domain import RequestDocuments

SUBJECTS: dict[str, dict[Language, str]] = {
    "admissible": {
        "en": "Your application is admissible",
        "fr": "Votre demande est recevable",
        "nl": "Uw aanvraag is ontvankelijk",
        "de": "Ihr Antrag ist zulässig",
    },
    "inadmissible": {
        "en": "Decision: your application is inadmissible",
        "fr": "Décision : votre demande est irrecevable",
        "nl": "Beslissing: uw aanvraag is onontvankelijk",
        "de": "Entscheidung: Ihr Antrag ist unzulässig",
    },
    "documents_requested": {
        "en": "Supplementary documents are needed",
        "fr": "Des documents complémentaires sont nécessaires",
        "nl": "Bijkomende documenten zijn nodig",
        "de": "Zusätzliche Unterlagen werden benötigt",
    },
    "work_authorised": {
        "en": "Your work authorisation is granted",
        "fr": "Votre autorisation de travail est accordée",
        "nl": "Uw arbeidsvergunning is toegekend",
        "de": "Ihre Arbeitserlaubnis ist erteilt",
    },
    "work_refused": {
        "en": "Decision: your work authorisation is refused",
        "fr": "Décision : votre autorisation de travail est refusée",
        "nl": "Beslissing: uw arbeidsvergunning is geweigerd",
        "de": "Entscheidung: Ihre Arbeitserlaubnis wird verweigert",
    },
    "card_granted": {
        "en": "Your professional card is granted",
        "fr": "Votre carte professionnelle est accordée",
        "nl": "Uw beroepskaart is toegekend",
        "de": "Ihre Berufskarte ist erteilt",
    },
    "card_refused": {
        "en": "Decision: your professional card is refused",
        "fr": "Décision : votre carte professionnelle est refusée",
        "nl": "Beslissing: uw beroepskaart is geweigerd",
        "de": "Entscheidung: Ihre Berufskarte wird verweigert",
    },
    "withdrawn": {
        "en": "Decision: your authorisation is withdrawn",
        "fr": "Décision : votre autorisation est retirée",
        "nl": "Beslissing: uw vergunning is ingetrokken",
        "de": "Entscheidung: Ihre Erlaubnis wird entzogen",
    },
}


def notice_of(event: DomainEvent) -> str | None:
    """The notice a decision event sends the applicants, if any (keys of ``SUBJECTS``)."""
    match event:
        case ApplicationDeclaredAdmissible():
            return "admissible"
        case SupplementaryDocumentsRequested():
            return "documents_requested"
        case WorkAuthorised():
            return "work_authorised"
        case NegativeDecisionTaken(step=DecisionStep.ADMISSIBILITY):
            return "inadmissible"
        case NegativeDecisionTaken(step=DecisionStep.PROFESSIONAL_CARD):
            return "card_refused"
        case NegativeDecisionTaken():
            return "work_refused"
        case ProfessionalCardGranted():
            return "card_granted"
        case AuthorisationWithdrawn():
            return "withdrawn"
    return None


def documents_details(command: RequestDocuments) -> str:
    """What the applicant reads of a request for documents (Art. 20 §4): why, which, by when."""
    kinds = ", ".join(kind.value for kind in command.document_kinds)
    return f"{command.explanation}\n\n{kinds}\nDue: {command.due_on.isoformat()}"
