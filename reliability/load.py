"""The load: applications with fresh personal values, driven over HTTP through every path
of the procedure (the paths of ``make demo``), at a steady rate.

Every personal value and every reason submitted is registered with the report, so the
leak scan can look for each of them afterwards. A client that loses an answer retries
as a careful client would: the same request again, with the same ``Idempotency-Key``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import random
import string
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from guichet_contracts.vocabulary import Authority
from guichet_core.testing.samples import PDF  # a PDF that intake's parser accepts
from reliability.report import Report
from reliability.stack import Platform

EMPLOYER = "0403019261"
VLG, WAL, BXL, DG, OE = Authority.VLG, Authority.WAL, Authority.BXL, Authority.DG, Authority.OE
# path: (workplace postcode, competent region, decisions); see ``journey``.
PATHS: dict[str, tuple[str, Authority]] = {
    "granted": ("2000", VLG),
    "inadmissible": ("5000", WAL),
    "documents": ("1050", BXL),
    "work_refused": ("4700", DG),
    "residence_refused": ("9000", VLG),
    "withdrawn": ("4000", WAL),
    "work_only": ("3000", VLG),
}
FINAL = {
    "granted": "single_permit_granted",
    "inadmissible": "refused",
    "documents": "under_examination",
    "work_refused": "refused",
    "residence_refused": "refused",
    "withdrawn": "withdrawn",
    "work_only": "work_authorised",
}


def _word(n: int) -> str:
    return random.choice(string.ascii_uppercase) + "".join(
        random.choices(string.ascii_lowercase, k=n - 1)
    )


def niss_for(born: date) -> str:
    """A valid Belgian national number (born before 2000): yymmdd, serial, 97-check."""
    first = f"{born:%y%m%d}{random.randint(1, 997):03d}"
    return first + f"{97 - int(first) % 97:02d}"


@dataclass
class Person:
    niss: str
    last_name: str
    first_names: str
    birth_date: date
    email: str
    passport: str
    street: str
    reason: str  # the refusal or withdrawal reason written about this person, if any

    @classmethod
    def fresh(cls, report: Report) -> Person:
        born = date(1960, 1, 1) + timedelta(days=random.randint(0, 14000))
        last, first = _word(9), _word(8)
        person = cls(
            niss=niss_for(born),
            last_name=last,
            first_names=first,
            birth_date=born,
            email=f"{first.lower()}.{last.lower()}@example.org",
            passport="P" + "".join(random.choices(string.digits, k=8)),
            street=f"Rue {_word(10)} {random.randint(1, 300)}",
            reason=f"Motif {uuid.uuid4().hex[:12]}: les conditions de l'article 9 manquent",
        )
        report.personal(person.niss, last, first, person.email, person.passport)
        report.personal(person.street, person.reason)
        return person


def _document(kind: str) -> dict[str, str]:
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }


def application_form(person: Person, postcode: str, *, work_only: bool = False) -> dict[str, Any]:
    start = date.today() + timedelta(days=45)
    return {
        "kind": "work_authorisation" if work_only else "single_permit",
        "category": "general" if work_only else "eu_blue_card",
        "filed_by": "employer",
        "worker": {
            "niss": person.niss,
            "last_name": person.last_name,
            "first_names": person.first_names,
            "birth_date": person.birth_date.isoformat(),
            "birth_place": "Dakar",
            "sex": "F",
            "nationality": "SN",
            "passport_number": person.passport,
            "address": {
                "street": person.street,
                "postcode": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
            "email": person.email,
            "language": "fr",
        },
        "employer": {
            "enterprise_number": EMPLOYER,
            "name": "Acme Belgium SA",
            "email": "hr@acme.example.org",
        },
        "employment": {
            "workplace_postcode": postcode,
            "job_title": "Data engineer",
            "start": start.isoformat(),
            "end": (start + timedelta(days=60 if work_only else 730)).isoformat(),
            "weekly_hours": 38,
            "gross_monthly_wage_eur": 5200,
        },
        "fee_payment_reference": None if work_only else "+++090/9337/55493+++",
        "documents": [_document("passport")] + ([] if work_only else [_document("diploma")]),
    }


def new_application(report: Report, path: str = "granted") -> dict[str, Any]:
    """A valid filing form with fresh personal values (registered for the leak scan)."""
    postcode, _ = PATHS[path]
    return application_form(Person.fresh(report), postcode, work_only=path == "work_only")


def validity(days: int = 365) -> dict[str, str]:
    start = date.today() + timedelta(days=45)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(days)).isoformat()}


@dataclass
class Journey:
    path: str
    person: Person
    application_id: str | None = None
    attempts: int = 0  # filing requests sent (retries included)
    acked: list[str] = field(default_factory=list)  # steps answered 2xx
    errors: list[str] = field(default_factory=list)

    @property
    def filed(self) -> bool:
        return self.application_id is not None


class Driver:
    """Drives journeys against a platform; ``patience`` bounds every wait (faults slow
    things down, they must not lose anything)."""

    def __init__(self, platform: Platform, report: Report, *, patience: float = 180) -> None:
        self.platform, self.report, self.patience = platform, report, patience
        self.http = httpx.AsyncClient(timeout=30)
        self.journeys: list[Journey] = []

    async def close(self) -> None:
        await self.http.aclose()

    def _url(self, service: str, path: str) -> str:
        return self.platform.urls[service] + path

    async def _send(
        self,
        journey: Journey,
        step: str,
        service: str,
        path: str,
        body: Any,
        headers: dict[str, str],
    ) -> httpx.Response | None:
        """POST until answered (transport errors and 5xx are retried with the same
        Idempotency-Key); a 4xx is the answer."""
        key = str(uuid.uuid4())
        deadline = asyncio.get_running_loop().time() + self.patience
        while asyncio.get_running_loop().time() < deadline:
            journey.attempts += step == "file"
            try:
                response = await self.http.post(
                    self._url(service, path), json=body, headers={**headers, "Idempotency-Key": key}
                )
            except httpx.HTTPError as error:
                journey.errors.append(f"{step}: {type(error).__name__}")
                await asyncio.sleep(1)
                continue
            if response.status_code < 300:
                journey.acked.append(step)
                return response
            self.report.error_body(f"POST {service} {step}", response.content)
            if response.status_code < 500 and response.status_code != 429:
                journey.errors.append(f"{step}: {response.status_code}")
                return response
            journey.errors.append(f"{step}: {response.status_code}")
            await asyncio.sleep(1)
        return None

    async def _until(self, probe: Callable[[], Awaitable[bool]]) -> bool:
        deadline = asyncio.get_running_loop().time() + self.patience
        while asyncio.get_running_loop().time() < deadline:
            with_error = False
            try:
                if await probe():
                    return True
            except (httpx.HTTPError, ValueError, KeyError):  # not an answer yet
                with_error = True
            await asyncio.sleep(1.0 if with_error else 0.3)
        return False

    async def _seen(
        self, service: str, application_id: str, authority: Authority, needs: str | None = None
    ) -> bool:
        """Until ``service`` knows the dossier (and its view has ``needs``)."""
        headers = self.platform.tokens.header(authority, "officer-1")

        async def probe() -> bool:
            url = self._url(service, f"/dossiers/{application_id}")
            response = await self.http.get(url, headers=headers)
            return response.status_code == 200 and (not needs or bool(response.json()[needs]))

        return await self._until(probe)

    async def _supply(self, journey: Journey, a: str, employer: dict[str, str]) -> None:
        """The applicant answers the region's request for documents (Art. 20 §4)."""
        request_id: list[str] = []

        async def requested() -> bool:
            url = self._url("intake", f"/applications/{a}")
            view = (await self.http.get(url, headers=employer)).json()
            request_id[:] = [view["open_request"]] if view.get("open_request") else []
            return bool(request_id)

        if not await self._until(requested):
            journey.errors.append("the applicant never saw the request for documents")
            return
        body = {"request_id": request_id[0], "documents": [_document("employment_contract")]}
        await self._send(
            journey,
            "supply",
            "intake",
            f"/applications/{a}/supplementary-documents",
            body,
            employer,
        )

    async def journey(self, path: str) -> Journey:
        """File one application and take it along ``path`` to its end; what goes wrong on
        the way is the journey's error, never the end of the load."""
        journey = Journey(path, Person.fresh(self.report))
        self.journeys.append(journey)
        try:
            await self._walk(journey)
        except (httpx.HTTPError, ValueError, KeyError) as error:  # e.g. a 500 in plain text
            journey.errors.append(f"{type(error).__name__} on the way")
        return journey

    async def _walk(self, journey: Journey) -> Journey:
        path, person = journey.path, journey.person
        postcode, region = PATHS[path]
        employer = self.platform.tokens.header(Authority.APPLICANT, EMPLOYER)
        form = application_form(person, postcode, work_only=path == "work_only")
        answer = await self._send(journey, "file", "intake", "/applications", form, employer)
        if answer is None or answer.status_code != 201:
            return journey
        journey.application_id = a = str(answer.json()["application_id"])
        if not await self._seen("regional-decision", a, region):
            journey.errors.append("the region never saw the dossier")
            return journey
        officer = self.platform.tokens.header(region, "officer-1")

        async def by_region(step: str, **body: Any) -> bool:
            response = await self._send(
                journey, step, "regional-decision", f"/dossiers/{a}/{step}", body, officer
            )
            return response is not None and response.status_code < 300

        if path == "inadmissible":
            await by_region("admissibility", admissible=False, reasons=person.reason)
            return journey
        if not await by_region("admissibility", admissible=True):
            return journey
        if path == "documents":
            due = (date.today() + timedelta(days=30)).isoformat()
            kinds = ["employment_contract"]
            if await by_region(
                "document-requests", document_kinds=kinds, due_on=due, explanation=person.reason
            ):
                await self._supply(journey, a, employer)
            return journey
        if path == "work_refused":
            await by_region("work-decision", authorised=False, reasons=person.reason)
            return journey
        days = 60 if path == "work_only" else 365
        if not await by_region("work-decision", authorised=True, **validity(days)) or (
            path == "work_only"
        ):
            return journey
        if not await self._seen("residence-decision", a, OE, "work_valid_until"):
            journey.errors.append("the Office never saw the dossier")
            return journey
        office = self.platform.tokens.header(OE, "officer-1")

        async def decide(step: str, **body: Any) -> bool:
            response = await self._send(
                journey, step, "residence-decision", f"/dossiers/{a}/{step}", body, office
            )
            return response is not None and response.status_code < 300

        if path == "residence_refused":
            await decide("residence-decision", authorised=False, reasons=person.reason)
            return journey
        if await decide("residence-decision", authorised=True, **validity()) and (
            path == "withdrawn"
        ):
            await decide("withdrawal", reasons=person.reason)
        return journey

    async def steady(self, rate: float, seconds: float, paths: list[str] | None = None) -> None:
        """Start ``rate`` journeys a second for ``seconds``, cycling through ``paths``;
        return when every journey has ended."""
        names = paths or list(PATHS)
        tasks: list[asyncio.Task[Journey]] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        for n in range(max(1, int(rate * seconds))):
            await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
            tasks.append(asyncio.create_task(self.journey(names[n % len(names)])))
        await asyncio.gather(*tasks)
