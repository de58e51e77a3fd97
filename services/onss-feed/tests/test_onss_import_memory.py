"""A streamed import keeps memory flat: five times the records, about the same peak."""

from __future__ import annotations

import tracemalloc
from datetime import date
from pathlib import Path

import httpx

from guichet_contracts.vocabulary import Authority
from guichet_core.http.auth import DevTokenIssuer
from guichet_core.service import create_app
from guichet_onss_feed.bench import _link, stream
from guichet_onss_feed.bootstrap import SPEC
from guichet_onss_feed.generator import Plan, write
from guichet_onss_feed.settings import OnssFeedSettings


async def test_the_peak_memory_of_an_import_does_not_grow_with_the_file(tmp_path: Path) -> None:
    settings = OnssFeedSettings(backend="embedded", data_dir=tmp_path / "var")
    app = create_app(SPEC, settings)
    token = DevTokenIssuer.from_settings(settings).issue(
        subject="onss", authority=Authority.ONSS, agent_id="test"
    )
    headers = {"content-type": "text/csv", "authorization": f"Bearer {token}"}
    peaks: dict[int, int] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://feed") as client:
            for workers in (600, 3000):  # about 2,000 and 10,000 DmfA lines
                plan = Plan(
                    employers=50,
                    workers=workers,
                    quarters=4,
                    seed=workers,
                    invalid_share=0.01,
                    today=date.today(),
                )
                files = write(plan, tmp_path / str(workers))
                await _link(app, plan, 0.05)
                dmfa = next(path for path in files if path.stem == "dmfa")
                tracemalloc.start()
                response = await client.post(
                    "/imports/dmfa", content=stream(dmfa, []), headers=headers, timeout=None
                )
                peaks[files[dmfa]] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                answer = response.json()
                assert answer["records"] == files[dmfa] and answer["events"] > 0
    (small, small_peak), (large, large_peak) = sorted(peaks.items())
    assert large >= 4 * small
    assert large_peak < small_peak * 1.5 + 2**20, peaks  # flat, not proportional
