"""The fast part of ``make reliability`` (issue 12): a short version of each fault, a
short soak and the leak scan, on the production backend (PostgreSQL and a Kafka-protocol
broker behind a proxy), the six services as separate processes. What is filed and
acknowledged is reconciled against every event store, topic and projection: a filing is
the applicant's right to a decision within the time limits (Art. 20 of the agreement), so
nothing acknowledged may be lost, and none may count twice."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from stdnum.be import nn

from guichet_core.testing.proxy import client_id_of
from reliability import leaks, soak
from reliability.faults import FAULTS, Timing, old_version_in_flight, under_load
from reliability.leaks import Scanner
from reliability.load import Driver, niss_for
from reliability.reconcile import reconcile, settle
from reliability.report import Report
from reliability.soak import slope_per_minute
from reliability.stack import Platform, open_platform

from .support import eventually

pytestmark = [pytest.mark.postgres, pytest.mark.kafka]
ON_THE_PLATFORM = pytest.mark.asyncio(loop_scope="module")
TIMING = Timing(rate=2, load=3, at=1, hold=3, settle=40, patience=60)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Platform]:
    async with open_platform(tmp_path_factory.mktemp("reliability")) as running:
        yield running


@pytest.fixture(scope="module")
def report() -> Report:
    return Report()


@ON_THE_PLATFORM
@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_fault_under_load_loses_nothing_and_counts_nothing_twice(
    platform: Platform, report: Report, fault: str
) -> None:
    case = await under_load(
        platform, report, fault, lambda: FAULTS[fault](platform, TIMING), TIMING
    )
    assert case.figures["acked"] > 0
    assert (case.figures["lost"], case.figures["duplicated"]) == (0, 0), case.failures


@ON_THE_PLATFORM
async def test_a_superseded_event_version_in_flight_across_a_restart_is_upcast_and_processed(
    platform: Platform, report: Report
) -> None:
    timing = Timing(rate=2, load=3, at=0, hold=0, settle=15)
    groups = {"regional-decision.intake": "regional-decision"}
    case = await old_version_in_flight(platform, report, timing, groups)
    assert case.figures["lost"] == 0, case.failures


@ON_THE_PLATFORM
async def test_a_short_soak_through_every_path_reconciles_and_samples_every_process(
    platform: Platform, report: Report
) -> None:
    await soak.run(platform, report, minutes=1 / 3, rate=2)
    case = report.cases[-1]
    assert case.figures["acked"] >= 30
    assert (case.figures["lost"], case.figures["duplicated"]) == (0, 0), case.failures
    assert set(case.figures["slopes_per_minute"]) == set(platform.urls)


@ON_THE_PLATFORM
async def test_reconciliation_sees_a_lost_delivery_and_a_duplicated_message(
    platform: Platform, report: Report
) -> None:
    """The harness's own check: a processed-message record removed behind the platform's
    back is a loss, a second copy of an e-box message is a duplicate."""
    driver = Driver(platform, Report(), patience=60)
    await driver.journey("inadmissible")
    await driver.close()
    clean = await settle(platform, driver.journeys, 40)
    assert (clean.lost, clean.duplicated) == (0, 0), clean.details
    application = driver.journeys[0].application_id
    connection = await platform.connect()
    try:
        schema = platform.schema("consultation")
        await connection.execute(
            f'delete from "{schema}".processed_messages where event_id in (select '
            f'event_id::text from "{platform.schema("intake")}".events where stream_id = $1)',
            application,
        )
        ebox = f'"{platform.namespace}ebox".ebox_messages'
        count = f"select count(*) from {ebox} where dossier_id = $1"
        # the refusal's notification reaches the e-box on its own time
        await eventually(
            lambda: connection.fetchval(count, application), "the notification is in the e-box"
        )
        await connection.execute(
            f"insert into {ebox} select md5(message_id), recipient, dossier_id, subject, body, "
            f"language, delivered_at, read_at from {ebox} where dossier_id = $1 limit 1",
            application,
        )
    finally:
        await connection.close()
    broken = await reconcile(platform, driver.journeys)
    assert broken.lost >= 1 and broken.duplicated == 1, broken.details


@ON_THE_PLATFORM
async def test_no_log_span_topic_or_error_body_holds_a_personal_value_or_a_reason(
    platform: Platform, report: Report
) -> None:
    """GDPR Art. 5 §1 f and 32; Art. 24 of the agreement (reasons reach only the worker)."""
    await leaks.run(platform, report)
    found = [f for c in report.cases if c.kind == "leaks" for f in c.failures]
    assert report.secrets and found == []


def test_the_leak_scanner_finds_a_value_in_clear_and_in_base64_and_never_repeats_it() -> None:
    scanner = Scanner(["85073003328", "amina.diallo@example.org", "Motif 7f3a: refus"])
    encoded = base64.b64encode(b'{"to": "amina.diallo@example.org"}')
    assert scanner.find(b'{"niss": "85073003328"}') == ["NISS"]
    assert scanner.find(b"body=" + encoded) == ["e-mail (base64)"]
    assert scanner.find(b"reasons: Motif 7f3a: refus") == ["reason, address or free text"]
    assert scanner.find(b"8507300332 amina.diallo@example.com Motif 7f3a") == []


def test_the_harness_files_valid_national_numbers_and_fits_slopes_per_minute() -> None:
    from datetime import date

    assert nn.is_valid(niss_for(date(1985, 7, 30)))
    assert slope_per_minute([(0, 100.0), (60, 110.0), (120, 120.0)]) == pytest.approx(10)
    request = b"\x00\x03\x00\x0c\x00\x00\x00\x07\x00\x0eguichet-intake"
    assert client_id_of(request) == "guichet-intake"
