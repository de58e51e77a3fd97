"""Who reads which part of a dossier, for what purpose: the access policy as data.

``POLICY`` is the table of ``policy_table`` parsed into ``Rule`` rows (one data category
each) and validated at import (Art. 16 §2: access rights formally validated, documented
and implemented). ``evaluate`` gives, for one requester and one dossier, a ``Verdict``
per data category: deny by default, an explicit denial wins over any allow.
``register.register_markdown`` prints the table for people (Art. 16 §2, 17), and
``register.witness`` finds the situation in which a rule decides. Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from guichet_consultation import policy_table
from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import REGIONS, Caller

# Who may ask for a dossier at all: every authority of the agreement but the platform's
# operators, who read no dossier content (Art. 8).
CONSULTERS: frozenset[Authority] = frozenset(
    a for a in Authority if a is not Authority.PLATFORM_OPS
)

__all__ = [
    "CONSULTERS",
    "POLICY",
    "Condition",
    "DataCategory",
    "DossierFacts",
    "PolicyError",
    "Requester",
    "Rule",
    "Verdict",
    "evaluate",
    "parse",
    "validate",
]


class DataCategory(StrEnum):
    SUMMARY = "summary"  # kind, category, competent authority, status, dates
    IDENTIFICATION = "identification"  # Art. 12
    CONTACT = "contact"  # Art. 12 §1 2° c)-d)
    EMPLOYMENT = "employment"  # Art. 13
    EMPLOYER_REGISTRATION = "employer_registration"  # Art. 20 §2 3°
    DOCUMENTS = "documents"  # the list of document references, not their content
    HEALTH = "health"  # Art. 15-16: medical-certificate references
    CRIMINAL_RECORD = "criminal_record"  # Art. 17: criminal-record extract references
    REGIONAL_DECISIONS = "regional_decisions"  # admissibility, work authorisation, card
    RESIDENCE_DECISIONS = "residence_decisions"  # residence authorised, single permit
    WITHDRAWALS = "withdrawals"  # an authorisation withdrawn or a stay ended: by whom, when
    NEGATIVE_DECISION_FLAGS = "negative_decision_flags"  # that one was taken (Art. 24)
    TIMELINE = "timeline"
    EMPLOYMENT_DECLARATIONS = "employment_declarations"  # ONSS / INASTI data (Art. 14)


class Condition(StrEnum):
    ALWAYS = "always"
    OWN_TERRITORY = "own_territory"
    OTHER_TERRITORY = "other_territory"
    WORKER_DOSSIER = "worker_dossier"
    SELF_EMPLOYED_DOSSIER = "self_employed_dossier"
    VISA_OR_RESIDENCE_REQUEST = "visa_or_residence_request"
    INSPECTION = "inspection"
    EMPLOYER_TO_REGISTER = "employer_to_register"
    SINGLE_PERMIT_WITHDRAWN = "single_permit_withdrawn"
    APPLICANT_OF_DOSSIER = "applicant_of_dossier"
    WORKER_OF_DOSSIER = "worker_of_dossier"


LABELS = {DataCategory(name): label for name, label in policy_table.LABELS.items()}
WHEN = {Condition(name): phrase for name, phrase in policy_table.WHEN.items()}
if set(LABELS) != set(DataCategory) or set(WHEN) != set(Condition):
    raise ImportError("policy_table.LABELS and WHEN must name every category and condition")
VISA_PURPOSES = frozenset({"visa_d", "temporary_residence_document"})
INSPECTION_PURPOSE = "inspection"
# Art. 16-17: the only authorities ever allowed a sensitive category, under which
# condition, with which designated role (the worker concerned reads their own).
_HEALTH = dict.fromkeys([*REGIONS, Authority.OE], Condition.ALWAYS)
_CRIMINAL = {Authority.OE: Condition.WORKER_DOSSIER} | dict.fromkeys(
    REGIONS, Condition.SELF_EMPLOYED_DOSSIER
)
SENSITIVE: dict[DataCategory, tuple[str, str, dict[Authority, Condition]]] = {
    DataCategory.HEALTH: (policy_table.HEALTH_ROLE, "Art. 16", _HEALTH),
    DataCategory.CRIMINAL_RECORD: (policy_table.CRIMINAL_ROLE, "Art. 17", _CRIMINAL),
}


class PolicyError(ValueError):
    """The table is not a policy that can be applied: nothing loads."""


@dataclass(frozen=True)
class Rule:
    authorities: frozenset[Authority]
    category: DataCategory
    condition: Condition
    allowed: bool  # False: an explicit denial, which wins over any allow
    article: str
    role: str | None = None  # the designated role the caller's token must carry
    note: str = ""


@dataclass(frozen=True)
class Requester:
    authority: Authority
    roles: frozenset[str] = frozenset()
    purpose: str | None = None
    is_applicant: bool = False  # the caller is one of the dossier's applicants
    is_worker: bool = False  # the caller is the person the dossier is about

    @classmethod
    def of(
        cls, caller: Caller, *, is_applicant: bool = False, is_worker: bool = False
    ) -> Requester:
        return cls(caller.authority, caller.roles, caller.purpose, is_applicant, is_worker)


@dataclass(frozen=True)
class DossierFacts:
    competent_authority: str  # the region deciding the work part (an ``Authority`` code)
    self_employed: bool = False  # a professional card
    holds_authorisation: bool = False
    single_permit_withdrawn: bool = False
    employer_to_register: bool = False  # the employer had no enterprise number


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    article: str | None  # of the rule that decided; None when denied by default
    reason: str
    rule: Rule | None = field(default=None, compare=False)


def holds(condition: Condition, requester: Requester, facts: DossierFacts) -> bool:
    region = requester.authority in REGIONS
    own = region and requester.authority.value == facts.competent_authority
    match condition:
        case Condition.ALWAYS:
            return True
        case Condition.OWN_TERRITORY:
            return own
        case Condition.OTHER_TERRITORY:
            return region and not own
        case Condition.WORKER_DOSSIER:
            return not facts.self_employed
        case Condition.SELF_EMPLOYED_DOSSIER:
            return facts.self_employed
        case Condition.VISA_OR_RESIDENCE_REQUEST:
            return requester.purpose in VISA_PURPOSES and facts.holds_authorisation
        case Condition.INSPECTION:
            return requester.purpose == INSPECTION_PURPOSE
        case Condition.EMPLOYER_TO_REGISTER:
            return facts.employer_to_register
        case Condition.SINGLE_PERMIT_WITHDRAWN:
            return facts.single_permit_withdrawn
        case Condition.APPLICANT_OF_DOSSIER:
            return requester.is_applicant
        case Condition.WORKER_OF_DOSSIER:
            return requester.is_worker
    raise PolicyError(f"unknown condition {condition!r}")


def decide(
    rules: Iterable[Rule], requester: Requester, facts: DossierFacts, category: DataCategory
) -> Verdict:
    """The verdict on one category: an explicit denial wins, else an allow, else deny."""
    who, label = requester.authority.value, LABELS[category]
    mine = [r for r in rules if r.category == category and requester.authority in r.authorities]
    met = [r for r in mine if holds(r.condition, requester, facts)]
    usable = [r for r in met if r.role is None or r.role in requester.roles]
    if rule := next((r for r in usable if not r.allowed), None):
        return Verdict(False, rule.article, f"denied by {rule.article}: {rule.note}", rule)
    if rule := next(iter(usable), None):
        return Verdict(True, rule.article, f"allowed by {rule.article}: {rule.note}", rule)
    if lacking := [r for r in met if r.allowed]:
        rule = lacking[0]
        reason = f"without the designated role {rule.role!r} ({rule.article})"
        return Verdict(False, None, f"no rule lets {who} read {label} {reason}")
    if unmet := [r for r in mine if r.allowed]:
        whens = " or when ".join(f"{WHEN[r.condition]} ({r.article})" for r in unmet)
        return Verdict(False, None, f"{who} reads {label} only when {whens}")
    return Verdict(False, None, f"no rule lets {who} read {label} (deny by default, Art. 11)")


def evaluate(
    rules: Iterable[Rule], requester: Requester, facts: DossierFacts
) -> dict[DataCategory, Verdict]:
    """A verdict for every data category of one dossier, for one requester."""
    rows = tuple(rules)
    return {category: decide(rows, requester, facts, category) for category in DataCategory}


def _check_row(rule: Rule) -> None:
    if not isinstance(rule.category, DataCategory):
        raise PolicyError(f"unknown data category {rule.category!r} in {rule}")
    if not isinstance(rule.condition, Condition):
        raise PolicyError(f"unknown condition {rule.condition!r} in {rule}")
    if not rule.authorities or not all(isinstance(a, Authority) for a in rule.authorities):
        raise PolicyError(f"a rule names no authority, or an unknown one: {rule}")
    if not rule.article.strip().startswith("Art."):
        raise PolicyError(f"a rule cites no article of the agreement: {rule}")
    if rule.role is not None and not rule.role.strip():
        raise PolicyError(f"a rule names an empty role: {rule}")
    if (
        rule.allowed
        and rule.category in SENSITIVE
        and rule.condition != Condition.WORKER_OF_DOSSIER
    ):
        role, article, processors = SENSITIVE[rule.category]
        label = LABELS[rule.category]
        if rule.role != role:
            raise PolicyError(f"{label} only to the role {role!r} ({article}): {rule}")
        for authority in rule.authorities:
            if processors.get(authority) not in (Condition.ALWAYS, rule.condition):
                raise PolicyError(f"{authority} may not be allowed {label} ({article}): {rule}")
    worker = rule.condition == Condition.WORKER_OF_DOSSIER
    if rule.allowed and worker and rule.authorities != {Authority.APPLICANT}:
        raise PolicyError(f"only an applicant can be the worker concerned: {rule}")


def validate(rules: Iterable[Rule]) -> tuple[Rule, ...]:
    """``rules`` as a tuple, or ``PolicyError`` when they cannot be applied as written."""
    rows = tuple(rules)
    for rule in rows:
        _check_row(rule)
    for first, second in itertools.combinations(rows, 2):
        shared = first.authorities & second.authorities
        if first.category != second.category or not shared:
            continue
        same = (first.condition, first.role) == (second.condition, second.role)
        if same and first.allowed == second.allowed:
            raise PolicyError(f"duplicate rules for {sorted(shared)}: {first} and {second}")
        if first.allowed == second.allowed:
            continue
        deny, allow = (second, first) if first.allowed else (first, second)
        shadowed = deny.condition in (Condition.ALWAYS, allow.condition)
        if shadowed and deny.role in (None, allow.role):
            raise PolicyError(f"rules contradict for {sorted(shared)}: {allow} and {deny}")
    return rows


def _names(text: str, kind: type[StrEnum], what: str) -> list[str]:
    names = text.split()
    if unknown := [n for n in names if n not in kind.__members__.values()]:
        raise PolicyError(f"unknown {what} {', '.join(unknown)}")
    return names


def parse(lines: Iterable[policy_table.Line]) -> tuple[Rule, ...]:
    """The table's lines as validated rules, one per data category."""
    rules = []
    for line in lines:
        authorities = frozenset(Authority(n) for n in _names(line.who, Authority, "authority"))
        conditions = _names(line.when, Condition, "condition")
        if len(conditions) != 1:
            raise PolicyError(f"a line needs exactly one condition: {line}")
        for name in _names(line.what, DataCategory, "data category"):
            category = DataCategory(name)
            rules.append(
                Rule(
                    authorities,
                    category,
                    Condition(conditions[0]),
                    line.allowed,
                    line.article,
                    line.role,
                    line.note,
                )
            )
    return validate(rules)


POLICY: tuple[Rule, ...] = parse(policy_table.TABLE)
