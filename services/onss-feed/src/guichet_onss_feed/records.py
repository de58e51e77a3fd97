"""Validation of DIMONA, LIMOSA, DmfA and INASTI records: pure, one record at a time.

A raw record is a mapping of field name to value (a JSON object, or a CSV row whose
empty cells mean "absent"). ``validate(source, raw, today=...)`` returns a
``Declaration`` or raises ``RecordRejected`` with the reason. Identifiers are checked
with python-stdnum: NISS/INSZ (``stdnum.be.ssn``: national or bis number, check digits
before and after 2000) and KBO/BCE enterprise numbers (``stdnum.be.vat``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import Any

from stdnum.be import ssn, vat

from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)
from guichet_contracts.registry import DomainEvent


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

EARLIEST = date(1990, 1, 1)
AHEAD = timedelta(days=366)  # declarations in advance, but not beyond a year
MAX_QUARTERLY_WAGE = Decimal("1000000.00")
MAX_QUARTERLY_HOURS = Decimal("1100")
_ID = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_JOINT_COMMITTEE = re.compile(r"^[0-9]{3}(\.[0-9]{2})?$")
_WORKER_TYPE = re.compile(r"^[A-Z0-9]{2,5}$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")


class RecordRejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def _text(raw: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordRejected(f"{name}: missing")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RecordRejected(f"{name}: expected text, got {type(value).__name__}")
    return str(value).strip()


def _required(raw: Mapping[str, Any], name: str) -> str:
    value = _text(raw, name)
    assert value is not None
    return value


def niss_of(raw: Mapping[str, Any], name: str = "niss") -> str:
    value = _required(raw, name)
    if (niss := _valid_niss(value)) is None:
        raise RecordRejected(f"{name}: not a valid NISS/INSZ (11 digits, check 97)")
    return niss


def enterprise_of(raw: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = _text(raw, name, required=required)
    if value is None:
        return None
    if (number := _valid_enterprise(value)) is None:
        raise RecordRejected(f"{name}: {value!r} is not a valid KBO/BCE enterprise number")
    return number


# A file repeats a worker's NISS and an employer's number on neighbouring lines (one per
# quarter and declaration): a small cache checks each once, and stays small.
@lru_cache(maxsize=1024)
def _valid_niss(value: str) -> str | None:
    return str(ssn.compact(value)) if ssn.is_valid(value) else None


@lru_cache(maxsize=1024)
def _valid_enterprise(value: str) -> str | None:
    return str(vat.compact(value)) if vat.is_valid(value) else None


def _date(raw: Mapping[str, Any], name: str, today: date, *, required: bool = True) -> date | None:
    value = _text(raw, name, required=required)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RecordRejected(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not EARLIEST <= day <= today + AHEAD:
        raise RecordRejected(f"{name}: {value} is outside {EARLIEST} .. {today + AHEAD}")
    return day


def _day(raw: Mapping[str, Any], name: str, today: date) -> date:
    day = _date(raw, name, today)
    assert day is not None
    return day


def amount_of(raw: Mapping[str, Any], name: str, *, maximum: Decimal) -> Decimal:
    value = _required(raw, name)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RecordRejected(f"{name}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0 or number > maximum:
        raise RecordRejected(f"{name}: {value} is not between 0 and {maximum}")
    if number != number.quantize(Decimal("0.01")):
        raise RecordRejected(f"{name}: {value} has more than two decimals")
    return number.quantize(Decimal("0.01"))


def _joint_committee(raw: Mapping[str, Any], *, required: bool) -> str | None:
    value = _text(raw, "joint_committee", required=required)
    if value is not None and not _JOINT_COMMITTEE.match(value):
        raise RecordRejected(f"joint_committee: {value!r} is not NNN or NNN.NN (e.g. 200, 124.01)")
    return value


def _worker_type(raw: Mapping[str, Any]) -> str | None:
    value = _text(raw, "worker_type", required=False)
    if value is not None and not _WORKER_TYPE.match(value.upper()):
        raise RecordRejected(f"worker_type: {value!r} is not a DIMONA worker type (e.g. OTH)")
    return value.upper() if value else None


def _identifier(raw: Mapping[str, Any], name: str) -> str:
    value = _required(raw, name)
    if not _ID.match(value):
        raise RecordRejected(f"{name}: {value!r} is not a declaration number (1-40 A-Z 0-9 -)")
    return value


def _ordered(first: date, last: date | None, names: str) -> None:
    if last is not None and last < first:
        raise RecordRejected(f"{names}: the end comes before the start")


def dimona(raw: Mapping[str, Any], today: date) -> Declaration:
    dimona_id = _identifier(raw, "dimona_id")
    action = _required(raw, "action").lower()
    if action not in ("in", "out"):
        raise RecordRejected(f"action: {action!r} is neither 'in' nor 'out'")
    employer, niss = enterprise_of(raw, "employer"), niss_of(raw)
    assert employer is not None
    entry = _day(raw, "entry_date", today)
    exit_ = _date(raw, "exit_date", today, required=action == "out")
    _ordered(entry, exit_, "entry_date, exit_date")
    committee = _joint_committee(raw, required=action == "in")
    personal = {"niss": niss, "worker_type": _worker_type(raw)}
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


def quarter_of(value: str, today: date) -> str:
    match = _QUARTER.match(value.strip().upper())
    if not match:
        raise RecordRejected(f"quarter: {value!r} is not YYYY-Qn")
    year, number = int(match[1]), int(match[2])
    current = (today.year, (today.month - 1) // 3 + 1)
    if (year, number) > current or year < EARLIEST.year:
        raise RecordRejected(f"quarter: {value} is not a past or current quarter")
    return f"{year}-Q{number}"


def dmfa(raw: Mapping[str, Any], today: date) -> Declaration:
    quarter = quarter_of(_required(raw, "quarter"), today)
    employer, niss = enterprise_of(raw, "employer"), niss_of(raw)
    assert employer is not None
    wage = amount_of(raw, "gross_wage_eur", maximum=MAX_QUARTERLY_WAGE)
    hours = amount_of(raw, "hours_worked", maximum=MAX_QUARTERLY_HOURS)
    days_text = _required(raw, "days_worked")
    if not days_text.isdigit() or int(days_text) > 92:
        raise RecordRejected(f"days_worked: {days_text!r} is not a whole number of days (0-92)")
    personal = {
        "niss": niss,
        "gross_wage_eur": str(wage),
        "days_worked": int(days_text),
        "hours_worked": str(hours),
        "worker_type": _worker_type(raw),
    }
    clear = {
        "quarter": quarter,
        "employer_enterprise_number": employer,
        "joint_committee": _joint_committee(raw, required=False),
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
    limosa_id = _identifier(raw, "limosa_id")
    declarant = _required(raw, "declarant").lower()
    if declarant not in ("employee", "self_employed"):
        raise RecordRejected(f"declarant: {declarant!r} is neither employee nor self_employed")
    niss = niss_of(raw)
    user = enterprise_of(raw, "belgian_user", required=False)
    start = _day(raw, "start_date", today)
    end = _day(raw, "end_date", today)
    _ordered(start, end, "start_date, end_date")
    sender = _required(raw, "sender_name")
    country = _required(raw, "sender_country").upper()
    if not re.fullmatch(r"[A-Z]{2}", country) or country == "BE":
        raise RecordRejected(f"sender_country: {country!r} is not a foreign ISO country code")
    postcode = _required(raw, "workplace_postcode")
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
    start = _day(raw, "start_date", today)
    end = _date(raw, "end_date", today, required=False)
    _ordered(start, end, "start_date, end_date")
    nace = _text(raw, "nace_code", required=False)
    if nace is not None and not re.fullmatch(r"[0-9]{2}\.?[0-9]{3}", nace):
        raise RecordRejected(f"nace_code: {nace!r} is not a NACE-BEL code (5 digits)")
    activity = _required(raw, "activity")
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
