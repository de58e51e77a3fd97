"""The master key wraps every dossier's data key: production refuses a weak one at start.

Art. 27 erases a dossier by destroying its key, and GDPR Art. 32 asks that personal data
be encrypted with keys worth the name: a master key of zeros, one with little entropy,
or the development key that ``make run`` left in the data directory would make every
sealed value readable to whoever guesses or copies it. The embedded default keeps
accepting what a developer gives it.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from guichet_core.kernel.settings import AuthSettings, ServiceSettings
from guichet_core.service import create_app
from guichet_core.stores.vault import MasterKey, MasterKeyError, master_key_for, open_vault
from guichet_intake.bootstrap import SPEC as INTAKE
from guichet_intake.settings import IntakeSettings


def production(tmp_path: Path, master_key: str | None = None, **more: Any) -> ServiceSettings:
    """Production settings; the master key is given as GUICHET_MASTER_KEY would give it."""
    return ServiceSettings(
        backend="postgres-kafka",
        data_dir=tmp_path / "var",
        database_url="postgresql://nobody@127.0.0.1:9/never-contacted",
        kafka_bootstrap="127.0.0.1:9",
        master_key=master_key,
        **more,
    )


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


WEAK = {
    "all zeros": bytes(32),
    "all ones": b"\xff" * 32,
    "one byte repeated": b"A" * 32,
    "a short pattern repeated": b"0123" * 8,
    "a counter": bytes(range(32))[:8] * 4,
    "a typed passphrase": b"correct horse battery staple!!!!",
}


@pytest.mark.parametrize("key", WEAK.values(), ids=WEAK.keys())
def test_production_refuses_a_low_entropy_master_key(key: bytes, tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError) as refused:
        master_key_for(production(tmp_path, b64(key)))
    message = str(refused.value)
    assert "GUICHET_MASTER_KEY" in message
    assert "random" in message
    assert b64(key) not in message  # the secret is never echoed


def test_production_refuses_the_development_master_key(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    development = master_key_for(
        ServiceSettings(backend="embedded", data_dir=data_dir, master_key=None)
    )
    assert (data_dir / "master.key").exists()
    with pytest.raises(MasterKeyError, match=r"GUICHET_MASTER_KEY.*development"):
        master_key_for(production(tmp_path, development.to_base64()))


def test_production_refuses_a_master_key_that_is_not_32_bytes(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="GUICHET_MASTER_KEY"):
        master_key_for(production(tmp_path, b64(MasterKey.generate().key[:16])))


async def test_a_service_with_a_weak_master_key_refuses_to_start(tmp_path: Path) -> None:
    identity_provider = tmp_path / "idp-public.pem"
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    identity_provider.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    weak = production(
        tmp_path, b64(bytes(32)), auth=AuthSettings(public_key_file=identity_provider)
    )
    with pytest.raises(MasterKeyError, match="GUICHET_MASTER_KEY"):
        await open_vault(weak)  # before any database is touched
    with pytest.raises(MasterKeyError, match="GUICHET_MASTER_KEY"):
        create_app(INTAKE, IntakeSettings(**weak.model_dump()))


def test_production_accepts_a_random_master_key(tmp_path: Path) -> None:
    key = MasterKey.generate()
    assert master_key_for(production(tmp_path, key.to_base64())) == key


def test_the_master_key_still_comes_from_guichet_master_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = MasterKey.generate()
    monkeypatch.setenv("GUICHET_MASTER_KEY", key.to_base64())
    settings = IntakeSettings(backend="embedded", data_dir=tmp_path / "var")
    assert master_key_for(settings) == key
    assert key.to_base64() not in repr(settings)  # a SecretStr: never printed


def test_the_embedded_default_keeps_its_development_key(tmp_path: Path) -> None:
    settings = ServiceSettings(backend="embedded", data_dir=tmp_path / "var", master_key=None)
    assert master_key_for(settings) == master_key_for(settings)
