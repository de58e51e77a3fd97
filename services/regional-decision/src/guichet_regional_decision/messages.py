"""What the applicant reads in the e-box and by e-mail (Art. 20 §5), in their language.

Only the worker concerned reads a negative decision's reasons (Art. 24); the employer
is told of the step, never of the reasons.
"""

from __future__ import annotations

from guichet_contracts.vocabulary import Language

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
