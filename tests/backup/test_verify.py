"""``cdmx backup verify``: a backup is restored into a scratch place and compared with its
manifest; any damaged, missing or miscounted part is named and the exit status is 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdmx.cli import main
from tests.backup.conftest import Populated, databases_named


def backed_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    backup = tmp_path / "backup"
    assert main(["backup", "--to", str(backup)]) == 0
    capsys.readouterr()
    return backup


async def test_a_good_backup_verifies_and_leaves_no_scratch_database(
    cli_env: None, populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(tmp_path, capsys)
    before = databases_named("%_verify_%")
    assert main(["backup", "verify", "--from", str(backup)]) == 0
    out = capsys.readouterr()
    assert "backup verified" in out.out and "2 files" in out.out
    assert "media [" in out.err  # the progress bar
    assert databases_named("%_verify_%") == before


async def test_verify_detects_a_corrupted_file_in_the_backup(
    cli_env: None, populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(tmp_path, capsys)
    key = sorted(populated.files)[0]
    damaged = backup / "media" / key
    data = bytearray(damaged.read_bytes())
    data[100] ^= 0x01  # one bit: the size stays, the checksum does not
    damaged.write_bytes(bytes(data))

    assert main(["backup", "verify", "--from", str(backup)]) == 1
    err = capsys.readouterr().err
    assert f"media/{key} does not match its checksum" in err
    assert sorted(populated.files)[1] not in err  # the good file is not blamed


async def test_verify_detects_a_damaged_database_copy(
    cli_env: None, populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(tmp_path, capsys)
    copy = next((backup / "database").iterdir())
    copy.write_bytes(copy.read_bytes() + b"\0")

    assert main(["backup", "verify", "--from", str(backup)]) == 1
    assert "the backup is damaged" in capsys.readouterr().err


async def test_verify_detects_rows_and_files_the_manifest_does_not_match(
    cli_env: None, populated: Populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = backed_up(tmp_path, capsys)
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["database"]["tables"]["messages"] += 1  # as if a row had been lost
    gone = manifest["media"]["files"].pop(0)["key"]  # a file the database names
    (backup / "media" / gone).unlink()
    manifest_path.write_text(json.dumps(manifest))

    assert main(["backup", "verify", "--from", str(backup)]) == 1
    err = capsys.readouterr().err
    assert "table messages: 7 rows in the manifest, 6 restored" in err
    assert f"1 files the database names are not in the backup (such as {gone})" in err


async def test_verify_says_a_folder_without_manifest_is_no_backup(
    cli_env: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "nothing").mkdir()
    assert main(["backup", "verify", "--from", str(tmp_path / "nothing")]) == 1
    assert "no manifest.json" in capsys.readouterr().err
