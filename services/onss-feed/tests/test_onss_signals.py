"""The five signals (Art. 10 6°-8°), each raised and each not raised, with no I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from guichet_contracts import (
    ApplicationFiled,
    AuthorisationWithdrawn,
    SealedData,
    SinglePermitGranted,
    WorkAuthorised,
)
from guichet_contracts.dossier import SealedDossier
from guichet_contracts.employment import WagesDeclared
from guichet_contracts.signals import DossierFacts, Period, facts_of, opened, signals
from guichet_contracts.vocabulary import (
    ApplicantCategory,
    ApplicationKind,
    CompetentAuthority,
    DecisionStep,
    FilerRole,
)

TODAY = date(2026, 9, 15)
WORK = Period(date(2026, 3, 1), date(2027, 2, 28))
EMPLOYER = "0403019261"


def dossier_paying(gross_monthly_wage_eur: float) -> SealedDossier:
    """An opened sealed dossier whose contract pays this wage (the rest does not matter)."""
    address = {"street": "Rue 1", "postcode": "2000", "city": "Antwerpen", "country": "BE"}
    return SealedDossier.model_validate(
        {
            "kind": "single_permit",
            "category": "intra_corporate_transferee",
            "filed_by": "employer",
            "worker": {
                "last_name": "Diallo",
                "first_names": "Amina",
                "birth_date": "1985-07-30",
                "birth_place": "Dakar",
                "sex": "F",
                "nationality": "SN",
                "passport_number": "A12345678",
                "address": address,
                "email": "amina@example.org",
            },
            "employment": {
                "workplace_postcode": "2000",
                "job_title": "Engineer",
                "start": "2026-03-01",
                "weekly_hours": 38,
                "gross_monthly_wage_eur": gross_monthly_wage_eur,
            },
        }
    )


FACTS = DossierFacts(
    kind="single_permit",
    category="general",
    competent_authority="VLG",
    employer_enterprise_number=EMPLOYER,
    authorised_gross_monthly_wage_eur=Decimal("3000"),
    work_authorisation=WORK,
    single_permit=WORK,
)


def entry(day: str, employer: str = EMPLOYER) -> dict[str, Any]:
    return {
        "event_type": "be.guichet.employment.declared.v1",
        "entry_date": day,
        "employer_enterprise_number": employer,
        "record_key": "k-in",
    }


def exit_(day: str) -> dict[str, Any]:
    return {
        "event_type": "be.guichet.employment.ended.v1",
        "entry_date": "2026-03-01",
        "exit_date": day,
        "employer_enterprise_number": EMPLOYER,
    }


def wages(quarter: str, amount: str) -> dict[str, Any]:
    return {
        "event_type": "be.guichet.wages.declared.v1",
        "quarter": quarter,
        "employer_enterprise_number": EMPLOYER,
        "gross_wage_eur": amount,
    }


def codes(facts: DossierFacts, declarations: list[dict[str, Any]]) -> list[str]:
    return [signal.code for signal in signals(facts, declarations, TODAY)]


def test_employment_declared_before_the_work_authorisation_starts() -> None:
    found = signals(FACTS, [entry("2026-02-15")], TODAY)
    assert [s.code for s in found] == ["employment_before_authorisation"]
    assert found[0].concerns == {"VLG", "OE", "INSP_FED", "INSP_REG"}
    assert found[0].record_key == "k-in" and "2026-03-01" in found[0].message
    assert codes(FACTS, [entry("2026-03-01")]) == []
    pending = DossierFacts(kind="single_permit", category="general", competent_authority="WAL")
    assert codes(pending, [entry("2026-09-01")]) == ["employment_before_authorisation"]
    assert codes(pending, [entry("2026-12-01")]) == []  # planned: may still be authorised


def test_declared_wage_below_the_authorised_contract_compares_per_month() -> None:
    assert codes(FACTS, [entry("2026-03-01"), wages("2026-Q2", "9000.00")]) == []
    found = signals(FACTS, [entry("2026-03-01"), wages("2026-Q2", "8500.00")], TODAY)
    assert [s.code for s in found] == ["wage_below_authorised"]
    assert "2833.33" in found[0].message and "OE" in found[0].concerns
    # Entry on 1 March: Q1 holds one month of 31 days out of 90: 3000 is enough.
    assert codes(FACTS, [entry("2026-03-01"), wages("2026-Q1", "3100.00")]) == []
    assert codes(FACTS, [entry("2026-03-01"), wages("2026-Q1", "2000.00")]) == [
        "wage_below_authorised"
    ]
    work_only = DossierFacts(
        kind="work_authorisation",
        category="general",
        competent_authority="BXL",
        work_authorisation=WORK,
        authorised_gross_monthly_wage_eur=Decimal("3000"),
    )
    only = signals(work_only, [wages("2026-Q2", "100.00")], TODAY)
    assert only[0].concerns == {"BXL", "INSP_REG", "INSP_FED"}


def test_employment_ended_while_the_permit_runs_tells_the_region_and_the_office() -> None:
    found = signals(FACTS, [entry("2026-03-01"), exit_("2026-08-31")], TODAY)
    assert [s.code for s in found] == ["employment_ended_while_permit_runs"]
    assert found[0].concerns == {"VLG", "OE"}
    assert codes(FACTS, [entry("2026-03-01"), exit_("2027-02-28")]) == []  # with the permit
    no_permit = DossierFacts(kind="single_permit", category="general", competent_authority="VLG")
    assert "employment_ended_while_permit_runs" not in codes(no_permit, [exit_("2026-08-31")])


def posted(category: str = "intra_corporate_transferee", work: Period = WORK) -> DossierFacts:
    return DossierFacts(
        kind="single_permit", category=category, competent_authority="VLG", work_authorisation=work
    )


def test_a_posted_worker_without_a_limosa_declaration() -> None:
    found = signals(posted(), [], TODAY)
    assert [s.code for s in found] == ["posted_without_limosa"]
    assert "INSP_FED" in found[0].concerns
    assert codes(posted("ict_long_term_mobility"), []) == ["posted_without_limosa"]
    limosa = {
        "event_type": "be.guichet.posting.declared.v1",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
    }
    assert codes(posted(), [limosa]) == []
    assert codes(posted("general"), []) == []
    assert codes(posted(work=Period(date(2026, 10, 1), date(2027, 9, 30))), []) == []  # not yet
    stale = {**limosa, "start_date": "2024-01-01", "end_date": "2024-12-31"}
    assert codes(posted(), [stale]) == ["posted_without_limosa"]


def test_a_professional_card_holder_without_an_inasti_affiliation() -> None:
    card = DossierFacts(
        kind="professional_card",
        category="self_employed",
        competent_authority="DG",
        professional_card=WORK,
    )
    found = signals(card, [], TODAY)
    assert [s.code for s in found] == ["professional_card_without_inasti"]
    assert found[0].concerns == {"DG", "INSP_REG", "INSP_FED"}
    affiliation = {
        "event_type": "be.guichet.self-employed-affiliation.recorded.v1",
        "start_date": "2026-03-01",
        "end_date": None,
    }
    assert codes(card, [affiliation]) == []
    ended_before = {**affiliation, "start_date": "2020-01-01", "end_date": "2021-01-01"}
    assert codes(card, [ended_before]) == ["professional_card_without_inasti"]


def test_facts_come_from_the_filing_its_personal_data_and_the_decisions() -> None:
    sealed = SealedData(key_id="x", alg="AES-256-GCM", nonce="", ciphertext="")
    application_id = uuid.uuid4()
    now = datetime.now(UTC)
    filed = ApplicationFiled(
        application_id=application_id,
        kind=ApplicationKind.SINGLE_PERMIT,
        category=ApplicantCategory.INTRA_CORPORATE_TRANSFEREE,
        competent_authority=CompetentAuthority.FLANDERS,
        workplace_postcode="2000",
        employer_enterprise_number=EMPLOYER,
        filed_by=FilerRole.EMPLOYER,
        filed_at=now,
    )
    decisions = [
        WorkAuthorised(
            application_id=application_id,
            authority=CompetentAuthority.FLANDERS,
            valid_from=WORK.start,
            valid_until=WORK.end,
            decided_at=now,
        ),
        SinglePermitGranted(
            application_id=application_id,
            act_number="A1",
            valid_from=WORK.start,
            valid_until=WORK.end,
            granted_at=now,
        ),
        AuthorisationWithdrawn(
            application_id=application_id,
            step=DecisionStep.RESIDENCE,
            authority=CompetentAuthority.IMMIGRATION_OFFICE,
            withdrawn_at=now,
        ),
    ]
    facts = facts_of(filed, dossier_paying(5200), decisions)
    assert facts.authorised_gross_monthly_wage_eur == Decimal("5200")
    assert facts.work_authorisation == WORK and facts.single_permit is None
    assert facts.category == "intra_corporate_transferee" and facts.competent_authority == "VLG"
    event = WagesDeclared(
        application_id=application_id,
        record_key="a" * 64,
        quarter="2026-Q2",
        employer_enterprise_number=EMPLOYER,
        received_at=now,
        personal=sealed,
    )
    declaration = opened(event, {"gross_wage_eur": "100.00"})
    assert declaration["event_type"] == WagesDeclared.event_type
    assert "personal" not in declaration
    assert codes(facts, [declaration]) == ["wage_below_authorised", "posted_without_limosa"]
