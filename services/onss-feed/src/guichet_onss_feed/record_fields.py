"""Reading one field of a raw record: present or absent, and of the right form.

Each reader takes the raw mapping and a field name and returns the value in its clean
form, or raises ``RecordRejected`` naming the field and what is wrong with it. Identifiers
are checked with python-stdnum: NISS/INSZ (``stdnum.be.ssn``: national or bis number,
check digits before and after 2000) and KBO/BCE enterprise numbers (``stdnum.be.vat``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from stdnum.be import ssn, vat

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


def text_of(raw: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordRejected(f"{name}: missing")
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise RecordRejected(f"{name}: expected text, got {type(value).__name__}")
    return str(value).strip()


def required_text(raw: Mapping[str, Any], name: str) -> str:
    value = text_of(raw, name)
    assert value is not None
    return value


def niss_of(raw: Mapping[str, Any], name: str = "niss") -> str:
    value = required_text(raw, name)
    if (niss := _valid_niss(value)) is None:
        raise RecordRejected(f"{name}: not a valid NISS/INSZ (11 digits, check 97)")
    return niss


def enterprise_of(raw: Mapping[str, Any], name: str, *, required: bool = True) -> str | None:
    value = text_of(raw, name, required=required)
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


def date_of(
    raw: Mapping[str, Any], name: str, today: date, *, required: bool = True
) -> date | None:
    value = text_of(raw, name, required=required)
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RecordRejected(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not EARLIEST <= day <= today + AHEAD:
        raise RecordRejected(f"{name}: {value} is outside {EARLIEST} .. {today + AHEAD}")
    return day


def day_of(raw: Mapping[str, Any], name: str, today: date) -> date:
    day = date_of(raw, name, today)
    assert day is not None
    return day


def amount_of(raw: Mapping[str, Any], name: str, *, maximum: Decimal) -> Decimal:
    value = required_text(raw, name)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RecordRejected(f"{name}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0 or number > maximum:
        raise RecordRejected(f"{name}: {value} is not between 0 and {maximum}")
    if number != number.quantize(Decimal("0.01")):
        raise RecordRejected(f"{name}: {value} has more than two decimals")
    return number.quantize(Decimal("0.01"))


def joint_committee_of(raw: Mapping[str, Any], *, required: bool) -> str | None:
    value = text_of(raw, "joint_committee", required=required)
    if value is not None and not _JOINT_COMMITTEE.match(value):
        raise RecordRejected(f"joint_committee: {value!r} is not NNN or NNN.NN (e.g. 200, 124.01)")
    return value


def worker_type_of(raw: Mapping[str, Any]) -> str | None:
    value = text_of(raw, "worker_type", required=False)
    if value is not None and not _WORKER_TYPE.match(value.upper()):
        raise RecordRejected(f"worker_type: {value!r} is not a DIMONA worker type (e.g. OTH)")
    return value.upper() if value else None


def identifier_of(raw: Mapping[str, Any], name: str) -> str:
    value = required_text(raw, name)
    if not _ID.match(value):
        raise RecordRejected(f"{name}: {value!r} is not a declaration number (1-40 A-Z 0-9 -)")
    return value


def ordered(first: date, last: date | None, names: str) -> None:
    if last is not None and last < first:
        raise RecordRejected(f"{names}: the end comes before the start")


def quarter_of(value: str, today: date) -> str:
    match = _QUARTER.match(value.strip().upper())
    if not match:
        raise RecordRejected(f"quarter: {value!r} is not YYYY-Qn")
    year, number = int(match[1]), int(match[2])
    current = (today.year, (today.month - 1) // 3 + 1)
    if (year, number) > current or year < EARLIEST.year:
        raise RecordRejected(f"quarter: {value} is not a past or current quarter")
    return f"{year}-Q{number}"
