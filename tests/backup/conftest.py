"""Fixtures for backups: the CLI's environment, a populated database and media store, and a
restore target (a database not yet created) on the suite's backend."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from cdmx.db.engine import Database
from cdmx.db.tables import Media, Message, User
from cdmx.settings import Settings
from cdmx.storage import LocalStore, new_key
from tests.conftest import BACKEND_URL, eventually, signed
from tests.factories import text_message


@dataclass
class Populated:
    """What the source holds: message texts and the media files' bytes by key."""

    texts: list[str]
    files: dict[str, bytes]


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment `cdmx backup` reads: the test's database and media folder."""
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("CDMX_MEDIA_ROOT", str(settings.media_root))
    for name in ("S3_BUCKET_MEDIA", "S3_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def populated(
    client: httpx.AsyncClient, db: Database, settings: Settings, make_user: Callable[..., User]
) -> Populated:
    """Six inbound messages processed by the app, two of them carrying a stored file."""
    make_user()
    texts = [f"mensaje {n} con acentos: canción" for n in range(6)]
    for n, body_text in enumerate(texts):
        body, headers = signed(text_message(body_text, wa_id=f"52155500000{n % 3}"))
        assert (
            await client.post("/webhooks/whatsapp", content=body, headers=headers)
        ).status_code == 200

    def processed() -> bool:
        with db.read() as session:
            return session.scalar(select(func.count(Message.id))) == len(texts)

    await eventually(processed, timeout=10)
    store = LocalStore(settings.media_root, settings.secret_key)
    files: dict[str, bytes] = {}
    with db.write() as session:
        for message_id in list(session.scalars(select(Message.id).order_by(Message.id)))[:2]:
            key = new_key(".pdf")
            data = b"%PDF-1.4 " + uuid.uuid4().bytes * 500
            store.put_stream(key, io.BytesIO(data), "application/pdf")
            files[key] = data
            session.add(
                Media(
                    message_id=message_id, direction="inbound", status="stored",
                    mime_type="application/pdf", size=len(data), storage_key=key,
                    attempts=0, created_at=datetime.now(UTC), stored_at=datetime.now(UTC),
                )
            )  # fmt: skip
    return Populated(texts=texts, files=files)


@pytest.fixture
def restore_url(tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet, on the suite's backend; dropped afterwards."""
    if BACKEND_URL == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'cdmx.db'}"
        return
    server = make_url(BACKEND_URL)
    name = f"cdmx_backup_{uuid.uuid4().hex[:10]}"
    yield server.set(database=name).render_as_string(hide_password=False)
    drop_database_named(name)


def drop_database_named(name: str) -> None:
    admin = create_engine(
        make_url(BACKEND_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def databases_named(pattern: str) -> list[str]:
    """PostgreSQL databases whose names match a LIKE pattern (none on SQLite)."""
    if BACKEND_URL == "sqlite":
        return []
    admin = create_engine(make_url(BACKEND_URL).set(database="postgres"))
    with admin.connect() as connection:
        names = list(
            connection.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": pattern}
            )
        )
    admin.dispose()
    return names


def table_counts(url: str) -> dict[str, Any]:
    from cdmx.backup.database import count_tables

    return count_tables(url)
