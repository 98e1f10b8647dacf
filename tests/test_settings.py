"""Settings: a wrong value stops the start with one line naming the variable."""

from __future__ import annotations

import pytest

from cdmx.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_SECRET_KEY", "a-long-enough-secret-key")
    monkeypatch.delenv("WHATSAPP_PHONE_NUMBER_ID", raising=False)


def test_inbox_threads_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CDMX_INBOX_THREADS", raising=False)
    assert load_settings().inbox_threads == 3
    monkeypatch.setenv("CDMX_INBOX_THREADS", "8")
    assert load_settings().inbox_threads == 8


@pytest.mark.parametrize("value", ["0", "33", "many"])
def test_a_wrong_inbox_threads_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CDMX_INBOX_THREADS", value)
    with pytest.raises(SettingsError, match=r"^CDMX_INBOX_THREADS: "):
        load_settings()


def test_a_wrong_time_zone_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_TIMEZONE", "Mars/Base")
    with pytest.raises(SettingsError, match=r"^CDMX_TIMEZONE: 'Mars/Base' is not an IANA"):
        load_settings()
