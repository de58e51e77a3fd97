"""The access policy for people and its coverage: the register of access rights (Art. 16
§2), with the lists of who may read health data (Art. 16 §1 2°) and criminal-record data
(Art. 17) kept for the supervisory authority, and, for test matrices, every situation an
authority can be in and the one in which a rule decides. Pure: no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping

from guichet_consultation.policy import (
    INSPECTION_PURPOSE,
    LABELS,
    POLICY,
    VISA_PURPOSES,
    WHEN,
    Condition,
    DataCategory,
    DossierFacts,
    Requester,
    Rule,
    decide,
    validate,
)
from guichet_contracts.vocabulary import Authority

__all__ = ["register_markdown", "situations", "witness"]


def situations(
    authority: Authority, rules: Iterable[Rule] = POLICY
) -> Iterator[tuple[Requester, DossierFacts]]:
    """Every distinguishable situation of ``authority`` under ``rules`` (for test matrices)."""
    rows = tuple(rules)
    roles = sorted({r.role for r in rows if r.role})
    purposes = [None, INSPECTION_PURPOSE, *sorted(VISA_PURPOSES)]
    other = Authority.WAL if authority == Authority.VLG else Authority.VLG
    flags = list(itertools.product([False, True], repeat=4))
    for size in range(len(roles) + 1):
        for held in itertools.combinations(roles, size):
            for purpose, competent, person, dossier in itertools.product(
                purposes, [authority, other], itertools.product([False, True], repeat=2), flags
            ):
                yield (
                    Requester(authority, frozenset(held), purpose, *person),
                    DossierFacts(competent.value, *dossier),
                )


def witness(rule: Rule, rules: Iterable[Rule] = POLICY) -> tuple[Requester, DossierFacts] | None:
    """A situation in which ``rule`` is the one that decides, or None (it never does)."""
    rows = tuple(rules)
    for authority in sorted(rule.authorities):
        for requester, facts in situations(authority, rows):
            if decide(rows, requester, facts, rule.category).rule == rule:
                return requester, facts
    return None


def _cell(rule: Rule) -> str:
    access = "allowed" if rule.allowed else "**denied**"
    role = f"`{rule.role}`" if rule.role else "—"
    return (
        f"| {LABELS[rule.category]} (`{rule.category}`) | {WHEN[rule.condition]} | {role} "
        f"| {access} | {rule.article} | {rule.note} |"
    )


def _persons(rules: tuple[Rule, ...], category: DataCategory) -> list[str]:
    lines: dict[str, None] = {}
    for rule in rules:
        if rule.category == category and rule.allowed:
            for authority in sorted(rule.authorities):
                who = (
                    f"agents with the designated role `{rule.role}`" if rule.role else "the caller"
                )
                always = rule.condition == Condition.ALWAYS
                when = "always" if always else f"when {WHEN[rule.condition]}"
                lines[f"- {authority.value}: {who}, {when} ({rule.article})"] = None
    return list(lines)


def register_markdown(rules: Iterable[Rule] = POLICY) -> str:
    """The access register for people and the supervisory authority (Art. 16 §2, 17)."""
    rows = validate(rules)
    out = [
        "# Register of access rights to dossiers",
        "",
        "Deny by default: whatever no row allows is refused (Art. 11). An explicit "
        "denial wins over any allow. No category holds the reasons of a decision (Art. 24).",
        "",
    ]
    by_authority: Mapping[Authority, list[Rule]] = {
        authority: [r for r in rows if authority in r.authorities] for authority in Authority
    }
    for authority, mine in by_authority.items():
        out += [f"## {authority.value}", ""]
        if not mine:
            out += ["No access to dossier content (deny by default).", ""]
            continue
        out += [
            "| data category | condition | designated role | access | article | note |",
            "|---|---|---|---|---|---|",
            *(_cell(r) for r in mine),
            "",
        ]
    out += [
        "## Categories of persons with access to health data (Art. 16 §1 2°)",
        "",
        *_persons(rows, DataCategory.HEALTH),
        "",
        "## Categories of persons with access to criminal-record data (Art. 17)",
        "",
        *_persons(rows, DataCategory.CRIMINAL_RECORD),
        "",
    ]
    return "\n".join(out)
