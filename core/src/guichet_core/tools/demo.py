"""``make demo``: drive one application through every path of the procedure, over HTTP,
against the platform ``make run`` started, and print each dossier's outcome and timeline.

Tokens come from the development issuer in ``GUICHET_DATA_DIR`` (the embedded default).
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

# Not guichet_core.http.auth: the demo signs tokens, it does not verify them (no FastAPI).
from guichet_contracts.vocabulary import Authority
from guichet_core.http.dev_tokens import DevTokenIssuer
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.testing.samples import PDF
from guichet_core.tools.supervisor import port_of

EMPLOYER = "0403019261"
REASONS = "Demo reasons: the conditions of the applicable regulation are not met."


def _url(service: str, port: int) -> str:
    return f"http://127.0.0.1:{port_of(service, port)}"


def _document(kind: str) -> dict[str, str]:
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
        "sha256": hashlib.sha256(PDF).hexdigest(),
    }


def form(
    postcode: str, *, kind: str = "single_permit", category: str = "eu_blue_card", days: int = 730
) -> dict[str, Any]:
    start = date.today() + timedelta(days=45)
    documents = [_document("passport")]
    if category == "eu_blue_card":
        documents.append(_document("diploma"))
    return {
        "kind": kind,
        "category": category,
        "filed_by": "employer",
        "worker": {
            "niss": "85073003328",
            "last_name": "Diallo",
            "first_names": "Amina",
            "birth_date": "1985-07-30",
            "birth_place": "Dakar",
            "sex": "F",
            "nationality": "SN",
            "passport_number": "A12345678",
            "address": {
                "street": "Rue Neuve 1",
                "postcode": "1000",
                "city": "Bruxelles",
                "country": "BE",
            },
            "email": "amina.diallo@example.org",
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
            "end": (start + timedelta(days=days)).isoformat(),
            "weekly_hours": 38,
            "gross_monthly_wage_eur": 5200,
        },
        "fee_payment_reference": "+++090/9337/55493+++" if kind == "single_permit" else None,
        "documents": documents,
    }


@dataclass
class Outcome:
    path: str
    expected: str
    actual: str
    timeline: list[str]

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


class Demo:
    def __init__(self, settings: ServiceSettings | None = None, timeout: float = 30.0) -> None:
        issuer = DevTokenIssuer.from_settings(settings or ServiceSettings())
        self.issue = issuer.issue
        self.client = httpx.Client(timeout=10)
        self.timeout = timeout
        self.intake = _url("intake", 8001)
        self.region = _url("regional-decision", 8002)
        self.office = _url("residence-decision", 8003)

    def auth(self, authority: Authority, subject: str = "demo-agent") -> dict[str, str]:
        token = self.issue(subject=subject, authority=authority, agent_id=subject)
        return {"Authorization": f"Bearer {token}"}

    def applicant(self) -> dict[str, str]:
        return self.auth(Authority.APPLICANT, EMPLOYER)

    def wait(self, probe: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if result := probe():
                return result
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting until {what}")

    def file(self, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(self.intake + "/applications", json=body, headers=self.applicant())

    def filed(self, body: dict[str, Any], region: Authority) -> str:
        response = self.file(body)
        response.raise_for_status()
        application_id = str(response.json()["application_id"])
        self.wait(
            lambda: (
                self.client.get(
                    f"{self.region}/dossiers/{application_id}", headers=self.auth(region)
                ).is_success
            ),
            "the region receives the application",
        )
        return application_id

    def region_decides(
        self, application_id: str, region: Authority, action: str, **body: Any
    ) -> None:
        url = f"{self.region}/dossiers/{application_id}/{action}"
        self.client.post(url, json=body, headers=self.auth(region)).raise_for_status()

    def office_decides(self, application_id: str, action: str, **body: Any) -> None:
        url = f"{self.office}/dossiers/{application_id}/{action}"
        self.wait(
            lambda: (
                self.client.post(url, json=body, headers=self.auth(Authority.OE)).status_code == 200
            ),
            f"the Office decides ({action})",
        )

    def status(self, application_id: str, expected: str) -> tuple[str, list[str]]:
        def probe() -> dict[str, Any] | None:
            view = self.client.get(
                f"{self.intake}/applications/{application_id}", headers=self.applicant()
            ).json()
            return view if view.get("status") == expected else None

        try:
            view = self.wait(probe, f"status {expected}")
        except RuntimeError:
            view = self.client.get(
                f"{self.intake}/applications/{application_id}", headers=self.applicant()
            ).json()
        timeline = [f"{e['step']} ({e['by']}, {e['days']} d)" for e in view.get("timeline", [])]
        return str(view.get("status")), timeline

    def outcome(self, path: str, application_id: str, expected: str) -> Outcome:
        """The dossier's outcome once it reached ``expected`` (or waiting timed out)."""
        actual, timeline = self.status(application_id, expected)
        return Outcome(path, expected, actual, timeline)


def validity(days: int = 365) -> dict[str, str]:
    start = date.today() + timedelta(days=45)
    return {"valid_from": start.isoformat(), "valid_until": (start + timedelta(days)).isoformat()}


def run_demo(demo: Demo) -> list[Outcome]:
    """Every path of the procedure, one dossier each, in this order."""
    return [path(demo) for path in PATHS]


def granted(demo: Demo) -> Outcome:
    a = demo.filed(form("2000"), Authority.VLG)
    demo.region_decides(a, Authority.VLG, "admissibility", admissible=True)
    demo.region_decides(a, Authority.VLG, "work-decision", authorised=True, **validity())
    demo.office_decides(a, "residence-decision", authorised=True, **validity())
    return demo.outcome("single permit granted (Antwerp, Flanders)", a, "single_permit_granted")


def inadmissible(demo: Demo) -> Outcome:
    b = demo.filed(form("5000"), Authority.WAL)
    demo.region_decides(b, Authority.WAL, "admissibility", admissible=False, reasons=REASONS)
    return demo.outcome("inadmissible (Namur, Wallonia)", b, "refused")


def documents_requested_then_supplied(demo: Demo) -> Outcome:
    c = demo.filed(form("1050"), Authority.BXL)
    demo.region_decides(c, Authority.BXL, "admissibility", admissible=True)
    due = (date.today() + timedelta(days=30)).isoformat()
    demo.region_decides(
        c,
        Authority.BXL,
        "document-requests",
        document_kinds=["employment_contract"],
        due_on=due,
        explanation="Please send the signed contract.",
    )
    request_id = demo.wait(
        lambda: (
            demo.client.get(f"{demo.intake}/applications/{c}", headers=demo.applicant())
            .json()
            .get("open_request")
        ),
        "the applicant sees the request",
    )
    demo.client.post(
        f"{demo.intake}/applications/{c}/supplementary-documents",
        json={"request_id": request_id, "documents": [_document("employment_contract")]},
        headers=demo.applicant(),
    ).raise_for_status()
    return demo.outcome("documents requested, then supplied (Brussels)", c, "under_examination")


def work_refused(demo: Demo) -> Outcome:
    d = demo.filed(form("4700"), Authority.DG)
    demo.region_decides(d, Authority.DG, "admissibility", admissible=True)
    demo.region_decides(d, Authority.DG, "work-decision", authorised=False, reasons=REASONS)
    return demo.outcome("work refused (Eupen, German-speaking Community)", d, "refused")


def residence_refused(demo: Demo) -> Outcome:
    e = demo.filed(form("9000"), Authority.VLG)
    demo.region_decides(e, Authority.VLG, "admissibility", admissible=True)
    demo.region_decides(e, Authority.VLG, "work-decision", authorised=True, **validity())
    demo.office_decides(e, "residence-decision", authorised=False, reasons=REASONS)
    return demo.outcome("residence refused by the Immigration Office (Ghent)", e, "refused")


def withdrawn_after_grant(demo: Demo) -> Outcome:
    f = demo.filed(form("4000"), Authority.WAL)
    demo.region_decides(f, Authority.WAL, "admissibility", admissible=True)
    demo.region_decides(f, Authority.WAL, "work-decision", authorised=True, **validity())
    demo.office_decides(f, "residence-decision", authorised=True, **validity())
    demo.office_decides(f, "withdrawal", reasons=REASONS)
    return demo.outcome("single permit withdrawn after grant (Liège)", f, "withdrawn")


def work_authorisation_only(demo: Demo) -> Outcome:
    body = form("3000", kind="work_authorisation", category="general", days=60)
    g = demo.filed(body, Authority.VLG)
    demo.region_decides(g, Authority.VLG, "admissibility", admissible=True)
    demo.region_decides(g, Authority.VLG, "work-decision", authorised=True, **validity(60))
    return demo.outcome("work authorisation only (Leuven)", g, "work_authorised")


def professional_card_while_closed(demo: Demo) -> Outcome:
    card = demo.file(form("1000", kind="professional_card", category="self_employed"))
    detail = card.json().get("detail", [{}])
    reason = detail[0].get("msg", "") if isinstance(detail, list) else str(detail)
    return Outcome(
        "professional card while the procedure is closed",
        "refused at filing (422)",
        f"refused at filing ({card.status_code})"
        if card.status_code == 422
        else f"HTTP {card.status_code}",
        [reason],
    )


PATHS: list[Callable[[Demo], Outcome]] = [
    granted,
    inadmissible,
    documents_requested_then_supplied,
    work_refused,
    residence_refused,
    withdrawn_after_grant,
    work_authorisation_only,
    professional_card_while_closed,
]
