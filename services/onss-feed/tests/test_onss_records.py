"""Validation of each source's records, the streamed reader and the generator."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from stdnum.be import ssn, vat

from guichet_contracts.employment import (
    EmploymentDeclared,
    EmploymentEnded,
    PostingDeclared,
    SelfEmployedAffiliationRecorded,
    WagesDeclared,
)
from guichet_onss_feed.generator import (
    Plan,
    enterprise_number_of,
    niss_of,
    records,
    workers,
    write,
)
from guichet_onss_feed.records import RecordRejected, Source, validate
from guichet_onss_feed.streaming import CSV, NDJSON, BadFile, from_iterable
from guichet_onss_feed.streaming import records as stream_records

TODAY = date(2026, 5, 10)
NISS, EMPLOYER = "85073003328", "0403019261"

DIMONA_IN = {
    "dimona_id": "D-1",
    "action": "in",
    "employer": "0403.019.261",
    "niss": NISS,
    "entry_date": "2026-03-01",
    "joint_committee": "200",
    "worker_type": "oth",
}
DMFA = {
    "quarter": "2026-q1",
    "employer": EMPLOYER,
    "niss": NISS,
    "gross_wage_eur": "15600.00",
    "days_worked": "64",
    "hours_worked": "486.40",
    "joint_committee": "200",
}
LIMOSA = {
    "limosa_id": "L-1",
    "declarant": "employee",
    "niss": NISS,
    "sender_name": "Infy Ltd",
    "sender_country": "in",
    "belgian_user": EMPLOYER,
    "start_date": "2026-04-01",
    "end_date": "2027-03-31",
    "workplace_postcode": "1000",
}
INASTI = {
    "niss": "17073003384",
    "start_date": "2026-01-01",
    "nace_code": "62.010",
    "activity": "software development",
}


def test_each_source_makes_its_event_with_the_personal_part_apart() -> None:
    entry = validate(Source.DIMONA, DIMONA_IN, today=TODAY)
    assert entry.model is EmploymentDeclared and entry.employer == EMPLOYER
    assert entry.personal == {"niss": NISS, "worker_type": "OTH"}
    assert entry.clear["entry_date"] == date(2026, 3, 1) and entry.key == "dimona|D-1|in"
    out = validate(
        Source.DIMONA, {**DIMONA_IN, "action": "OUT", "exit_date": "2026-04-30"}, today=TODAY
    )
    assert out.model is EmploymentEnded and out.key == "dimona|D-1|out"
    wages = validate(Source.DMFA, DMFA, today=TODAY)
    assert wages.model is WagesDeclared and wages.clear["quarter"] == "2026-Q1"
    assert wages.personal["gross_wage_eur"] == "15600.00" and "niss" not in wages.clear
    assert wages.key == f"dmfa|2026-Q1|{EMPLOYER}|{NISS}"
    posting = validate(Source.LIMOSA, LIMOSA, today=TODAY)
    assert posting.model is PostingDeclared and posting.employer is None
    assert posting.personal["sender_country"] == "IN"
    affiliation = validate(Source.INASTI, INASTI, today=TODAY)
    assert affiliation.model is SelfEmployedAffiliationRecorded
    assert affiliation.key == "inasti|17073003384|2026-01-01"
    assert affiliation.personal["nace_code"] == "62010"


BAD: list[tuple[Source, dict[str, Any], str]] = [
    (Source.DIMONA, {**DIMONA_IN, "niss": "85073003329"}, "niss"),
    (Source.DIMONA, {**DIMONA_IN, "employer": "0403019262"}, "employer"),
    (Source.DIMONA, {**DIMONA_IN, "entry_date": "2026-02-30"}, "entry_date"),
    (Source.DIMONA, {**DIMONA_IN, "entry_date": "2031-01-01"}, "entry_date"),
    (Source.DIMONA, {**DIMONA_IN, "action": "out"}, "exit_date: missing"),
    (Source.DIMONA, {**DIMONA_IN, "action": "out", "exit_date": "2026-02-01"}, "before the start"),
    (Source.DIMONA, {**DIMONA_IN, "joint_committee": "20"}, "joint_committee"),
    (Source.DIMONA, {**DIMONA_IN, "salary": "1"}, "unknown field"),
    (Source.DMFA, {**DMFA, "quarter": "2026-Q5"}, "quarter"),
    (Source.DMFA, {**DMFA, "quarter": "2027-Q1"}, "not a past or current quarter"),
    (Source.DMFA, {**DMFA, "gross_wage_eur": "-1"}, "gross_wage_eur"),
    (Source.DMFA, {**DMFA, "gross_wage_eur": "10.001"}, "two decimals"),
    (Source.DMFA, {**DMFA, "gross_wage_eur": "5000000"}, "gross_wage_eur"),
    (Source.DMFA, {**DMFA, "gross_wage_eur": "abc"}, "not a number"),
    (Source.DMFA, {**DMFA, "days_worked": "93"}, "days_worked"),
    (Source.LIMOSA, {**LIMOSA, "sender_country": "BE"}, "sender_country"),
    (Source.LIMOSA, {**LIMOSA, "end_date": "2026-03-01"}, "before the start"),
    (Source.LIMOSA, {**LIMOSA, "belgian_user": "123"}, "belgian_user"),
    (Source.INASTI, {**INASTI, "nace_code": "6201"}, "nace_code"),
    (Source.INASTI, {k: v for k, v in INASTI.items() if k != "activity"}, "activity: missing"),
]


@pytest.mark.parametrize(("source", "raw", "reason"), BAD)
def test_a_bad_record_is_rejected_with_its_reason(
    source: Source, raw: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RecordRejected, match=reason):
        validate(source, raw, today=TODAY)


def test_a_record_that_is_not_an_object_is_rejected() -> None:
    with pytest.raises(RecordRejected, match="JSON object"):
        validate(Source.DMFA, ["x"], today=TODAY)


async def _read(source: Source, media: str, text: str, size: int = 7) -> list[tuple[int, Any]]:
    data = text.encode()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]  # lines cut anywhere
    return [item async for item in stream_records(source, media, from_iterable(chunks))]


async def test_csv_lines_are_numbered_from_the_header_and_cut_anywhere() -> None:
    text = "niss,start_date,activity\r\n17073003384,2026-01-01,café\r\n\n1,2\n"
    found = await _read(Source.INASTI, CSV, text)
    assert found[0] == (2, {"niss": "17073003384", "start_date": "2026-01-01", "activity": "café"})
    assert found[1][0] == 4 and isinstance(found[1][1], RecordRejected)
    with pytest.raises(BadFile, match="unknown column"):
        await _read(Source.INASTI, CSV, "niss,wage\n")


async def test_json_lines_reject_what_is_not_an_object() -> None:
    found = await _read(Source.DMFA, NDJSON, '{"a": 1}\n[1]\n{oops\n', size=3)
    assert found[0] == (1, {"a": 1})
    assert [line for line, item in found if isinstance(item, RecordRejected)] == [2, 3]


def test_generated_identifiers_carry_valid_check_digits() -> None:
    assert niss_of(date(1985, 7, 30), 33) == "85073003328"
    assert niss_of(date(2017, 7, 30), 33) == "17073003384"
    assert ssn.is_valid(niss_of(date(2001, 2, 3), 998 % 997))
    assert all(vat.is_valid(enterprise_number_of(n)) for n in range(1, 500))


def test_generated_records_are_valid_except_the_share_made_invalid(tmp_path: Any) -> None:
    plan = Plan(employers=20, workers=400, quarters=3, invalid_share=0.1, today=TODAY)
    people = workers(plan)
    assert len({w.niss for w in people}) == 400
    for source in Source:
        valid = invalid = 0
        for raw in records(plan, source, people):
            try:
                validate(source, raw, today=TODAY)
                valid += 1
            except RecordRejected:
                invalid += 1
        assert valid > 0 and invalid <= (valid + invalid) * 0.2
    clean = Plan(employers=20, workers=400, quarters=3, today=TODAY)
    files = write(clean, tmp_path, fmt="csv")
    dmfa = next(path for path in files if path.stem == "dmfa")
    rows = list(csv.DictReader(io.StringIO(dmfa.read_text())))
    assert len(rows) == files[dmfa]
    for row in rows:
        validate(Source.DMFA, {k: v for k, v in row.items() if v}, today=TODAY)
