"""Filing rules of intake: kinds and the categories of Art. 4, the documents and the fee.

Given no dossier yet, when the filer sends the form of Art. 20 §1, then either the filing
is accepted with the facts ``ApplicationFiled`` will carry (kind, category, competent
authority, dates, fee) or it is refused with the field to correct and a reason. One
test per rule, named after it; pure: no server, no store (``make unit``).
"""

from __future__ import annotations

import pytest
from intake_forms import document, file_form, refused

from guichet_contracts.vocabulary import ApplicantCategory, ApplicationKind, CompetentAuthority


def test_a_complete_single_permit_is_filed_with_its_routing_facts() -> None:
    filing = file_form()
    assert filing.kind is ApplicationKind.SINGLE_PERMIT
    assert filing.category is ApplicantCategory.EU_BLUE_CARD
    assert filing.authority is CompetentAuthority.FLANDERS  # Antwerp, Art. 9
    assert filing.fee_paid
    assert "documents" not in filing.personal.model_dump()  # travel as references only


# Kinds and categories (Art. 2 §1 1°, Art. 4, Art. 34 and 36)


def test_professional_card_is_refused_while_its_procedure_is_closed_art_34_36() -> None:
    card = {
        "kind": "professional_card",
        "category": "self_employed",
        "employer": None,
        "filed_by": "self_employed",
        "details.self_employed_activity": "bakery",
        "documents": [document("passport"), document("business_plan")],
    }
    assert refused(card).field == "kind"
    assert file_form(card, card_open=True).kind is ApplicationKind.PROFESSIONAL_CARD


def test_a_self_employed_worker_has_no_single_permit_art_4_3() -> None:
    rejection = refused({"category": "self_employed"})
    assert rejection.field == "category"


@pytest.mark.parametrize("category", ["eu_blue_card", "researcher", "volunteer"])
def test_a_work_authorisation_is_for_general_seasonal_trainee_or_other_work_art_4_2(
    category: str,
) -> None:
    rejection = refused({"kind": "work_authorisation", "category": category})
    assert rejection.field == "category"
    assert "general" in rejection.reason


def test_a_professional_card_is_for_the_self_employed_only_art_4_3() -> None:
    rejection = refused({"kind": "professional_card"}, card_open=True)
    assert rejection.field == "category"


def test_a_researcher_names_the_approval_of_the_research_organisation_art_4_7() -> None:
    researcher = {
        "category": "researcher",
        "documents": [document("passport"), document("hosting_agreement")],
    }
    assert refused(researcher).field == "details.research_organisation_approval"
    approved = {**researcher, "details.research_organisation_approval": "AGR-2027-01"}
    assert file_form(approved).category is ApplicantCategory.RESEARCHER


def test_a_researcher_in_long_term_mobility_needs_the_approval_too_art_4_7() -> None:
    mobility = {
        "category": "researcher_long_term_mobility",
        "documents": [document("passport"), document("hosting_agreement")],
    }
    assert refused(mobility).field == "details.research_organisation_approval"


@pytest.mark.parametrize(
    ("postcode", "sector"),
    [("2000", "agriculture"), ("5000", "horticulture"), ("4700", "agriculture")],
)
def test_seasonal_work_is_open_to_the_sectors_the_region_lists_art_4_5(
    postcode: str, sector: str
) -> None:
    seasonal = {
        "category": "seasonal_worker",
        "employment.workplace_postcode": postcode,
        "details.seasonal_sector": sector,
    }
    assert file_form(seasonal).category is ApplicantCategory.SEASONAL_WORKER


def test_seasonal_work_in_brussels_is_open_to_horticulture_only_art_4_5() -> None:
    seasonal = {"category": "seasonal_worker", "employment.workplace_postcode": "1000"}
    rejection = refused({**seasonal, "details.seasonal_sector": "agriculture"})
    assert rejection.field == "details.seasonal_sector"
    assert rejection.reason.endswith("horticulture")
    assert file_form({**seasonal, "details.seasonal_sector": "horticulture"})


def test_a_seasonal_worker_without_a_sector_is_refused_art_4_5() -> None:
    assert refused({"category": "seasonal_worker"}).field == "details.seasonal_sector"


@pytest.mark.parametrize("category", ["intra_corporate_transferee", "ict_long_term_mobility"])
def test_an_intra_corporate_transfer_names_the_group_entity_art_4_6(category: str) -> None:
    transfer = {
        "category": category,
        "documents": [document("passport"), document("posting_certificate")],
    }
    assert refused(transfer).field == "details.host_group_entity"
    assert file_form({**transfer, "details.host_group_entity": "Acme Inc., Lagos"})


def test_a_volunteer_names_the_voluntary_service_scheme_art_4_9() -> None:
    volunteer = {"category": "volunteer", "documents": [document("passport")]}
    assert refused(volunteer).field == "details.volunteer_programme"
    chosen = {**volunteer, "details.volunteer_programme": "European Solidarity Corps"}
    assert file_form(chosen).category is ApplicantCategory.VOLUNTEER


def test_a_self_employed_worker_describes_the_activity_art_4_3() -> None:
    card = {
        "kind": "professional_card",
        "category": "self_employed",
        "employer": None,
        "filed_by": "self_employed",
        "documents": [document("passport"), document("business_plan")],
    }
    rejection = refused(card, card_open=True)
    assert rejection.field == "details.self_employed_activity"


@pytest.mark.parametrize("category", ["general", "other"])
def test_general_and_other_work_need_no_category_details_art_4_1_10(category: str) -> None:
    assert file_form({"category": category, "documents": [document("passport")]})


# Documents a complete application includes (Art. 19, Art. 20 §1 second paragraph)


def test_every_application_includes_the_passport_art_20_1() -> None:
    rejection = refused({"documents": [document("diploma")]})
    assert (rejection.field, rejection.reason) == (
        "documents",
        "a complete application includes: passport",
    )


@pytest.mark.parametrize(
    ("category", "details", "required"),
    [
        ("eu_blue_card", {}, "diploma"),
        ("researcher", {"details.research_organisation_approval": "A1"}, "hosting_agreement"),
        (
            "intra_corporate_transferee",
            {"details.host_group_entity": "Acme"},
            "posting_certificate",
        ),
        (
            "researcher_long_term_mobility",
            {"details.research_organisation_approval": "A1"},
            "hosting_agreement",
        ),
        ("ict_long_term_mobility", {"details.host_group_entity": "Acme"}, "posting_certificate"),
        ("trainee", {}, "traineeship_agreement"),
    ],
)
def test_each_category_includes_the_documents_it_requires_art_20_1(
    category: str, details: dict[str, str], required: str
) -> None:
    without = {"category": category, **details, "documents": [document("passport")]}
    assert refused(without).reason.endswith(required)
    complete = {**without, "documents": [document("passport"), document(required)]}
    assert file_form(complete).category.value == category


def test_a_self_employed_worker_includes_a_business_plan_art_20_1() -> None:
    card = {
        "kind": "professional_card",
        "category": "self_employed",
        "employer": None,
        "filed_by": "self_employed",
        "details.self_employed_activity": "bakery",
        "documents": [document("passport")],
    }
    assert refused(card, card_open=True).reason.endswith("business_plan")


# The fee (Art. 18: the administrative data of a filing include the payment of the fee)


def test_a_single_permit_is_refused_without_the_proof_of_payment_of_the_fee_art_18() -> None:
    rejection = refused({"fee_payment_reference": None})
    assert rejection.field == "fee_payment_reference"


def test_a_work_authorisation_is_filed_without_a_fee_art_18() -> None:
    short = {
        "kind": "work_authorisation",
        "category": "general",
        "fee_payment_reference": None,
        "employment.end": "2027-10-15",
        "documents": [document("passport")],
    }
    filing = file_form(short)
    assert filing.kind is ApplicationKind.WORK_AUTHORISATION
    assert not filing.fee_paid
