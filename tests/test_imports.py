"""Every module imports on its own, in a fresh interpreter: an import cycle that only
bites in one import order (as a service's entrypoint meets it) fails here, not in
production."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import guichet_consultation
import guichet_contracts
import guichet_core
import guichet_intake
import guichet_onss_feed
import guichet_regional_decision
import guichet_residence_decision
import guichet_retention

PACKAGES = [
    guichet_core,
    guichet_contracts,
    guichet_intake,
    guichet_regional_decision,
    guichet_residence_decision,
    guichet_onss_feed,
    guichet_consultation,
    guichet_retention,
]
MODULES = sorted(
    info.name
    for package in PACKAGES
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if ".migrations" not in info.name
    and "_migrations" not in info.name
    and not info.name.startswith("guichet_core.testing")
    # the shared packages module by module; each service through its entrypoint
    and (
        info.name.startswith(("guichet_core", "guichet_contracts"))
        or info.name.endswith(("__main__", ".cli"))
    )
)


def test_every_module_is_listed() -> None:
    assert "guichet_intake.__main__" in MODULES and "guichet_core.kernel.codec" in MODULES


def _import_alone(name: str) -> str | None:
    run = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300
    )
    return f"{name}: {run.stderr.strip().splitlines()[-1]}" if run.returncode else None


@pytest.mark.timeout(1800)  # each import is seconds; a loaded machine makes them many
def test_each_module_imports_first_in_a_fresh_interpreter() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:  # one interpreter per core
        failed = [failure for failure in pool.map(_import_alone, MODULES) if failure]
    assert not failed, "\n".join(failed)
