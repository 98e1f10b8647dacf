"""``cdmx backup`` then ``cdmx restore``: every row and every file comes back, and only
into an empty database and media store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cdmx.backup.database import database_exists
from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.migrate import upgrade
from cdmx.db.tables import Message
from cdmx.settings import Settings
from tests.backup.conftest import Populated, table_counts
from tests.conftest import BACKEND_URL


def restore(monkeypatch: pytest.MonkeyPatch, url: str, media: Path, backup: Path) -> int:
    monkeypatch.setenv("CDMX_DATABASE_URL", url)
    monkeypatch.setenv("CDMX_MEDIA_ROOT", str(media))
    return main(["restore", "--from", str(backup)])


def target_exists(url: str) -> bool:
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///")).exists()
    return database_exists(url)


async def test_a_backup_restores_every_row_and_file_into_a_database_not_yet_created(
    cli_env: None, populated: Populated, settings: Settings, restore_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    source_counts = table_counts(settings.database_url)
    assert source_counts["messages"] == len(populated.texts)
    assert not target_exists(restore_url)

    assert restore(monkeypatch, restore_url, tmp_path / "restored-media", backup) == 0
    assert table_counts(restore_url) == source_counts
    restored = Database(restore_url)
    try:
        with restored.read() as session:
            texts = sorted(session.scalars(select(Message.text)))
    finally:
        restored.dispose()
    assert texts == sorted(populated.texts)
    for key, data in populated.files.items():
        assert (tmp_path / "restored-media" / key).read_bytes() == data
    upgrade(restore_url)  # what `cdmx serve` does first: the restored schema takes it
    out = capsys.readouterr()
    assert "restored the backup" in out.out
    assert "media [" in out.err and "100%" in out.err  # the progress bar


async def test_restore_refuses_a_database_that_has_tables_and_writes_nothing(
    cli_env: None, populated: Populated, settings: Settings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    before = table_counts(settings.database_url)
    capsys.readouterr()

    media = tmp_path / "empty-media"
    assert restore(monkeypatch, settings.database_url, media, backup) == 3
    err = capsys.readouterr().err
    assert "is not empty" in err and "CDMX_DATABASE_URL" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert table_counts(settings.database_url) == before
    assert not media.exists()


async def test_restore_refuses_a_media_store_that_holds_a_file(
    cli_env: None, populated: Populated, restore_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    media = tmp_path / "used-media"
    (media / "2026" / "01").mkdir(parents=True)
    (media / "2026" / "01" / "left-over.jpg").write_bytes(b"x")
    capsys.readouterr()

    assert restore(monkeypatch, restore_url, media, backup) == 3
    assert "media store" in capsys.readouterr().err
    assert not target_exists(restore_url)


async def test_restore_refuses_a_damaged_database_copy_before_writing(
    cli_env: None, populated: Populated, restore_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    copy = next((backup / "database").iterdir())
    copy.write_bytes(copy.read_bytes()[:-10] + b"0123456789")
    capsys.readouterr()

    assert restore(monkeypatch, restore_url, tmp_path / "new-media", backup) == 1
    assert "does not match its checksum" in capsys.readouterr().err
    assert not target_exists(restore_url)
    assert not (tmp_path / "new-media").exists()


async def test_a_backup_is_written_only_into_an_empty_place_and_needs_its_manifest(
    cli_env: None, populated: Populated, restore_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    assert main(["backup", "--to", str(backup)]) == 3
    assert "is not empty" in capsys.readouterr().err
    (backup / "manifest.json").unlink()  # as a backup that did not finish
    assert restore(monkeypatch, restore_url, tmp_path / "new-media", backup) == 1
    assert "no manifest.json" in capsys.readouterr().err


@pytest.mark.skipif(BACKEND_URL == "sqlite", reason="the other backend is PostgreSQL's")
async def test_restore_refuses_a_backup_of_the_other_backend(
    cli_env: None, populated: Populated, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    capsys.readouterr()
    url = f"sqlite:///{tmp_path / 'other.db'}"
    assert restore(monkeypatch, url, tmp_path / "new-media", backup) == 1
    assert "the backup is of a postgresql database" in capsys.readouterr().err


async def test_a_folder_that_cannot_be_written_is_one_line_not_a_traceback(
    cli_env: None, populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["backup", "--to", str(blocker / "backup")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == f"cdmx: Not a directory: {blocker / 'backup' / 'database'}"
