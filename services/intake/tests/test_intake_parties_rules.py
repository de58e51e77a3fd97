"""Filing rules of intake: the competent region, the worker, the employer, the mandatary
and the dates.

Given no dossier yet, when the filer sends the form (Art. 20 §1), then the filing is
accepted with the facts ``ApplicationFiled`` will carry, or refused naming the field to
correct. One test per rule; pure (``make unit``).
"""

from __future__ import annotations

from datetime import date

import pytest
from intake_forms import TODAY, document, file_form, refused

from guichet_contracts.vocabulary import CompetentAuthority, FilerRole
from guichet_intake.domain import competent_region

# The competent authority is the one of the place of work (Art. 9)


@pytest.mark.parametrize(
    ("postcode", "authority"),
    [
        ("1000", CompetentAuthority.BRUSSELS),
        ("1299", CompetentAuthority.BRUSSELS),
        ("1300", CompetentAuthority.WALLONIA),  # Walloon Brabant
        ("1500", CompetentAuthority.FLANDERS),  # Flemish Brabant
        ("2000", CompetentAuthority.FLANDERS),
        ("3999", CompetentAuthority.FLANDERS),
        ("4000", CompetentAuthority.WALLONIA),
        ("7999", CompetentAuthority.WALLONIA),
        ("8000", CompetentAuthority.FLANDERS),
        ("4700", CompetentAuthority.GERMAN_SPEAKING_COMMUNITY),  # Eupen
        ("4791", CompetentAuthority.GERMAN_SPEAKING_COMMUNITY),  # Burg-Reuland
    ],
)
def test_the_region_of_the_place_of_work_is_competent_art_9(
    postcode: str, authority: CompetentAuthority
) -> None:
    assert competent_region(postcode) is authority
    assert file_form({"employment.workplace_postcode": postcode}).authority is authority


@pytest.mark.parametrize("postcode", ["999", "0999", "10000", "B100"])
def test_a_place_of_work_outside_belgium_is_refused_art_9(postcode: str) -> None:
    assert refused({"employment.workplace_postcode": postcode}).field == (
        "employment.workplace_postcode"
    )


# The worker (Art. 12, Art. 20 §2 1°)


def test_a_niss_with_a_wrong_check_is_refused_art_12() -> None:
    assert refused({"worker.niss": "85073003329"}).field == "worker.niss"


def test_the_birth_date_matches_the_one_in_the_national_number_art_12() -> None:
    assert refused({"worker.birth_date": "1985-07-31"}).field == "worker.birth_date"


def test_a_worker_without_a_niss_is_filed_and_is_no_subject_of_the_dossier_art_12() -> None:
    filing = file_form({"worker.niss": None})
    assert filing.personal.worker.niss is None
    assert filing.subjects == {"0403019261"}


def test_the_worker_follows_the_dossier_by_the_niss_in_its_compact_form_art_12() -> None:
    filing = file_form()
    assert filing.personal.worker.niss == "85073003328"
    assert "85073003328" in filing.subjects


def test_a_birth_date_is_in_the_past_art_12() -> None:
    assert refused({"worker.niss": None, "worker.birth_date": TODAY.isoformat()}).field == (
        "worker.birth_date"
    )


# The employer (Art. 2 §1 1°, Art. 20 §2 3°)


def test_an_employed_worker_s_application_names_the_employer_art_2() -> None:
    assert refused({"employer": None}).field == "employer"


def test_an_invalid_enterprise_number_is_refused_art_13_1() -> None:
    assert refused({"employer.enterprise_number": "0403019262"}).field == (
        "employer.enterprise_number"
    )


def test_the_employer_follows_the_dossier_by_its_compact_enterprise_number_art_13_1() -> None:
    filing = file_form({"employer.enterprise_number": "BE 0403.019.261"})
    assert filing.employer_enterprise_number == "0403019261"
    assert filing.personal.employer is not None
    assert filing.personal.employer.enterprise_number == "0403019261"
    assert "0403019261" in filing.subjects


def test_an_employer_without_enterprise_number_gives_its_registration_data_art_20_2_3() -> None:
    assert refused({"employer.enterprise_number": None}).field == "employer.registration"
    registration = {
        "legal_name": "Acme Belgium SRL",
        "legal_form": "SRL",
        "address": {"street": "Rue 2", "postcode": "1000", "city": "Bruxelles", "country": "BE"},
        "activity_start": "2027-07-01",
        "representative_name": "J. Peeters",
    }
    filing = file_form({"employer.enterprise_number": None, "employer.registration": registration})
    assert filing.employer_enterprise_number is None
    assert filing.subjects == {"85073003328"}


# The mandatary (Art. 2, Art. 20; its name and address are data of Art. 13 §1: a social
# secretariat or a lawyer may file for someone)


def test_a_mandatary_filing_says_who_the_mandatary_is_art_13_1() -> None:
    assert refused({"filed_by": "mandatary"}).field == "mandatary"


def test_a_mandatary_with_an_invalid_enterprise_number_is_refused_art_13_1() -> None:
    mandatary = {"name": "SocSec", "enterprise_number": "0403019262", "email": "s@example.org"}
    rejection = refused({"filed_by": "mandatary", "mandatary": mandatary})
    assert rejection.field == "mandatary.enterprise_number"


def test_a_mandatary_with_an_enterprise_number_follows_the_dossier_art_13_1() -> None:
    mandatary = {"name": "SocSec", "enterprise_number": "0202.239.951", "email": "s@example.org"}
    filing = file_form({"filed_by": "mandatary", "mandatary": mandatary})
    assert filing.filed_by is FilerRole.MANDATARY
    assert "0202239951" in filing.subjects


def test_a_mandatary_without_an_enterprise_number_is_no_subject_art_13_1() -> None:
    mandatary = {"name": "Me Dupont", "email": "avocat@example.org"}
    filing = file_form({"filed_by": "mandatary", "mandatary": mandatary})
    assert filing.subjects == {"85073003328", "0403019261"}


# The dates (the wished start and end of Art. 13 §1; Art. 2 §1 1° a), Art. 4: more or not
# more than ninety days)


def test_the_wished_start_is_not_past_art_13_1() -> None:
    assert refused({"employment.start": "2027-05-31"}).field == "employment.start"
    assert file_form({"employment.start": TODAY.isoformat()}).wished_start == TODAY


def test_the_end_comes_after_the_start_art_13_1() -> None:
    assert refused({"employment.end": "2027-09-01"}).field == "employment.end"


def test_a_single_permit_is_for_more_than_ninety_days_art_2_1_1_a() -> None:
    # 1 September + 90 days = 30 November: exactly ninety days is not "more than ninety".
    rejection = refused({"employment.end": "2027-11-30"})
    assert rejection.field == "employment.end"
    assert "work authorisation" in rejection.reason
    assert file_form({"employment.end": "2027-12-01"}).wished_end == date(2027, 12, 1)


def test_a_single_permit_without_an_end_is_for_more_than_ninety_days_art_2_1_1_a() -> None:
    assert file_form({"employment.end": None}).wished_end is None


def test_a_work_authorisation_may_be_for_ninety_days_or_less_art_4_2() -> None:
    short = {
        "kind": "work_authorisation",
        "category": "general",
        "employment.end": "2027-09-30",
        "documents": [document("passport")],
    }
    assert file_form(short).wished_end == date(2027, 9, 30)
