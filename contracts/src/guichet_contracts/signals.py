"""Signals from employment and wage data for the authorities entitled to them (Art. 10
6°-8°: following up stay and work, control and supervision). Pure: no I/O.

A shared rule, like the legal clock: the onss-feed service and the consultation
service (which shows the signals) both apply it, neither imports the other.

``signals(dossier, declarations, today)`` takes

- ``dossier``: ``DossierFacts``, what the dossier says (``facts_of`` builds it from the
  filed application, its opened ``SealedDossier`` and the decisions taken);
- ``declarations``: the dossier's onss-feed events, opened: one mapping per event with
  its ``event_type``, its clear fields and its unsealed ``personal`` fields merged in
  (``opened`` builds one); dates may be ``date`` or ISO text, amounts ``Decimal`` or text;

and returns the signals, each naming the authorities that should see it (``concerns``,
``Authority`` members).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)
from guichet_contracts.signal_facts import DossierFacts, Period, facts_of, opened
from guichet_contracts.vocabulary import Authority

__all__ = ["DossierFacts", "Period", "Severity", "Signal", "facts_of", "opened", "signals"]

POSTED_CATEGORIES = frozenset({"intra_corporate_transferee", "ict_long_term_mobility"})


class Severity(StrEnum):
    WARNING = "warning"
    ALERT = "alert"


@dataclass(frozen=True)
class Signal:
    code: str
    severity: Severity
    message: str
    article: str
    concerns: frozenset[Authority]  # the competent region, the Office, inspections
    record_key: str | None = None  # the declaration that raised it, if one did


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _of(declarations: Sequence[Mapping[str, Any]], event_type: str) -> list[Mapping[str, Any]]:
    return [d for d in declarations if d.get("event_type") == event_type]


def quarter_bounds(quarter: str) -> tuple[date, date]:
    year, number = int(quarter[:4]), int(quarter[-1])
    start = date(year, 3 * number - 2, 1)
    after = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return start, after - timedelta(days=1)


def signals(
    dossier: DossierFacts, declarations: Sequence[Mapping[str, Any]], today: date
) -> list[Signal]:
    """Every signal the dossier's declarations raise today (see the module docstring)."""
    region = Authority(dossier.competent_authority)
    inspections = frozenset(
        {region, Authority.OE, Authority.FEDERAL_INSPECTION, Authority.REGIONAL_INSPECTION}
    )
    found: list[Signal] = []
    found += _before_authorisation(dossier, declarations, today, inspections)
    found += _wage_below(dossier, declarations, region)
    found += _ended_while_valid(dossier, declarations, region)
    found += _posted_without_limosa(dossier, declarations, today, inspections)
    found += _card_without_affiliation(dossier, declarations, today, region)
    return found


def _before_authorisation(
    dossier: DossierFacts,
    declarations: Sequence[Mapping[str, Any]],
    today: date,
    concerns: frozenset[Authority],
) -> list[Signal]:
    authorised = dossier.authorised_work
    found = []
    for entry in _of(declarations, EmploymentDeclared.event_type):
        start = _day(entry["entry_date"])
        assert start is not None
        if authorised is None and start <= today:
            why = "no work authorisation has been granted"
        elif authorised is not None and start < authorised.start:
            why = f"the work authorisation starts on {authorised.start}"
        else:
            continue
        employer = entry.get("employer_enterprise_number")
        found.append(
            Signal(
                "employment_before_authorisation",
                Severity.ALERT,
                f"Employment declared (DIMONA) from {start} by {employer}, but {why}.",
                "Art. 10 6°-7°, Art. 14 §1 1°",
                concerns,
                entry.get("record_key"),
            )
        )
    return found


def _wage_below(
    dossier: DossierFacts, declarations: Sequence[Mapping[str, Any]], region: Authority
) -> list[Signal]:
    authorised = dossier.authorised_gross_monthly_wage_eur
    if authorised is None:
        return []
    concerns = frozenset({region, Authority.REGIONAL_INSPECTION, Authority.FEDERAL_INSPECTION})
    if dossier.kind == "single_permit":
        concerns |= {Authority.OE}
    found = []
    for wages in _of(declarations, WagesDeclared.event_type):
        q_start, q_end = quarter_bounds(str(wages["quarter"]))
        employed = _employment(declarations, wages.get("employer_enterprise_number"), dossier)
        first = max(q_start, employed.start if employed else q_start)
        last = min(q_end, (employed.end if employed else None) or q_end)
        if last < first:
            continue  # not employed in that quarter: nothing to compare
        months = Decimal(3) * Decimal((last - first).days + 1) / Decimal((q_end - q_start).days + 1)
        monthly = (Decimal(str(wages["gross_wage_eur"])) / months).quantize(Decimal("0.01"))
        if monthly < authorised:
            found.append(
                Signal(
                    "wage_below_authorised",
                    Severity.WARNING,
                    f"DmfA {wages['quarter']}: {monthly} EUR gross a month, below the authorised "
                    f"contract's {authorised} EUR.",
                    "Art. 10 6°-7°, Art. 14 §1 3°",
                    concerns,
                    wages.get("record_key"),
                )
            )
    return found


def _employment(
    declarations: Sequence[Mapping[str, Any]], employer: Any, dossier: DossierFacts
) -> Period | None:
    """When the worker worked for ``employer``: DIMONA first, else the authorisation."""
    entries = [
        _day(d["entry_date"])
        for d in _of(declarations, EmploymentDeclared.event_type)
        if d.get("employer_enterprise_number") == employer
    ]
    exits = [
        _day(d["exit_date"])
        for d in _of(declarations, EmploymentEnded.event_type)
        if d.get("employer_enterprise_number") == employer
    ]
    starts = [day for day in entries if day is not None]
    if not starts:
        return dossier.authorised_work
    ends = [day for day in exits if day is not None]
    return Period(min(starts), max(ends) if ends else None)


def _ended_while_valid(
    dossier: DossierFacts, declarations: Sequence[Mapping[str, Any]], region: Authority
) -> list[Signal]:
    valid = dossier.single_permit or dossier.work_authorisation
    if valid is None:
        return []
    what = "single permit" if dossier.single_permit else "work authorisation"
    found = []
    for ended in _of(declarations, EmploymentEnded.event_type):
        exit_date = _day(ended["exit_date"])
        assert exit_date is not None
        if valid.start <= exit_date and (valid.end is None or exit_date < valid.end):
            found.append(
                Signal(
                    "employment_ended_while_permit_runs",
                    Severity.WARNING,
                    f"Employment with {ended.get('employer_enterprise_number')} ended"
                    f" on {exit_date}"
                    f" while the {what} runs until {valid.end}.",
                    "Art. 10 6°, Art. 14 §1 1°",
                    frozenset({region, Authority.OE}),
                    ended.get("record_key"),
                )
            )
    return found


def _posted_without_limosa(
    dossier: DossierFacts,
    declarations: Sequence[Mapping[str, Any]],
    today: date,
    concerns: frozenset[Authority],
) -> list[Signal]:
    authorised = dossier.authorised_work
    if dossier.category not in POSTED_CATEGORIES or authorised is None:
        return []
    if authorised.start > today:
        return []  # the posting has not started: LIMOSA is due by its first day
    for posting in _of(declarations, PostingDeclared.event_type):
        start, end = _day(posting["start_date"]), _day(posting["end_date"])
        if start is not None and authorised.overlaps(start, end):
            return []
    return [
        Signal(
            "posted_without_limosa",
            Severity.ALERT,
            f"Intra-corporate transferee authorised from {authorised.start}, but no LIMOSA "
            "declaration covers the authorised period.",
            "Art. 10 6°-8°, Art. 14 §1 2°",
            concerns,
        )
    ]


def _card_without_affiliation(
    dossier: DossierFacts, declarations: Sequence[Mapping[str, Any]], today: date, region: Authority
) -> list[Signal]:
    card = dossier.professional_card
    if card is None or card.start > today:
        return []
    until = min(today, card.end) if card.end else today
    for affiliation in _of(declarations, SelfEmployedAffiliationRecorded.event_type):
        start = _day(affiliation["start_date"])
        if start is not None and Period(card.start, until).overlaps(
            start, _day(affiliation.get("end_date"))
        ):
            return []
    return [
        Signal(
            "professional_card_without_inasti",
            Severity.WARNING,
            f"Professional card valid from {card.start}, but INASTI records no self-employed "
            "affiliation since.",
            "Art. 10 6°-8°, Art. 14 §2",
            frozenset({region, Authority.REGIONAL_INSPECTION, Authority.FEDERAL_INSPECTION}),
        )
    ]
