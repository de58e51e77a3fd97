"""Validation of DIMONA, LIMOSA, DmfA and INASTI records: pure, one record at a time.

A raw record is a mapping of field name to value (a JSON object, or a CSV row whose
empty cells mean "absent"). ``validate(source, raw, today=...)`` returns a
``Declaration`` or raises ``RecordRejected`` with the reason; how each field is read
and checked is ``record_fields``'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)
from guichet_contracts.registry import DomainEvent
from guichet_onss_feed.record_fields import (
    MAX_QUARTERLY_HOURS,
    MAX_QUARTERLY_WAGE,
    RecordRejected,
    amount_of,
    date_of,
    day_of,
    enterprise_of,
    identifier_of,
    joint_committee_of,
    niss_of,
    ordered,
    quarter_of,
    required_text,
    text_of,
    worker_type_of,
)

__all__ = ["FIELDS", "VALIDATORS", "Declaration", "RecordRejected", "Source", "validate"]


class Source(StrEnum):
    DIMONA = "dimona"
    LIMOSA = "limosa"
    DMFA = "dmfa"
    INASTI = "inasti"


FIELDS: dict[Source, tuple[str, ...]] = {
    Source.DIMONA: (
        "dimona_id",
        "action",
        "employer",
        "niss",
        "entry_date",
        "exit_date",
        "joint_committee",
        "worker_type",
    ),
    Source.LIMOSA: (
        "limosa_id",
        "declarant",
        "niss",
        "sender_name",
        "sender_country",
        "belgian_user",
        "start_date",
        "end_date",
        "workplace_postcode",
    ),
    Source.DMFA: (
        "quarter",
        "employer",
        "niss",
        "gross_wage_eur",
        "days_worked",
        "hours_worked",
        "joint_committee",
        "worker_type",
    ),
    Source.INASTI: ("niss", "start_date", "end_date", "nace_code", "activity"),
}
"""The fields of each source, in the column order of its CSV files."""


@dataclass(frozen=True)
class Declaration:
    """A valid record: its natural key, what links it, and the event it makes per dossier.

    ``key`` may contain the NISS: it is only ever stored as a keyed hash.
    """

    source: Source
    key: str
    niss: str
    employer: str | None  # a dossier links only if its employer is this one
    model: type[DomainEvent]
    clear: dict[str, Any]
    personal: dict[str, Any]

    def content(self) -> dict[str, Any]:
        """Everything the record says, for the digest that detects changed re-sends."""
        return {"source": self.source.value, "clear": self.clear, "personal": self.personal}


def dimona(raw: Mapping[str, Any], today: date) -> Declaration:
    dimona_id = identifier_of(raw, "dimona_id")
    action = required_text(raw, "action").lower()
    if action not in ("in", "out"):
        raise RecordRejected(f"action: {action!r} is neither 'in' nor 'out'")
    employer, niss = enterprise_of(raw, "employer"), niss_of(raw)
    assert employer is not None
    entry = day_of(raw, "entry_date", today)
    exit_ = date_of(raw, "exit_date", today, required=action == "out")
    ordered(entry, exit_, "entry_date, exit_date")
    committee = joint_committee_of(raw, required=action == "in")
    personal = {"niss": niss, "worker_type": worker_type_of(raw)}
    clear: dict[str, Any] = {
        "dimona_id": dimona_id,
        "employer_enterprise_number": employer,
        "entry_date": entry,
    }
    if action == "in":
        clear |= {"planned_exit_date": exit_, "joint_committee": committee}
        return Declaration(
            Source.DIMONA,
            f"dimona|{dimona_id}|in",
            niss,
            employer,
            EmploymentDeclared,
            clear,
            personal,
        )
    clear["exit_date"] = exit_
    return Declaration(
        Source.DIMONA, f"dimona|{dimona_id}|out", niss, employer, EmploymentEnded, clear, personal
    )


def dmfa(raw: Mapping[str, Any], today: date) -> Declaration:
    quarter = quarter_of(required_text(raw, "quarter"), today)
    employer, niss = enterprise_of(raw, "employer"), niss_of(raw)
    assert employer is not None
    wage = amount_of(raw, "gross_wage_eur", maximum=MAX_QUARTERLY_WAGE)
    hours = amount_of(raw, "hours_worked", maximum=MAX_QUARTERLY_HOURS)
    days_text = required_text(raw, "days_worked")
    if not days_text.isdigit() or int(days_text) > 92:
        raise RecordRejected(f"days_worked: {days_text!r} is not a whole number of days (0-92)")
    personal = {
        "niss": niss,
        "gross_wage_eur": str(wage),
        "days_worked": int(days_text),
        "hours_worked": str(hours),
        "worker_type": worker_type_of(raw),
    }
    clear = {
        "quarter": quarter,
        "employer_enterprise_number": employer,
        "joint_committee": joint_committee_of(raw, required=False),
    }
    return Declaration(
        Source.DMFA,
        f"dmfa|{quarter}|{employer}|{niss}",
        niss,
        employer,
        WagesDeclared,
        clear,
        personal,
    )


def limosa(raw: Mapping[str, Any], today: date) -> Declaration:
    limosa_id = identifier_of(raw, "limosa_id")
    declarant = required_text(raw, "declarant").lower()
    if declarant not in ("employee", "self_employed"):
        raise RecordRejected(f"declarant: {declarant!r} is neither employee nor self_employed")
    niss = niss_of(raw)
    user = enterprise_of(raw, "belgian_user", required=False)
    start = day_of(raw, "start_date", today)
    end = day_of(raw, "end_date", today)
    ordered(start, end, "start_date, end_date")
    sender = required_text(raw, "sender_name")
    country = required_text(raw, "sender_country").upper()
    if not re.fullmatch(r"[A-Z]{2}", country) or country == "BE":
        raise RecordRejected(f"sender_country: {country!r} is not a foreign ISO country code")
    postcode = required_text(raw, "workplace_postcode")
    if not re.fullmatch(r"[1-9][0-9]{3}", postcode):
        raise RecordRejected(f"workplace_postcode: {postcode!r} is not a Belgian postcode")
    personal = {
        "niss": niss,
        "sender_name": sender[:200],
        "sender_country": country,
        "workplace_postcode": postcode,
    }
    clear = {
        "limosa_id": limosa_id,
        "declarant": declarant,
        "start_date": start,
        "end_date": end,
        "belgian_user_enterprise_number": user,
    }
    return Declaration(
        Source.LIMOSA, f"limosa|{limosa_id}", niss, None, PostingDeclared, clear, personal
    )


def inasti(raw: Mapping[str, Any], today: date) -> Declaration:
    niss = niss_of(raw)
    start = day_of(raw, "start_date", today)
    end = date_of(raw, "end_date", today, required=False)
    ordered(start, end, "start_date, end_date")
    nace = text_of(raw, "nace_code", required=False)
    if nace is not None and not re.fullmatch(r"[0-9]{2}\.?[0-9]{3}", nace):
        raise RecordRejected(f"nace_code: {nace!r} is not a NACE-BEL code (5 digits)")
    activity = required_text(raw, "activity")
    personal = {
        "niss": niss,
        "nace_code": nace and nace.replace(".", ""),
        "activity": activity[:200],
    }
    return Declaration(
        Source.INASTI,
        f"inasti|{niss}|{start.isoformat()}",
        niss,
        None,
        SelfEmployedAffiliationRecorded,
        {"start_date": start, "end_date": end},
        personal,
    )


VALIDATORS: dict[Source, Callable[[Mapping[str, Any], date], Declaration]] = {
    Source.DIMONA: dimona,
    Source.LIMOSA: limosa,
    Source.DMFA: dmfa,
    Source.INASTI: inasti,
}


def validate(source: Source, raw: Any, *, today: date) -> Declaration:
    """The declaration a raw record makes; ``RecordRejected`` with the reason otherwise."""
    if not isinstance(raw, Mapping):
        raise RecordRejected(f"a record is a JSON object, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(FIELDS[source]))
    if unknown:
        raise RecordRejected(f"unknown field(s) for {source.value}: {', '.join(unknown)}")
    return VALIDATORS[source](raw, today)
