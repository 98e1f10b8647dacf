"""The media fetcher against the simulator's Graph API (real HTTP semantics over ASGI)."""

from __future__ import annotations

import io
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select

from cdmx.actions.channels import do_set_channel_token
from cdmx.actions.media import do_send_media
from cdmx.actions.outbox import claim_sends
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Event, Media, User
from cdmx.domain.sealing import Sealer
from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.storage import LocalStore
from cdmx.storage.stored import StoredFile, store_file
from cdmx.whatsapp.graph import GraphClient
from cdmx.workers.media import MediaFetcher, digest_matches, prepare_media_send
from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID
from tests.media_helpers import (
    jpeg,
    media_webhook,
    pdf,
    png,
    record_inbound,
    sha_b64,
    webp,
)
from tests.storage.conftest import s3_endpoint, s3_store  # noqa: F401 (fixtures)


@pytest.fixture
def sim() -> Any:
    return create_simulator_app(
        SimulatorConfig(
            app_secret=APP_SECRET, webhook_url="http://app.invalid/webhooks/whatsapp",
            access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID,
        )
    )  # fmt: skip


@pytest.fixture
async def graph(sim: Any) -> AsyncIterator[GraphClient]:
    client = GraphClient("http://sim.test", "v25.0", transport=httpx.ASGITransport(app=sim))
    yield client
    await client.aclose()


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each media test runs on the local store and on S3 (moto's server: a real S3 API)."""
    if request.param == "local":
        return LocalStore(tmp_path / "media", "test-secret-key-0123456789")
    return request.getfixturevalue("s3_store")


@pytest.fixture
def fetcher(db: Database, graph: GraphClient, store: LocalStore) -> MediaFetcher:
    return MediaFetcher(db, graph, store, token_for=lambda _n: ACCESS_TOKEN, retention_days=30)


def media_row(db: Database, message_id: int) -> Media:
    with db.read() as session:
        row = session.scalar(select(Media).where(Media.message_id == message_id))
    assert row is not None
    return row


def updated_events(db: Database, message_id: int) -> list[dict[str, Any]]:
    with db.read() as session:
        events = session.scalars(select(Event).where(Event.type == "message.updated")).all()
    return [e.data for e in events if e.data["message"]["id"] == message_id]


async def test_inbound_photo_is_stored_with_an_upright_clean_thumbnail(
    db: Database, sim: Any, fetcher: MediaFetcher, store: LocalStore
) -> None:
    data = jpeg(1200, 900, orientation=6, gps=True)
    file = sim.state.simulator.media.add(data, "image/jpeg", inbound=True)
    message = record_inbound(
        db, media_webhook("image", file.id, mime_type="image/jpeg", sha256=sha_b64(data),
                          caption="Mi recibo"),
    )  # fmt: skip
    pending = media_row(db, message.id)
    assert pending.status == "pending" and pending.meta_media_id == file.id

    assert await fetcher.fetch_batch() == 1

    row = media_row(db, message.id)
    assert row.status == "stored" and row.size == len(data) and row.mime_type == "image/jpeg"
    assert (row.width, row.height) == (900, 1200)
    assert row.storage_key and row.thumbnail_key
    with store.open(row.storage_key) as f:
        assert f.read() == data
    with store.open(row.thumbnail_key) as f:
        thumbnail = Image.open(io.BytesIO(f.read()))
    assert thumbnail.height > thumbnail.width and not thumbnail.getexif()
    assert len(updated_events(db, message.id)) == 1


async def test_document_keeps_its_name_and_hex_sha_is_accepted(
    db: Database, sim: Any, fetcher: MediaFetcher
) -> None:
    file = sim.state.simulator.media.add(pdf(), "application/pdf", inbound=True)
    message = record_inbound(
        db, media_webhook("document", file.id, mime_type="application/pdf",
                          sha256=file.sha256_hex, filename="Factura marzo.pdf"),
    )  # fmt: skip
    await fetcher.fetch_batch()
    row = media_row(db, message.id)
    assert row.status == "stored" and row.filename == "Factura marzo.pdf"
    assert row.thumbnail_key is None


async def test_a_corrupt_download_is_retried_with_backoff(
    db: Database, sim: Any, fetcher: MediaFetcher
) -> None:
    file = sim.state.simulator.media.add(jpeg(), "image/jpeg", inbound=True)
    message = record_inbound(
        db, media_webhook("image", file.id, mime_type="image/jpeg", sha256=sha_b64(b"other"))
    )
    before = datetime.now(UTC)
    await fetcher.fetch_batch()
    row = media_row(db, message.id)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at is not None and row.next_attempt_at > before
    assert "sha256" in (row.error or "")
    assert await fetcher.fetch_batch() == 0  # not due yet: no busy loop


async def test_a_media_id_gone_after_seven_days_is_expired_not_a_spinner(
    db: Database, sim: Any, fetcher: MediaFetcher
) -> None:
    file = sim.state.simulator.media.add(jpeg(), "image/jpeg", inbound=True)
    sim.state.simulator.media.age(file.id, 8 * 24 * 3600)
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    message = record_inbound(
        db, media_webhook("image", file.id, mime_type="image/jpeg", timestamp=eight_days_ago)
    )
    await fetcher.fetch_batch()
    row = media_row(db, message.id)
    assert row.status == "expired" and "7 days" in (row.error or "")
    assert len(updated_events(db, message.id)) == 1


async def test_a_fresh_unknown_media_id_is_retried_then_failed(
    db: Database, fetcher: MediaFetcher
) -> None:
    message = record_inbound(db, media_webhook("image", "999", mime_type="image/jpeg"))
    await fetcher.fetch_batch()
    assert media_row(db, message.id).status == "pending"  # Meta can lag: try again
    with db.write() as session:
        row = session.scalar(select(Media).where(Media.message_id == message.id))
        assert row is not None
        row.attempts, row.next_attempt_at = 12, datetime.now(UTC) - timedelta(seconds=1)
    await fetcher.fetch_batch()
    assert media_row(db, message.id).status == "failed"


async def test_an_oversized_sticker_is_refused_without_downloading(
    db: Database, sim: Any, fetcher: MediaFetcher
) -> None:
    big = webp() + b"\x00" * (101 * 1024)
    file = sim.state.simulator.media.add(big, "image/webp", inbound=True)
    message = record_inbound(db, media_webhook("sticker", file.id, mime_type="image/webp"))
    await fetcher.fetch_batch()
    row = media_row(db, message.id)
    assert row.status == "failed" and "bytes" in (row.error or "")
    assert sim.state.simulator.media.downloads == 0


async def test_retention_sweep_deletes_files_and_says_so(
    db: Database, sim: Any, fetcher: MediaFetcher, store: LocalStore
) -> None:
    file = sim.state.simulator.media.add(jpeg(), "image/jpeg", inbound=True)
    message = record_inbound(db, media_webhook("image", file.id, mime_type="image/jpeg"))
    await fetcher.fetch_batch()
    stored = media_row(db, message.id)
    assert stored.storage_key is not None
    assert fetcher.sweep(datetime.now(UTC) + timedelta(days=29)) == 0
    assert fetcher.sweep(datetime.now(UTC) + timedelta(days=31)) == 1
    row = media_row(db, message.id)
    assert row.status == "deleted" and "30 days" in (row.error or "")
    with pytest.raises(Exception):  # gone from the store, whichever store it is  # noqa: B017
        store.open(stored.storage_key).read()
    assert updated_events(db, message.id)[-1]["message"]["id"] == message.id


def test_sha256_may_be_hex_or_base64() -> None:
    import hashlib

    digest = hashlib.sha256(b"x").digest()
    assert digest_matches(digest.hex(), digest)
    assert digest_matches(sha_b64(b"x"), digest)
    assert not digest_matches(sha_b64(b"y"), digest)
    assert not digest_matches("not base64 at all!", digest)


async def test_outbound_file_is_uploaded_once_and_sent_by_id(
    db: Database, sim: Any, graph: GraphClient, store: Any, make_user: Any, tmp_path: Path
) -> None:
    agent: User = make_user()
    inbound = record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    path = tmp_path / "upload.pdf"
    path.write_bytes(pdf())
    stored: StoredFile = store_file(
        store, path, "ab", declared_type="application/pdf", kind="document",
        filename="Cotización.pdf",
    )  # fmt: skip
    with db.write() as session:
        conversation_id = inbound.conversation_id
        message = do_send_media(
            session, agent, conversation_id, stored, "document", caption="Su cotización"
        )
    with db.write() as session:
        job = next(j for j in claim_sends(session, datetime.now(UTC)) if j.message_id == message.id)
    assert job.body["document"]["id"] is None

    body = await prepare_media_send(db, job, graph, ACCESS_TOKEN, store=store)
    again = await prepare_media_send(db, job, graph, ACCESS_TOKEN, store=store)

    vault = sim.state.simulator.media
    media_id = body["document"]["id"]
    assert again["document"]["id"] == media_id and len(vault.files) == 1
    assert vault.files[media_id].data == pdf()
    assert body["document"]["filename"] == "Cotización.pdf"
    assert body["document"]["caption"] == "Su cotización"
    assert media_row(db, message.id).meta_media_id == media_id
    result = await graph.send_message(PHONE_NUMBER_ID, ACCESS_TOKEN, body)
    assert result.wamid.startswith("wamid.")


async def test_media_of_a_number_with_its_own_token_is_fetched_with_that_token(
    db: Database, sim: Any, graph: GraphClient, store: LocalStore
) -> None:
    sealer = Sealer("test-secret-key-0123456789")
    with db.write() as session:
        channel = session.scalars(select(Channel)).one()
        do_set_channel_token(session, sealer, channel.id, ACCESS_TOKEN)  # what Meta accepts
    fetcher = MediaFetcher(  # META_ACCESS_TOKEN belongs to another app
        db, graph, store, token_for=lambda _n: "another-apps-token", sealer=sealer
    )
    data = png()
    file = sim.state.simulator.media.add(data, "image/png", inbound=True)
    message = record_inbound(db, media_webhook("image", file.id, mime_type="image/png"))

    assert await fetcher.fetch_batch() == 1

    row = media_row(db, message.id)
    assert row.status == "stored", row.error
