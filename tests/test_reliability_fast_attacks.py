"""The attacks on access of ``make reliability`` (issue 12), run once in ``make test`` on
the production backend (PostgreSQL + the Kafka-protocol broker), every service in
process. Each test reads one case of the harness's report: what was refused of what was
tried, and by name what was not.

A test marked ``xfail(strict=True)`` names a platform defect that the harness finds
today; it turns red the day the defect is fixed: remove the marker then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from guichet_core.service import create_app
from guichet_onss_feed.bootstrap import SPEC as ONSS_FEED
from guichet_onss_feed.settings import OnssFeedSettings
from guichet_retention.settings import RetentionSettings
from reliability import attacks, badinput
from reliability.report import Case, Report
from reliability.target import Target

from .stacks import open_stack
from .support import environment

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.postgres, pytest.mark.kafka]


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["postgres-kafka"])
async def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Target]:
    """A whole platform, the ONSS feed and retention included, in process."""
    retention = RetentionSettings(purge_interval_seconds=3600)
    directory = tmp_path_factory.mktemp("attacked")
    async with (
        open_stack(request, directory, retention=retention) as stack,
        contextlib.AsyncExitStack() as more,
    ):
        with environment(**stack.secrets):
            feed = create_app(ONSS_FEED, OnssFeedSettings(**stack.settings.model_dump()))
        await more.enter_async_context(feed.router.lifespan_context(feed))
        clients = {}
        for app in [*stack.apps, feed]:
            # A server error comes back as the 500 a client sees, not as an exception.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            client = httpx.AsyncClient(transport=transport, base_url="http://service")
            clients[app.state.runtime.spec.name] = await more.enter_async_context(client)
        key_file = Path(stack.secrets["GUICHET_AUTH_PUBLIC_KEY_FILE"])
        yield Target(
            clients=clients,
            tokens=stack.tokens,
            public_key_pem=await asyncio.to_thread(key_file.read_bytes),
            kafka_bootstrap=stack.settings.kafka_bootstrap,
            named=stack.settings.named,
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def report(target: Target) -> Report:
    """One run of every attack on access; the report it wrote."""
    found = Report()
    await attacks.attack(target, found)
    return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fed(target: Target) -> Report:
    """One run of the bad input, at the fast sizes; the report it wrote."""
    found = Report()
    await badinput.bad_input(target, found, badinput.FAST)
    return found


def case(report: Report, name: str) -> Case:
    (found,) = [c for c in report.cases if c.name.startswith(name)]
    print(f"{found.name}: {found.figures} failures={found.failures}")
    return found


async def test_no_authority_uses_a_route_its_declared_rule_does_not_admit(report: Report) -> None:
    """STYLE 13: the rule a route declares is the rule applied (401/403 before anything)."""
    found = case(report, "authority x route")
    assert found.figures["total"] > 300  # every authority on every route, not a sample
    assert found.ok, found.failures


async def test_a_negative_decisions_reason_is_read_by_the_worker_only(report: Report) -> None:
    """Art. 24: the reasons are notified to the third-country national only; every
    consultation view, timeline, queue, schedule, search and error says only that a
    negative decision was taken, for every authority, purpose and designated role."""
    found = case(report, "a negative decision's reason")
    assert found.figures["total"] > 100
    assert found.ok, found.failures


async def test_bad_tokens_are_refused_by_every_service(report: Report) -> None:
    """Forged, unsigned (alg none), HS256 signed with the public key, expired,
    over-long-lived, wrong-audience, wrong-issuer and revoked tokens: 401, never echoed."""
    found = case(report, "bad tokens")
    assert found.figures["total"] >= 6 * 8 + 6  # each service replays a revoked token too
    assert found.ok, found.failures


async def test_every_route_declares_who_may_call_it(report: Report) -> None:
    assert case(report, "every route declares").ok


async def test_an_authority_not_competent_for_the_dossier_is_refused(report: Report) -> None:
    """Art. 9: only the competent region decides; Art. 27 §1 3°: only who decided the
    step records an appeal against it; Art. 29: only the data subject files a request."""
    found = case(report, "admitted but not competent")
    assert found.figures["total"] >= 15
    assert found.ok, found.failures


async def test_refused_attempts_on_a_dossier_are_in_its_access_log(report: Report) -> None:
    """Art. 29 and GDPR Art. 15 §1 c: the data subject learns who tried to read or act on
    their dossier, refused attempts included."""
    assert case(report, "refused attempts on a dossier").ok


async def test_bad_input_gives_a_4xx_problem_never_a_500_nor_an_echo(fed: Report) -> None:
    """RFC 9457 problems, never the input back (GDPR Art. 5 §1 f), nothing half-stored."""
    found = case(fed, "bad input of issue 12")
    assert found.figures["total"] == 10
    assert found.ok, found.failures


async def test_poison_messages_are_dead_lettered_and_every_consumer_goes_on(fed: Report) -> None:
    """STYLE 5: a poison message goes to the group's dead-letter topic with its error;
    the valid events published after it are processed."""
    found = case(fed, "poison messages")
    assert found.figures["total"] >= 4 * 10  # four kinds on every topic of every group
    assert found.ok, found.failures


async def test_generated_requests_get_no_5xx_and_only_documented_answers(fed: Report) -> None:
    found = case(fed, "schemathesis")
    assert found.figures["total"] > 30
    assert found.ok, found.failures
