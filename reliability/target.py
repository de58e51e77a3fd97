"""What the bad-input and attack parts of ``make reliability`` are run against: an HTTP
client per service, the tokens the platform trusts, its verification key, the broker,
and the routes each service declares (read from its ``ServiceSpec``, never hand-listed).

``make reliability`` builds a ``Target`` from ``reliability.stack.Platform`` (services as
processes, over TCP); the fast test in ``make test`` builds one from the in-process
stack of ``tests/stacks.py`` (over ASGI). Both talk to the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.routing import APIRoute

from guichet_contracts.vocabulary import Authority
from guichet_core.http.revocation import revocation_router
from guichet_core.service import ServiceSpec
from reliability.load import Person, application_form
from reliability.report import Report
from tests.support import Tokens

SERVICE_MODULES = {
    "intake": "guichet_intake.bootstrap",
    "regional-decision": "guichet_regional_decision.bootstrap",
    "residence-decision": "guichet_residence_decision.bootstrap",
    "consultation": "guichet_consultation.bootstrap",
    "onss-feed": "guichet_onss_feed.bootstrap",
    "retention": "guichet_retention.bootstrap",
}
EVERY_AUTHORITY = tuple(Authority)


@dataclass(frozen=True)
class Filed:
    dossier: str
    person: Person
    region: Authority  # the competent region

    def worker(self, tokens: Tokens) -> dict[str, str]:
        """The data subject's own token (Art. 29: they read their access log)."""
        return tokens.header(Authority.APPLICANT, self.person.niss)


@dataclass
class Target:
    clients: Mapping[str, httpx.AsyncClient]  # by service name
    tokens: Tokens
    public_key_pem: bytes  # the key that verifies tokens (for HS256-with-public-key)
    kafka_bootstrap: str | None
    named: Callable[[str], str]  # the namespace's name of a topic or consumer group

    async def file(self, report: Report, postcode: str = "1000") -> Filed:
        """A real dossier, filed by the employer for a fresh worker (whose personal values
        go to the leak scan); 1000 Brussels is decided by BXL (Art. 9)."""
        person = Person.fresh(report)
        response = await self.clients["intake"].post(
            "/applications",
            json=application_form(person, postcode),
            headers=self.tokens.employer(),
        )
        if response.status_code != 201:
            raise RuntimeError(f"filing a valid form gave {response.status_code}")
        receipt = response.json()
        region = Authority(receipt["competent_authority"])
        return Filed(str(receipt["application_id"]), person, region)

    async def everywhere(self, filed: Filed) -> None:
        """Wait until the region, consultation and retention (those running) know the
        dossier: each learns it over the bus."""
        region = self.tokens.header(filed.region, "officer-1")
        paths = {
            "regional-decision": f"/dossiers/{filed.dossier}",
            "consultation": f"/dossiers/{filed.dossier}",
            "retention": f"/schedule/{filed.dossier}",
        }
        for service, path in paths.items():
            client = self.clients.get(service)
            if client is None:
                continue

            async def known(client: httpx.AsyncClient = client, path: str = path) -> bool:
                return (await client.get(path, headers=region)).status_code == 200

            await until(known, f"{service} knows the dossier")

    async def refuse_work(self, filed: Filed) -> None:
        """The competent region declares the dossier admissible then refuses the work
        with the reasons written about the person (Art. 12 §1, 24)."""
        officer = self.tokens.header(filed.region, "officer-1")
        base = f"/dossiers/{filed.dossier}"
        steps = [
            ("/admissibility", {"admissible": True}),
            ("/work-decision", {"authorised": False, "reasons": filed.person.reason}),
        ]
        for path, body in steps:
            answer = await self.clients["regional-decision"].post(
                base + path, json=body, headers=officer
            )
            if answer.status_code != 200:
                raise RuntimeError(f"the region's {path} gave {answer.status_code}")


async def until(probe: Callable[[], Any], what: str, *, seconds: float = 60.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while not (result := await probe()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.2)
    return result


@contextlib.asynccontextmanager
async def target_of(platform: Any) -> AsyncIterator[Target]:
    """A ``Target`` for ``reliability.stack.Platform``: services over TCP."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {
            name: await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
            for name, url in platform.urls.items()
        }
        yield Target(
            clients=clients,
            tokens=platform.tokens,
            public_key_pem=platform.public_key_file.read_bytes(),
            kafka_bootstrap=platform.kafka_bootstrap,
            named=lambda name: platform.namespace + name,
        )


def spec_of(service: str) -> ServiceSpec:
    spec = importlib.import_module(SERVICE_MODULES[service]).SPEC
    assert isinstance(spec, ServiceSpec)
    return spec


@dataclass(frozen=True)
class Route:
    service: str
    method: str
    path: str  # the template, e.g. /dossiers/{application_id}/admissibility
    admits: frozenset[Authority] | None  # declared by require_authority; None: not declared
    authenticated: bool  # takes a bearer token at all

    @property
    def name(self) -> str:
        return f"{self.method} {self.service} {self.path}"


def routes(services: Iterator[str] | tuple[str, ...] = tuple(SERVICE_MODULES)) -> list[Route]:
    """Every route of the services, with the access rule it declares (STYLE 13)."""
    found = []
    for service in services:
        # The routes create_app gives every service (revocation) are attacked on each.
        for router in [*spec_of(service).routers, revocation_router()]:
            for route in router.routes:
                if not isinstance(route, APIRoute):
                    continue
                admits, authenticated = _declared(route.dependant)
                for method in sorted((route.methods or set()) - {"HEAD", "OPTIONS"}):
                    found.append(Route(service, method, route.path, admits, authenticated))
    return found


def _declared(dependant: Any) -> tuple[frozenset[Authority] | None, bool]:
    """The authorities a ``require_authority`` dependency admits (read from its closure),
    and whether the route verifies a caller at all (``current_caller``)."""
    admits: frozenset[Authority] | None = None
    authenticated = False
    for sub in dependant.dependencies:
        call = sub.call
        if getattr(call, "__name__", "") == "authorised_caller":
            wanted = inspect.getclosurevars(call).nonlocals.get("wanted")
            admits = frozenset(wanted) if wanted is not None else admits
        if getattr(call, "__name__", "") == "current_caller":
            authenticated = True
        inner, inner_auth = _declared(sub)
        admits = inner if inner is not None else admits
        authenticated = authenticated or inner_auth
    return admits, authenticated
