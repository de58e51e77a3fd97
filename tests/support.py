"""Helpers for the cross-service tests: tokens, valid forms, documents, waiting."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import AuthSettings, DevTokenIssuer
from guichet_core.kernel.bus.port import BusMessage
from guichet_core.kernel.settings import ServiceSettings
from guichet_core.stores.vault import MasterKey
from guichet_core.testing.plugin import unique
from guichet_core.testing.samples import PDF

WORKER_NISS = "85073003328"  # born 30 July 1985 (DOMAIN.md's example)
EMPLOYER = "0403019261"


def document(
    kind: str, content: bytes = PDF, media_type: str = "application/pdf"
) -> dict[str, Any]:
    return {
        "kind": kind,
        "filename": f"{kind}.pdf",
        "media_type": media_type,
        "content_base64": base64.b64encode(content).decode(),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def application_form(
    *,
    kind: str = "single_permit",
    category: str = "eu_blue_card",
    postcode: str = "1000",
    worker_email: str = "amina.diallo@example.org",
    **overrides: Any,
) -> dict[str, Any]:
    start = date.today() + timedelta(days=60)
    documents = [document("passport")]
    documents += {
        "eu_blue_card": [document("diploma")],
        "researcher": [document("hosting_agreement")],
        "intra_corporate_transferee": [document("posting_certificate")],
        "trainee": [document("traineeship_agreement")],
    }.get(category, [])
    form: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "filed_by": "employer",
        "worker": {
            "niss": WORKER_NISS,
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
            "email": worker_email,
            "language": "fr",
        },
        "employer": {
            "enterprise_number": "0403.019.261",
            "name": "Acme Belgium SA",
            "email": "hr@acme.example.org",
        },
        "employment": {
            "workplace_postcode": postcode,
            "job_title": "Data engineer",
            "start": start.isoformat(),
            "end": (start + timedelta(days=730)).isoformat(),
            "weekly_hours": 38,
            "gross_monthly_wage_eur": 5200,
        },
        "fee_payment_reference": "+++090/9337/55493+++" if kind == "single_permit" else None,
        "documents": documents,
    }
    form.update(overrides)
    return form


@contextlib.contextmanager
def environment(**variables: str) -> Iterator[None]:
    """Set environment variables for the block (services read their secrets from it)."""
    previous = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def production_secrets(directory: Path) -> tuple[dict[str, str], DevTokenIssuer]:
    """What a production deployment is given: a token verification key (here a PEM file
    whose private half signs the test tokens, as an identity provider would) and a
    master key for the key store. Production refuses development keys."""
    private = ec.generate_private_key(ec.SECP256R1())
    public_file = directory / "idp-public.pem"
    public_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = AuthSettings()
    issuer = DevTokenIssuer(private, issuer=settings.issuer, audience=settings.audience)
    variables = {
        "GUICHET_AUTH_PUBLIC_KEY_FILE": str(public_file),
        "GUICHET_MASTER_KEY": MasterKey.generate().to_base64(),
    }
    return variables, issuer


def with_secrets(settings: ServiceSettings, secrets: dict[str, str]) -> ServiceSettings:
    """The settings with what ``production_secrets`` gives, as a deployment reads them
    from ``GUICHET_MASTER_KEY`` and ``GUICHET_AUTH_PUBLIC_KEY_FILE``."""
    auth = settings.auth.model_copy(
        update={"public_key_file": Path(secrets["GUICHET_AUTH_PUBLIC_KEY_FILE"])}
    )
    master_key = SecretStr(secrets["GUICHET_MASTER_KEY"])
    return settings.model_copy(update={"master_key": master_key, "auth": auth})


def issuer_for(settings: ServiceSettings) -> DevTokenIssuer:
    """The development issuer of the embedded default (its key sits in the data dir)."""
    return DevTokenIssuer.from_settings(settings)


class Tokens:
    """Tokens for every kind of caller, signed by the issuer the platform trusts."""

    def __init__(self, issuer: DevTokenIssuer) -> None:
        self._issuer = issuer

    def for_audience(self, audience: str) -> Tokens:
        """Tokens signed by the same key for another audience (which we must refuse)."""
        issuer = self._issuer
        return Tokens(DevTokenIssuer(issuer._key, issuer=issuer.issuer, audience=audience))

    def header(self, authority: Authority, subject: str = "agent-1") -> dict[str, str]:
        return self.issue(authority=authority, subject=subject)

    def issue(
        self,
        *,
        authority: Authority,
        subject: str,
        roles: frozenset[str] = frozenset(),
        purpose: str | None = None,
        ttl: timedelta = timedelta(hours=1),
    ) -> dict[str, str]:
        token = self._issuer.issue(
            subject=subject,
            authority=authority,
            agent_id=subject,
            roles=sorted(roles),
            purpose=purpose,
            ttl=ttl,
        )
        return {"Authorization": f"Bearer {token}"}

    def employer(self) -> dict[str, str]:
        return self.header(Authority.APPLICANT, EMPLOYER)

    def worker(self) -> dict[str, str]:
        return self.header(Authority.APPLICANT, WORKER_NISS)


async def eventually(
    probe: Callable[[], Awaitable[Any]], what: str, *, seconds: float = 30.0
) -> Any:
    """Poll until ``probe`` returns something truthy (events cross the bus asynchronously)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}; last: {result!r}")
        await asyncio.sleep(0.1)


async def eventually_or_false(probe: Callable[[], Awaitable[Any]], *, seconds: float = 30.0) -> Any:
    """``eventually``, answering the last falsy result instead of failing (the caller says
    what was still wrong)."""
    try:
        return await eventually(probe, "the probe holds", seconds=seconds)
    except AssertionError:
        return False


async def read_topic(
    settings: ServiceSettings, topic: str, enough: Callable[[list[BusMessage]], bool], what: str
) -> list[BusMessage]:
    """The messages of ``topic`` (its namespaced name) read by a new consumer group, once
    ``enough`` of them have arrived."""
    from guichet_core.service import make_bus

    bus = make_bus(settings, client_id="test-reader")
    subscription = bus.subscription(group=settings.named(unique("test-reader-")), topics=[topic])
    await subscription.start()
    messages: list[BusMessage] = []

    async def arrived() -> bool:
        batch = await subscription.fetch(max_messages=500, timeout=0.5)
        messages.extend(received.message for received in batch)
        return enough(messages)

    try:
        await eventually(arrived, what)
    finally:
        await subscription.stop()
        await bus.close()
    return messages
