"""What each kind and category of application admits and needs (Art. 2 §1 1°, Art. 4,
Art. 9, Art. 19): the tables the filing rules read, apart from the rules themselves.

The German-speaking Community decides for its nine municipalities (Eupen, Kelmis,
Lontzen, Raeren, Amel, Büllingen, Bütgenbach, Burg-Reuland, Sankt Vith), all in the
province of Liège: these are their postcodes.
"""

from __future__ import annotations

from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DocumentKind,
)

GERMAN_SPEAKING_POSTCODES = frozenset(
    {
        4700,
        4701,
        4710,
        4711,
        4720,
        4721,
        4728,
        4730,
        4731,
        4750,
        4760,
        4761,
        4770,
        4771,
        4780,
        4782,
        4783,
        4784,
        4790,
        4791,
    }
)

# Sectors open to seasonal work, per region (Art. 4: "sector lists of the regions").
SEASONAL_SECTORS: dict[CompetentAuthority, frozenset[str]] = {
    CompetentAuthority.FLANDERS: frozenset({"agriculture", "horticulture"}),
    CompetentAuthority.WALLONIA: frozenset({"agriculture", "horticulture"}),
    CompetentAuthority.BRUSSELS: frozenset({"horticulture"}),
    CompetentAuthority.GERMAN_SPEAKING_COMMUNITY: frozenset({"agriculture", "horticulture"}),
}

# Which categories each kind of application admits (Art. 2 §1 1°, Art. 4).
CATEGORIES_OF_KIND: dict[ApplicationKind, frozenset[ApplicantCategory]] = {
    ApplicationKind.SINGLE_PERMIT: frozenset(ApplicantCategory) - {ApplicantCategory.SELF_EMPLOYED},
    ApplicationKind.WORK_AUTHORISATION: frozenset(
        {
            ApplicantCategory.GENERAL,
            ApplicantCategory.SEASONAL_WORKER,
            ApplicantCategory.TRAINEE,
            ApplicantCategory.OTHER,
        }
    ),
    ApplicationKind.PROFESSIONAL_CARD: frozenset({ApplicantCategory.SELF_EMPLOYED}),
}

# Documents a complete application needs, by category (the form tells the filer, Art. 19).
REQUIRED_DOCUMENTS: dict[ApplicantCategory, frozenset[DocumentKind]] = {
    ApplicantCategory.EU_BLUE_CARD: frozenset({DocumentKind.DIPLOMA}),
    ApplicantCategory.RESEARCHER: frozenset({DocumentKind.HOSTING_AGREEMENT}),
    ApplicantCategory.RESEARCHER_LONG_TERM_MOBILITY: frozenset({DocumentKind.HOSTING_AGREEMENT}),
    ApplicantCategory.INTRA_CORPORATE_TRANSFEREE: frozenset({DocumentKind.POSTING_CERTIFICATE}),
    ApplicantCategory.ICT_LONG_TERM_MOBILITY: frozenset({DocumentKind.POSTING_CERTIFICATE}),
    ApplicantCategory.TRAINEE: frozenset({DocumentKind.TRAINEESHIP_AGREEMENT}),
    ApplicantCategory.SELF_EMPLOYED: frozenset({DocumentKind.BUSINESS_PLAN}),
}
BASE_DOCUMENTS = frozenset({DocumentKind.PASSPORT})
