"""``cdmx serve`` refuses to run a demo by accident: not with CDMX_DEMO set, not with the
demo's accounts (whose passwords are in the source) active, unless told ``--demo``; and no
mode signs with an empty or well-known secret key."""

from __future__ import annotations

from typing import Any

import pytest

import cdmx.commands.serve as serve
from cdmx.actions.users import do_create_user
from cdmx.cli import main
from cdmx.commands.demo import DEMO_USERS
from cdmx.db.engine import Database
from cdmx.settings import Settings, SettingsError, load_settings


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[Any]:
    """What would have been served (the server itself is not run)."""
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("CDMX_MEDIA_ROOT", str(settings.media_root))
    served: list[Any] = []

    class Server:
        def __init__(self, config: Any) -> None:
            served.append(config.app)

        def run(self) -> None:
            pass

    monkeypatch.setattr(serve, "console_server", Server)
    monkeypatch.setattr(serve, "freeze_startup_objects", lambda: None)
    return served


def add_demo_admin(db: Database) -> None:
    email, name, role, password = DEMO_USERS[0]
    with db.write() as session:
        do_create_user(session, email=email, name=name, role=role, password=password)


def test_serve_starts_on_a_real_installation(started: list[Any]) -> None:
    assert main(["serve"]) == 0 and len(started) == 1


def test_serve_refuses_cdmx_demo_unless_told_demo(
    started: list[Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CDMX_DEMO", "true")
    assert main(["serve"]) == 2 and started == []
    assert "CDMX_DEMO: set, but this is `cdmx serve`" in capsys.readouterr().err
    assert main(["serve", "--demo"]) == 0 and len(started) == 1


def test_serve_refuses_active_demo_accounts_unless_told_demo(
    started: list[Any], db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    add_demo_admin(db)
    assert main(["serve"]) == 2 and started == []
    err = capsys.readouterr().err
    assert "demo accounts are active (admin@demo.cdmx)" in err and "\n" == err[-1]
    assert err.count("\n") == 1  # one line, no traceback
    assert main(["serve", "--demo"]) == 0 and len(started) == 1
    # Deactivated, they are no danger: serve starts.
    assert main(["users", "deactivate", DEMO_USERS[0][0]]) == 0
    assert main(["serve"]) == 0 and len(started) == 2


def test_no_mode_runs_with_an_empty_or_short_secret_key(settings: Settings) -> None:
    for demo in ("true", "false"):
        with pytest.raises(SettingsError, match="CDMX_SECRET_KEY: required"):
            load_settings(
                CDMX_DATABASE_URL=settings.database_url, CDMX_SECRET_KEY="", CDMX_DEMO=demo
            )
        with pytest.raises(SettingsError, match="CDMX_SECRET_KEY: too short"):
            load_settings(
                CDMX_DATABASE_URL=settings.database_url, CDMX_SECRET_KEY="demo", CDMX_DEMO=demo
            )
