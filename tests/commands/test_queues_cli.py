"""``cdmx queues …``: the same verbs as the Colas page, for an operator at a terminal."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import QUEUE_MEMBERS, Channel, Queue, User
from cdmx.settings import Settings
from tests.conftest import PHONE_NUMBER_ID

WEEK = {
    "weekly": {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": [["10:00", "14:00"]]},
    "holidays": "MX",
    "closed_dates": ["2026-12-24"],
}


@pytest.fixture
def environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)


def queue(db: Database, name: str) -> Queue:
    with db.read() as session:
        return session.scalars(select(Queue).where(Queue.name == name)).one()


def queue_names(db: Database) -> list[str]:
    with db.read() as session:
        return list(session.scalars(select(Queue.name).order_by(Queue.id)))


def members(db: Database, queue_id: int) -> set[int]:
    with db.read() as session:
        return set(
            session.scalars(
                select(QUEUE_MEMBERS.c.user_id).where(QUEUE_MEMBERS.c.queue_id == queue_id)
            )
        )


def number_id(db: Database) -> int:
    with db.read() as session:
        return session.scalars(
            select(Channel.id).where(Channel.phone_number_id == PHONE_NUMBER_ID)
        ).one()


def number_queue(db: Database) -> int | None:
    with db.read() as session:
        return session.scalars(
            select(Channel.queue_id).where(Channel.phone_number_id == PHONE_NUMBER_ID)
        ).one()


def hours_file(tmp_path: Path, content: object) -> str:
    path = tmp_path / "hours.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def listed(capsys: pytest.CaptureFixture[str], name: str) -> list[str]:
    """The lines ``cdmx queues list`` prints for the queue ``name``."""
    assert main(["queues", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    [start] = [i for i, line in enumerate(lines) if line.split()[1:2] == [name]]
    return lines[start : start + 6]


def test_create_list_and_update_a_queue(
    environment: None,
    db: Database,
    make_user: Callable[..., User],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ana, beto = make_user(), make_user()
    number = number_id(db)
    assert main(["queues", "create", "--name", "Soporte", "--numbers", str(number),
                 "--members", f"{ana.email.upper()}, {beto.email}"]) == 0  # fmt: skip
    created = queue(db, "Soporte")
    assert capsys.readouterr().out == f"created queue Soporte (id {created.id})\n"
    assert number_queue(db) == created.id
    assert members(db, created.id) == {ana.id, beto.id}

    head, numbers, people, timers, greeting, closed = listed(capsys, "Soporte")
    assert head.split() == [str(created.id), "Soporte", "open", "now:", "always", "open"]
    assert numbers.split() == ["numbers", "525550000000", "(id", f"{number})"]
    assert people.split() == ["members", f"{ana.email},", beto.email]
    assert timers.split() == ["timers", "re-route", "off,", "auto-close", "off"]
    assert (greeting.split(), closed.split()) == (["greeting", "-"], ["closed", "-"])
    general = listed(capsys, "General")
    assert general[0].split()[1:3] == ["General", "(default)"]
    assert general[1].split() == ["numbers", "-"]  # the number left it for Soporte

    assert main(["queues", "update", "soporte", "--name", "Soporte técnico",
                 "--hours-file", hours_file(tmp_path, WEEK), "--greeting", "¡Hola!",
                 "--closed-message", "Abrimos a las 9.", "--reroute-after-minutes", "10",
                 "--auto-close-after-hours", "24", "--members", ana.email]) == 0  # fmt: skip
    assert capsys.readouterr().out == f"updated queue Soporte técnico (id {created.id})\n"
    changed = queue(db, "Soporte técnico")
    assert changed.hours == {
        "weekly": {**WEEK["weekly"], "sun": []}, "holidays": "MX", "closed_dates": ["2026-12-24"],
    }  # fmt: skip
    assert (changed.greeting_message, changed.closed_message) == ("¡Hola!", "Abrimos a las 9.")
    assert (changed.reroute_after_minutes, changed.auto_close_after_hours) == (10, 24)
    assert members(db, created.id) == {ana.id}
    assert number_queue(db) == created.id  # not given, so untouched

    head, _, _, timers, greeting, closed = listed(capsys, "Soporte")
    assert head.endswith(": mon-fri 09:00-18:00; sat 10:00-14:00; holidays MX; closed 2026-12-24")
    assert timers.split() == ["timers", "re-route", "after", "10", "min,", "auto-close",
                              "after", "24", "h"]  # fmt: skip
    assert (greeting.split(), closed.split()) == (["greeting", "¡Hola!"],
                                                  ["closed", "Abrimos", "a", "las", "9."])  # fmt: skip

    empty = {"weekly": {}, "holidays": None, "closed_dates": []}
    assert main(["queues", "update", str(created.id), "--hours-file", hours_file(tmp_path, empty),
                 "--greeting", "", "--reroute-after-minutes", "off"]) == 0  # fmt: skip
    capsys.readouterr()
    head, *_ = listed(capsys, "Soporte")
    assert head.endswith("closed now: no opening hours")
    assert main(["queues", "update", str(created.id), "--always-open", "--numbers", ""]) == 0
    changed = queue(db, "Soporte técnico")
    assert (changed.hours, changed.greeting_message, changed.reroute_after_minutes) == (
        None, None, None,
    )  # fmt: skip
    assert number_queue(db) == queue(db, "General").id  # back to the default queue


def test_bad_input_is_one_line_exit_1_and_changes_nothing(
    environment: None,
    db: Database,
    make_user: Callable[..., User],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ana = make_user()
    assert main(["queues", "create", "--name", "Ventas", "--members",
                 f"{ana.email},nadie@example.mx"]) == 1  # fmt: skip
    assert capsys.readouterr().err == "cdmx: No active user nadie@example.mx.\n"
    assert queue_names(db) == ["General"]

    assert main(["queues", "create", "--name", "Ventas", "--members", ana.email]) == 0
    ventas = queue(db, "Ventas")
    capsys.readouterr()
    bad_hours = {"weekly": {"mon": [["22:00", "25:00"]]}}
    assert main(["queues", "update", "Ventas", "--greeting", "Hola",
                 "--hours-file", hours_file(tmp_path, bad_hours)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith("cdmx: hours.weekly.mon[0]: '25:00' is not a time of day")
    assert err.count("\n") == 1
    assert main(["queues", "update", "Ventas", "--hours-file", hours_file(tmp_path, "{oops")]) == 1
    assert "hours.json is not JSON" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--hours-file", str(tmp_path / "none.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--members", "nadie@example.mx"]) == 1
    assert "No active user nadie@example.mx" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--numbers", "999"]) == 1
    assert capsys.readouterr().err == "cdmx: No number 999.\n"
    assert main(["queues", "update", "Ventas", "--numbers", "uno"]) == 1
    assert "--numbers" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--reroute-after-minutes", "pronto"]) == 1
    assert "--reroute-after-minutes is a whole number or 'off'" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--auto-close-after-hours", "99999"]) == 1
    assert "auto_close_after_hours: null (off) or 1 to 2160" in capsys.readouterr().err
    assert main(["queues", "update", "Ventas", "--name", "general"]) == 1
    assert "A queue named general already exists" in capsys.readouterr().err
    assert main(["queues", "update", "Compras", "--name", "x"]) == 1
    assert capsys.readouterr().err == "cdmx: There is no queue Compras.\n"

    unchanged = queue(db, "Ventas")
    assert (unchanged.hours, unchanged.greeting_message, unchanged.auto_close_after_hours) == (
        None, None, None,
    )  # fmt: skip
    assert members(db, ventas.id) == {ana.id}
    assert queue_names(db) == ["General", "Ventas"]
