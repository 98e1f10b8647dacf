"""``cdmx users …``: the same verbs as the Usuarios page, for an operator at a terminal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)


def user(db: Database, email: str) -> User:
    with db.read() as session:
        return session.scalars(select(User).where(User.email == email)).one()


def test_create_list_update_deactivate_and_set_password(
    environment: None, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    email = "marta@example.mx"
    assert main(["users", "create", "--email", email, "--name", "Marta", "--password",
                 "una clave larga", "--capacity", "4"]) == 0  # fmt: skip
    assert main(["users", "list"]) == 0
    listed = capsys.readouterr().out
    assert email in listed and "capacity 4" in listed and "General" in listed
    assert main(["users", "update", email, "--role", "supervisor", "--capacity", "default"]) == 0
    changed = user(db, email)
    assert (changed.role, changed.capacity) == ("supervisor", None)
    before = changed.password_hash
    assert main(["users", "set-password", email, "--password", "otra clave larga"]) == 0
    assert user(db, email).password_hash != before
    assert main(["users", "deactivate", email]) == 0
    assert user(db, email).is_active is False


def test_refusals_are_one_line_and_exit_1(
    environment: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "deactivate", "nadie@example.mx"]) == 1
    assert "There is no user nadie@example.mx" in capsys.readouterr().err
    assert main(["users", "update", "nadie@example.mx", "--capacity", "muchas"]) == 1
    assert "--capacity" in capsys.readouterr().err


def test_a_user_created_with_a_link_gets_a_one_time_link_and_no_usable_password(
    environment: None, db: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    from cdmx.web.bearer import TokenSigner, still_bound

    email = "rosa@example.mx"
    assert main(["users", "create", "--email", email, "--name", "Rosa", "--link"]) == 0
    out = capsys.readouterr().out
    link = out.strip().splitlines()[-1]
    assert link.startswith(f"{settings.base_url.rstrip('/')}/welcome/"), out
    data = TokenSigner(settings.secret_key).check_link(link.rsplit("/", 1)[1])
    assert data is not None and still_bound(user(db, email), data)
    # Another link for the same user, and a clear refusal for nobody.
    assert main(["users", "sign-in-link", email]) == 0
    assert "/welcome/" in capsys.readouterr().out
    assert main(["users", "sign-in-link", "nadie@example.mx"]) == 1
    assert "There is no active user nadie@example.mx" in capsys.readouterr().err
    # Setting a password ends the links issued before.
    assert main(["users", "set-password", email, "--password", "una clave larga"]) == 0
    assert not still_bound(user(db, email), data)
