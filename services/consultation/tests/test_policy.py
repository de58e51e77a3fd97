"""The access policy, read as the agreement's articles (Art. 3, 10-17, 20-26, 29)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guichet_consultation import policy_table
from guichet_consultation.policy import (
    POLICY,
    Condition,
    DataCategory,
    DossierFacts,
    PolicyError,
    Requester,
    Rule,
    evaluate,
    parse,
    validate,
)
from guichet_consultation.register import register_markdown, witness
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import REGIONS, Caller

C = DataCategory
HEALTH, CRIMINAL = policy_table.HEALTH_ROLE, policy_table.CRIMINAL_ROLE
EVERYTHING = frozenset(DataCategory)


def allowed(requester: Requester, facts: DossierFacts) -> frozenset[DataCategory]:
    return frozenset(c for c, v in evaluate(POLICY, requester, facts).items() if v.allowed)


def region(
    authority: Authority = Authority.VLG, *roles: str, purpose: str | None = None
) -> Requester:
    return Requester(authority, frozenset(roles), purpose)


WORKER_IN_VLG = DossierFacts("VLG")
SELF_EMPLOYED_IN_VLG = DossierFacts("VLG", self_employed=True)


# The table loads and is validated.


def test_the_table_loads_and_validates() -> None:
    assert len(POLICY) > 50
    assert validate(POLICY) == POLICY
    assert all(rule.article.startswith("Art.") for rule in POLICY)


def test_every_rule_decides_in_some_situation() -> None:
    assert [rule for rule in POLICY if witness(rule) is None] == []


def test_two_contradictory_rows_are_refused() -> None:
    allow = Rule(frozenset({Authority.OE}), C.CONTACT, Condition.ALWAYS, True, "Art. 12 §1")
    deny = dataclasses.replace(allow, allowed=False)
    with pytest.raises(PolicyError, match="contradict"):
        validate([allow, deny])


def test_a_denial_that_silences_an_allow_is_refused() -> None:
    allow = Rule(frozenset(REGIONS), C.CONTACT, Condition.OWN_TERRITORY, True, "Art. 12 §1")
    deny = Rule(frozenset({Authority.WAL}), C.CONTACT, Condition.ALWAYS, False, "Art. 11")
    with pytest.raises(PolicyError, match="contradict"):
        validate([allow, deny])


def test_a_denial_under_another_condition_is_not_a_contradiction() -> None:
    allow = Rule(frozenset(REGIONS), C.CONTACT, Condition.OWN_TERRITORY, True, "Art. 12 §1")
    deny = Rule(frozenset(REGIONS), C.CONTACT, Condition.SELF_EMPLOYED_DOSSIER, False, "Art. 11")
    assert validate([allow, deny]) == (allow, deny)


def test_a_duplicate_row_is_refused() -> None:
    rule = Rule(frozenset({Authority.OE}), C.CONTACT, Condition.ALWAYS, True, "Art. 12 §1")
    with pytest.raises(PolicyError, match="duplicate"):
        validate([rule, dataclasses.replace(rule, note="again")])


@pytest.mark.parametrize("article", ["", "   ", "see the law"])
def test_a_row_without_article_is_refused(article: str) -> None:
    rule = Rule(frozenset({Authority.OE}), C.CONTACT, Condition.ALWAYS, True, article)
    with pytest.raises(PolicyError, match="article"):
        validate([rule])


def test_a_row_naming_an_unknown_category_is_refused() -> None:
    rule = Rule(frozenset({Authority.OE}), "reasons", Condition.ALWAYS, True, "Art. 24")  # type: ignore[arg-type]
    with pytest.raises(PolicyError, match="unknown data category"):
        validate([rule])
    line = policy_table.Line("OE", "summary reasons", "always", True, "Art. 24")
    with pytest.raises(PolicyError, match="unknown data category reasons"):
        parse([line])


def test_a_line_naming_an_unknown_authority_or_condition_is_refused() -> None:
    with pytest.raises(PolicyError, match="unknown authority NATO"):
        parse([policy_table.Line("NATO", "summary", "always", True, "Art. 11")])
    with pytest.raises(PolicyError, match="unknown condition"):
        parse([policy_table.Line("OE", "summary", "on_tuesdays", True, "Art. 11")])
    with pytest.raises(PolicyError, match="exactly one condition"):
        parse([policy_table.Line("OE", "summary", "always inspection", True, "Art. 11")])


def test_art_16_health_data_without_the_designated_role_cannot_load() -> None:
    rule = Rule(frozenset({Authority.OE}), C.HEALTH, Condition.ALWAYS, True, "Art. 15")
    with pytest.raises(PolicyError, match="health_data"):
        validate([rule])


def test_art_17_criminal_data_to_a_region_for_workers_cannot_load() -> None:
    rule = Rule(
        frozenset({Authority.BXL}),
        C.CRIMINAL_RECORD,
        Condition.WORKER_DOSSIER,
        True,
        "Art. 17",
        role=CRIMINAL,
    )
    with pytest.raises(PolicyError, match="BXL may not"):
        validate([rule])


def test_art_17_criminal_data_to_an_inspection_service_cannot_load() -> None:
    rule = Rule(
        frozenset({Authority.FEDERAL_INSPECTION}),
        C.CRIMINAL_RECORD,
        Condition.INSPECTION,
        True,
        "Art. 25",
        role=CRIMINAL,
    )
    with pytest.raises(PolicyError, match="may not"):
        validate([rule])


# The register (Art. 16 §1 2°, 16 §2, 17).


def test_art_16_the_register_documents_every_authority_and_article() -> None:
    register = register_markdown(POLICY)
    for authority in Authority:
        assert f"## {authority.value}\n" in register
    for article in {rule.article for rule in POLICY}:
        assert article in register
    assert "## ONSS\n\nNo access to dossier content" in register


def test_art_16_and_17_the_register_lists_who_reads_health_and_criminal_data() -> None:
    register = register_markdown(POLICY)
    health = register.split("health data (Art. 16 §1 2°)")[1].split("##")[0]
    criminal = register.split("criminal-record data (Art. 17)")[1]
    assert "- OE: agents with the designated role `health_data`, always" in health
    for name in ("VLG", "WAL", "BXL", "DG"):
        assert f"- {name}: agents with the designated role `health_data`" in health
        assert (
            f"- {name}: agents with the designated role `criminal_records`, when the "
            "dossier is a professional card" in criminal
        )
    assert (
        "- OE: agents with the designated role `criminal_records`, when the dossier is a "
        "worker's" in criminal
    )
    for line in (health + criminal).splitlines():
        assert not line.startswith(("- INSP", "- POST", "- COMMUNE", "- GEA", "- PES", "- ONSS"))


# Spot checks, article by article.


def test_art_12_a_region_reads_its_own_territorys_dossiers() -> None:
    expected = EVERYTHING - {C.HEALTH, C.CRIMINAL_RECORD}
    assert allowed(region(), WORKER_IN_VLG) == expected
    assert allowed(region(Authority.VLG, HEALTH), WORKER_IN_VLG) == expected | {C.HEALTH}


def test_art_16_health_data_only_to_the_designated_role() -> None:
    verdict = evaluate(POLICY, region(), WORKER_IN_VLG)[C.HEALTH]
    assert not verdict.allowed
    assert verdict.reason == (
        "no rule lets VLG read health data without the designated role 'health_data' (Art. 15-16)"
    )
    assert evaluate(POLICY, Requester(Authority.OE, frozenset({HEALTH})), WORKER_IN_VLG)[
        C.HEALTH
    ].allowed


def test_art_17_regions_never_see_workers_criminal_records() -> None:
    for name in REGIONS:
        verdict = evaluate(POLICY, region(name, CRIMINAL, HEALTH), DossierFacts(name.value))[
            C.CRIMINAL_RECORD
        ]
        assert not verdict.allowed
        assert verdict.article == "Art. 17 §1"
        assert "Immigration Office only" in verdict.reason


def test_art_17_a_region_reads_the_self_employeds_criminal_record_with_the_role() -> None:
    assert C.CRIMINAL_RECORD in allowed(region(Authority.VLG, CRIMINAL), SELF_EMPLOYED_IN_VLG)
    assert C.CRIMINAL_RECORD not in allowed(region(), SELF_EMPLOYED_IN_VLG)
    assert C.CRIMINAL_RECORD not in allowed(region(Authority.WAL, CRIMINAL), SELF_EMPLOYED_IN_VLG)


def test_art_17_the_office_reads_workers_criminal_records_with_the_role_only() -> None:
    office = Requester(Authority.OE, frozenset({CRIMINAL}))
    assert C.CRIMINAL_RECORD in allowed(office, WORKER_IN_VLG)
    assert C.CRIMINAL_RECORD not in allowed(Requester(Authority.OE), WORKER_IN_VLG)
    verdict = evaluate(POLICY, office, SELF_EMPLOYED_IN_VLG)[C.CRIMINAL_RECORD]
    assert (verdict.allowed, verdict.article) == (False, "Art. 17 §2")


def test_art_12_the_office_reads_the_dossier() -> None:
    assert allowed(Requester(Authority.OE), WORKER_IN_VLG) == EVERYTHING - {
        C.HEALTH,
        C.CRIMINAL_RECORD,
        C.EMPLOYER_REGISTRATION,
    }


def test_art_26_a_region_reads_another_regions_dossier_and_decisions() -> None:
    assert allowed(region(Authority.WAL, HEALTH, CRIMINAL), WORKER_IN_VLG) == {
        C.SUMMARY,
        C.IDENTIFICATION,
        C.EMPLOYMENT,
        C.DOCUMENTS,
        C.REGIONAL_DECISIONS,
        C.WITHDRAWALS,
        C.NEGATIVE_DECISION_FLAGS,
        C.TIMELINE,
    }


def test_art_24_nobody_reads_a_reason() -> None:
    assert not [c for c in DataCategory if "reason" in c.value or "motiv" in c.value]


def test_art_25_inspection_services_read_for_an_inspection_only() -> None:
    expected = {
        C.SUMMARY,
        C.IDENTIFICATION,
        C.EMPLOYMENT,
        C.REGIONAL_DECISIONS,
        C.NEGATIVE_DECISION_FLAGS,
        C.EMPLOYMENT_DECLARATIONS,
    }
    for service in (Authority.FEDERAL_INSPECTION, Authority.REGIONAL_INSPECTION):
        inspector = Requester(service, frozenset({HEALTH, CRIMINAL}), "inspection")
        assert allowed(inspector, WORKER_IN_VLG) == expected
        assert allowed(dataclasses.replace(inspector, purpose="curiosity"), WORKER_IN_VLG) == set()


def test_art_21_to_23_posts_and_communes_read_authorisations_for_a_visa_or_residence() -> None:
    authorised = dataclasses.replace(WORKER_IN_VLG, holds_authorisation=True)
    expected = {C.SUMMARY, C.IDENTIFICATION, C.REGIONAL_DECISIONS, C.RESIDENCE_DECISIONS}
    for who, purpose in [
        (Authority.DIPLOMATIC_POST, "visa_d"),
        (Authority.COMMUNE, "temporary_residence_document"),
    ]:
        assert allowed(Requester(who, purpose=purpose), authorised) == expected
        assert allowed(Requester(who, purpose=purpose), WORKER_IN_VLG) == set()
        assert allowed(Requester(who, purpose="inspection"), authorised) == set()


def test_art_20_business_counters_read_the_employer_to_register_only() -> None:
    counter = Requester(Authority.BUSINESS_COUNTER)
    to_register = dataclasses.replace(WORKER_IN_VLG, employer_to_register=True)
    assert allowed(counter, to_register) == {C.EMPLOYER_REGISTRATION}
    assert allowed(counter, WORKER_IN_VLG) == set()


def test_art_10_public_employment_services_read_single_permit_withdrawals() -> None:
    withdrawn = dataclasses.replace(WORKER_IN_VLG, single_permit_withdrawn=True)
    services = Requester(Authority.PUBLIC_EMPLOYMENT_SERVICE)
    assert allowed(services, withdrawn) == {C.SUMMARY, C.WITHDRAWALS}
    assert allowed(services, WORKER_IN_VLG) == set()


@pytest.mark.parametrize("who", [Authority.ONSS, Authority.INASTI, Authority.PLATFORM_OPS])
def test_art_8_and_14_feeders_and_operators_read_no_dossier(who: Authority) -> None:
    everything = Requester(who, frozenset({HEALTH, CRIMINAL}), "inspection", True, True)
    verdicts = evaluate(POLICY, everything, WORKER_IN_VLG)
    assert not any(v.allowed for v in verdicts.values())
    assert verdicts[C.SUMMARY].reason == (
        f"no rule lets {who.value} read the dossier summary (deny by default, Art. 11)"
    )


def test_art_20_the_applicant_follows_their_dossier_without_the_workers_sensitive_data() -> None:
    employer = Requester(Authority.APPLICANT, is_applicant=True)
    assert allowed(employer, WORKER_IN_VLG) == EVERYTHING - {
        C.HEALTH,
        C.CRIMINAL_RECORD,
        C.EMPLOYMENT_DECLARATIONS,
    }
    assert allowed(Requester(Authority.APPLICANT), WORKER_IN_VLG) == set()


def test_art_29_the_worker_reads_their_own_health_and_criminal_data() -> None:
    worker = Requester(Authority.APPLICANT, is_applicant=True, is_worker=True)
    assert {C.HEALTH, C.CRIMINAL_RECORD} <= allowed(worker, WORKER_IN_VLG)


def test_requester_of_a_caller() -> None:
    caller = Caller("85073003328", Authority.OE, "agent-1", frozenset({HEALTH}), "residence")
    assert Requester.of(caller) == Requester(Authority.OE, frozenset({HEALTH}), "residence")


# Deny-by-default invariants over random requesters and dossiers.

KNOWN_ROLES = [HEALTH, CRIMINAL, "supervisor", "admissibility"]
requesters = st.builds(
    Requester,
    authority=st.sampled_from(list(Authority)),
    roles=st.frozensets(st.sampled_from(KNOWN_ROLES)),
    purpose=st.one_of(
        st.none(),
        st.sampled_from(["visa_d", "temporary_residence_document", "inspection", "own_dossier"]),
        st.text(),
    ),
    is_applicant=st.booleans(),
    is_worker=st.booleans(),
)
dossiers = st.builds(
    DossierFacts,
    competent_authority=st.sampled_from([a.value for a in REGIONS]),
    self_employed=st.booleans(),
    holds_authorisation=st.booleans(),
    single_permit_withdrawn=st.booleans(),
    employer_to_register=st.booleans(),
)
WITHOUT_ROWS = {a for a in Authority if not any(a in rule.authorities for rule in POLICY)}


@given(requesters, dossiers)
def test_deny_by_default_invariants(requester: Requester, facts: DossierFacts) -> None:
    verdicts = evaluate(POLICY, requester, facts)
    assert set(verdicts) == set(DataCategory)
    granted = {c for c, v in verdicts.items() if v.allowed}
    for verdict in verdicts.values():
        assert verdict.reason
        if verdict.allowed:
            assert verdict.rule is not None and verdict.rule.allowed
            assert verdict.article == verdict.rule.article
    if requester.authority in WITHOUT_ROWS:
        assert granted == set()
    own_data = requester.authority is Authority.APPLICANT and requester.is_worker
    if C.HEALTH in granted:
        assert HEALTH in requester.roles or own_data
    if C.CRIMINAL_RECORD in granted:
        assert CRIMINAL in requester.roles or own_data
        if requester.authority in REGIONS:
            assert facts.self_employed
            assert requester.authority.value == facts.competent_authority
        if requester.authority is Authority.OE:
            assert not facts.self_employed
    if requester.authority is not Authority.APPLICANT:
        flags = dataclasses.replace(requester, is_applicant=False, is_worker=False)
        assert allowed(flags, facts) == granted
    if requester.authority in REGIONS and requester.authority.value != facts.competent_authority:
        assert not granted & {C.HEALTH, C.CRIMINAL_RECORD, C.CONTACT}


@given(requesters, dossiers)
def test_a_denial_is_never_overridden_by_more_roles(
    requester: Requester, facts: DossierFacts
) -> None:
    more = dataclasses.replace(requester, roles=requester.roles | set(KNOWN_ROLES))
    denied = {
        c for c, v in evaluate(POLICY, requester, facts).items() if v.article and not v.allowed
    }
    assert not denied & allowed(more, facts)
    assert allowed(requester, facts) <= allowed(more, facts)
