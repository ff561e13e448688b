"""The operator's files in deploy/ read as systemd reads them, and the one setting that puts the web app behind a
reverse proxy (ADVISOR_TRUSTED_PROXIES)."""
from __future__ import annotations

import re

import httpx
import pytest
from pydantic import ValidationError

from advisor.settings import Settings
from bot.web import create_app

from .deployment import DEPLOY, ENV_EXAMPLE, read_env_file, unit_service, write_env_file


def test_each_replica_gets_its_own_port_and_store_whatever_the_env_file_says(tmp_path):
    env_file = write_env_file(tmp_path / ".env", {"ADVISOR_STORE_DIR": "var/store", "ADVISOR_WEB_PORT": "8000",
                                                  "ADVISOR_CHROMA_URL": "http://10.0.0.5:8000"})
    services = [unit_service(DEPLOY / "advisor@.service", port, {"/opt/collaboration-advisor/.env": str(env_file)})
                for port in ("8001", "8002")]
    assert [s.environment["ADVISOR_WEB_PORT"] for s in services] == ["8001", "8002"]
    assert [s.environment["ADVISOR_STORE_DIR"] for s in services] == [f"/var/lib/collaboration-advisor/{p}" for p in ("8001", "8002")]
    assert all(s.environment["ADVISOR_CHROMA_URL"] == "http://10.0.0.5:8000" for s in services)
    assert services[0].command == ["/opt/collaboration-advisor/.venv/bin/advisor", "serve"]


def test_every_setting_in_the_example_env_file_is_read_whole_by_the_advisor(tmp_path, monkeypatch):
    """Uncommented, each example line is a setting the advisor has, and its value is all value: systemd would keep a
    '# comment' after it in the value."""
    lines = ENV_EXAMPLE.read_text().splitlines()
    uncommented = [re.sub(r"^#\s*(?=[A-Z_]+=)", "", line) for line in lines]
    assert len([line for line in uncommented if line.startswith("ADVISOR_")]) >= 15
    (tmp_path / ".env").write_text("\n".join(uncommented) + "\n")
    values = read_env_file(tmp_path / ".env")
    assert not [f"{k}={v}" for k, v in values.items() if "#" in v]
    for key, value in values.items():
        if key.startswith("ADVISOR_"):
            assert key.removeprefix("ADVISOR_").lower() in Settings.model_fields, f"{key} is not a setting"
            monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.trusted_proxy_list == ["10.0.0.2"] and settings.web_host == "10.0.0.11"


def test_systemd_keeps_a_comment_after_a_value_in_the_value(tmp_path):
    (tmp_path / "env").write_text("# a comment\nA=1   # not a comment\n  B = 'two words' \n;C=3\n")
    assert read_env_file(tmp_path / "env") == {"A": "1   # not a comment", "B": "two words"}


# Behind a reverse proxy -----------------------------------------------------------------------------
async def _statuses(app, peer: str, forwarded_for: list[str]) -> list[int]:
    """One GET /api/sources per entry, each from `peer` saying it forwards for that address."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [(await client.get("/api/sources", headers={"X-Forwarded-For": f})).status_code for f in forwarded_for]


@pytest.fixture
def runtime(make_services):
    return lambda **overrides: make_services(web_rate_limit_per_minute=2, **overrides)


async def test_behind_a_trusted_proxy_each_client_has_its_own_rate_limit(runtime):
    app = create_app(runtime(trusted_proxies="10.0.0.2, 10.1.2.3/16"))
    assert await _statuses(app, "10.0.0.2", ["198.51.100.7"] * 3) == [200, 200, 429]
    assert await _statuses(app, "10.1.4.4", ["198.51.100.8"] * 2) == [200, 200]  # another client, another proxy
    # A client that reaches the replica directly is counted by its own address, whatever it claims.
    assert await _statuses(app, "203.0.113.9", ["198.51.100.9", "198.51.100.10", "198.51.100.11"]) == [200, 200, 429]


async def test_without_trusted_proxies_the_forwarded_address_is_ignored(runtime):
    app = create_app(runtime())
    assert await _statuses(app, "10.0.0.2", ["198.51.100.7", "198.51.100.8", "198.51.100.9"]) == [200, 200, 429]


@pytest.mark.parametrize("value", ["*", "proxy.example.edu", "10.0.0.2;10.0.0.3", "10.0.0.300"])
def test_a_trusted_proxy_that_is_not_an_address_is_named(value):
    with pytest.raises(ValidationError, match=re.escape(repr(value.split(",")[0].strip()))):
        Settings(_env_file=None, trusted_proxies=value)
