"""Which platform is served by what, and the warnings about pinned API versions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pydantic import SecretStr

from growth_manager.config import Settings
from growth_manager.sandbox_wiring import platforms_needing_sandbox, sandbox_environment
from growth_manager.tokens.platforms import platform_setup, version_warnings


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_without_credentials_or_sandbox_a_platform_says_how_to_set_it_up(tmp_path: Path) -> None:
    setup = platform_setup(_settings(tmp_path), "x")
    assert setup.config is None
    assert setup.reason is not None
    assert "GROWTH_X_CLIENT_ID" in setup.reason


def test_the_sandbox_serves_platforms_without_credentials(tmp_path: Path) -> None:
    settings = _settings(tmp_path, sandbox_url="http://127.0.0.1:8100")
    setup = platform_setup(settings, "linkedin")
    assert setup.config is not None
    assert setup.config.is_sandbox
    assert setup.config.api_base == "http://127.0.0.1:8100/api.linkedin.com"
    assert setup.config.auth_base == "http://127.0.0.1:8100/www.linkedin.com"
    assert setup.config.redirect_uri.endswith("/api/v1/oauth/linkedin/callback")


def test_real_credentials_use_the_real_hosts_even_with_a_sandbox(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        sandbox_url="http://127.0.0.1:8100",
        meta_app_id="123",
        meta_app_secret=SecretStr("s"),
    )
    for platform in ("facebook", "instagram"):
        setup = platform_setup(settings, platform)  # type: ignore[arg-type]
        assert setup.config is not None
        assert not setup.config.is_sandbox
        assert setup.config.api_base == "https://graph.facebook.com"
        # Instagram shares the Facebook Login, so it shares its callback.
        assert setup.config.redirect_uri.endswith("/api/v1/oauth/facebook/callback")
    assert platforms_needing_sandbox(settings) == ["x", "linkedin"]


def test_no_sandbox_when_every_platform_has_an_app(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        x_client_id="a",
        x_client_secret=SecretStr("b"),
        linkedin_client_id="c",
        linkedin_client_secret=SecretStr("d"),
        meta_app_id="e",
        meta_app_secret=SecretStr("f"),
    )
    assert sandbox_environment(settings) == {}
    assert sandbox_environment(_settings(tmp_path)) == {
        "GROWTH_SANDBOX_URL": "http://127.0.0.1:8100"
    }


def test_version_warnings_near_sunset(tmp_path: Path) -> None:
    fresh = _settings(tmp_path, linkedin_version="202610", graph_api_version="v23.0")
    assert version_warnings(fresh, date(2026, 11, 23)) == []
    old = _settings(tmp_path, linkedin_version="202511", graph_api_version="v21.0")
    warnings = version_warnings(old, date(2026, 11, 23))
    assert any("v21.0" in w and "2027-01-21" in w for w in warnings)
    assert any("LinkedIn-Version 202511" in w for w in warnings)
