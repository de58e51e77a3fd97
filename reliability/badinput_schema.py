"""Schemathesis over every service's OpenAPI: requests generated from each operation's
schema, half of them about a real filed dossier (its id in the path, a token of the
authority competent for it), the rest with random ids; every answer must be below 500
and declared in the operation's OpenAPI responses (what integrators read is true).

The OpenAPI documents carry no links yet, so the state comes from the seeded dossier:
each generated case is sent once with the dossier's id and once as generated.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.core.result import Ok

from guichet_contracts.vocabulary import Authority
from reliability.report import Report
from reliability.target import Filed, Route, Target, routes

DOSSIER_PARAMETERS = ("application_id", "dossier_id")


def _cases(schema: dict[str, Any], examples: int) -> list[Any]:
    """``examples`` generated cases per operation (hypothesis, no example database)."""
    loaded = schemathesis.openapi.from_dict(schema)
    found: list[Any] = []
    for result in loaded.get_all_operations():
        if not isinstance(result, Ok):
            raise RuntimeError(f"schemathesis cannot read an operation: {result.err()}")
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            deadline=None,
        )
        def collect(case: Any) -> None:
            found.append(case)

        collect()
    return found


def _caller(route: Route | None, filed: Filed) -> Authority:
    if route is None or route.admits is None:
        return filed.region
    return filed.region if filed.region in route.admits else sorted(route.admits)[0]


def _request(case: Any, client: httpx.AsyncClient, token: dict[str, str]) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url).rstrip("/"))
    headers = {
        k: v
        for k, v in (kwargs.get("headers") or {}).items()
        if k.lower() not in {"connection", "accept-encoding", "authorization"}
    }
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": {**headers, **token},
        "params": kwargs.get("params"),
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        data = kwargs["data"]
        request["content"] = data if isinstance(data, bytes | str) else str(data)
    return request


async def fuzz(target: Target, report: Report, filed: Filed, *, examples: int) -> None:
    declared = {(r.service, r.method, r.path): r for r in routes()}
    sent, good, failures = 0, 0, []
    undocumented: dict[str, set[int]] = collections.defaultdict(set)
    for service, client in target.clients.items():
        schema = (await client.get("/openapi.json")).json()
        cases = await asyncio.to_thread(_cases, schema, examples)
        for case in cases:
            route = declared.get((service, case.method.upper(), case.path))
            token = target.tokens.header(_caller(route, filed), "fuzz")
            documented = set(case.operation.definition.raw.get("responses", {}))
            seeded = [p for p in DOSSIER_PARAMETERS if p in (case.path_parameters or {})]
            variants = [False, True] if seeded else [False]
            for real in variants:
                if real:
                    case.path_parameters = {**case.path_parameters, seeded[0]: filed.dossier}
                try:
                    answer = await client.request(**_request(case, client, token))
                except (httpx.HTTPError, ValueError) as error:
                    failures.append(f"{case.method} {service} {case.path}: {type(error).__name__}")
                    continue
                sent += 1
                name = f"{case.method} {service} {case.path}"
                if answer.status_code >= 400:
                    report.error_body(f"{name} (schemathesis)", answer.content)
                if answer.status_code >= 500:
                    failures.append(f"{name}: {answer.status_code}")
                elif str(answer.status_code) not in documented and "default" not in documented:
                    undocumented[name].add(answer.status_code)
                else:
                    good += 1
    failures += [
        f"{name}: {sorted(codes)} not in its OpenAPI responses"
        for name, codes in sorted(undocumented.items())
    ]
    report.attack(
        "schemathesis over every OpenAPI (no 5xx, every answer documented)",
        refused=good,
        total=sent,
        failures=failures,
    )
