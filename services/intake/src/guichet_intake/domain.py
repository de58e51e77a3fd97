"""Filing an application (Art. 2 §1 1°, Art. 19-20): pure rules, no I/O.

The competent region is the region of the place of work (Art. 9); the German-speaking
Community decides for its nine municipalities (Eupen, Kelmis, Lontzen, Raeren, Amel,
Büllingen, Bütgenbach, Burg-Reuland, Sankt Vith), all in the province of Liège.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from stdnum.be import vat

from guichet_contracts.events import (
    ApplicantCategory,
    ApplicationFiled,
    ApplicationKind,
    CompetentAuthority,
    FilerRole,
)

GERMAN_SPEAKING_POSTCODES = frozenset(
    {
        4700,
        4701,  # Eupen
        4710,
        4711,  # Lontzen
        4720,
        4721,
        4728,  # Kelmis
        4730,
        4731,  # Raeren
        4750,  # Bütgenbach
        4760,
        4761,  # Büllingen
        4770,
        4771,  # Amel
        4780,
        4782,
        4783,
        4784,  # Sankt Vith
        4790,
        4791,  # Burg-Reuland
    }
)


class FilingRejected(ValueError):
    """The application cannot be filed as it is; the message says what to correct."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def competent_region(postcode: str) -> CompetentAuthority:
    """The authority competent for a place of work, from its Belgian postcode."""
    if not (len(postcode) == 4 and postcode.isdigit() and 1000 <= int(postcode) <= 9999):
        raise FilingRejected(
            "workplace_postcode", f"{postcode!r} is not a Belgian postcode (1000-9999)"
        )
    code = int(postcode)
    if code in GERMAN_SPEAKING_POSTCODES:
        return CompetentAuthority.GERMAN_SPEAKING_COMMUNITY
    if code < 1300:
        return CompetentAuthority.BRUSSELS
    if code < 1500 or 4000 <= code < 8000:
        return CompetentAuthority.WALLONIA  # Walloon Brabant, Liège, Namur, Hainaut, Luxembourg
    return CompetentAuthority.FLANDERS  # Flemish Brabant, Antwerp, Limburg, both Flanders


@dataclass(frozen=True)
class FileApplication:
    """The command: what a filer sends to open a dossier."""

    kind: ApplicationKind
    category: ApplicantCategory
    workplace_postcode: str
    filed_by: FilerRole
    employer_enterprise_number: str | None = None


def file_application(
    command: FileApplication, *, now: datetime, professional_card_enabled: bool
) -> ApplicationFiled:
    """Decide whether the application can be filed, and the event that records it."""
    if command.kind is ApplicationKind.PROFESSIONAL_CARD and not professional_card_enabled:
        raise FilingRejected(
            "kind",
            "the professional-card procedure is not open yet: it enters into force on a date "
            "set by a later cooperation agreement (Art. 34, 36)",
        )
    enterprise = command.employer_enterprise_number
    if enterprise is not None:
        if not vat.is_valid(enterprise):
            raise FilingRejected(
                "employer_enterprise_number",
                f"{enterprise!r} is not a valid KBO/BCE enterprise number "
                "(10 digits, the last two a check)",
            )
        enterprise = vat.compact(enterprise)
    return ApplicationFiled(
        application_id=uuid.uuid4(),
        kind=command.kind,
        category=command.category,
        competent_authority=competent_region(command.workplace_postcode),
        workplace_postcode=command.workplace_postcode,
        employer_enterprise_number=enterprise,
        filed_by=command.filed_by,
        filed_at=now,
    )
