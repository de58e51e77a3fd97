"""Every store migrates from directories that exist: one that moved (a reorganised
package) would migrate nothing and leave the store without its tables, answering 503 to
every call much later; the service refuses to start instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from guichet_core.kernel.store.database import alembic_config
from guichet_core.stores.shared_stores import MIGRATIONS


def test_a_missing_migrations_directory_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="migrations not found"):
        alembic_config(version_locations=[tmp_path / "moved"], schema=None)


@pytest.mark.parametrize("store", sorted(MIGRATIONS))
def test_each_shared_store_has_its_migrations(store: str) -> None:
    location = MIGRATIONS[store]  # type: ignore[index]
    assert location.is_dir() and any(location.glob("*.py")), store
