"""Uploading files through the API, and the signed links of the local store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import Event, Media
from cdmx.settings import Settings
from tests.conftest import bearer
from tests.media_helpers import (
    HAS_FFMPEG,
    jpeg,
    media_webhook,
    noisy_png,
    pdf,
    record_inbound,
    webm_voice,
)


@pytest.fixture
async def media_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def conversation_id(db: Database) -> int:
    return record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg")).conversation_id


async def post_file(
    client: httpx.AsyncClient, headers: dict[str, str], conversation_id: int, name: str,
    data: bytes, **fields: str,
) -> httpx.Response:  # fmt: skip
    return await client.post(
        f"/api/v1/conversations/{conversation_id}/media", headers=headers,
        files={"file": (name, data, "application/octet-stream")}, data=fields,
    )  # fmt: skip


async def test_photo_upload_is_stored_and_served_only_through_a_signed_link(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int, db: Database
) -> None:
    agent, other = make_user(), make_user()
    headers = await bearer(media_client, agent)
    data = jpeg(800, 600, gps=True)
    response = await post_file(
        media_client, headers, conversation_id, "IMG_0001.jpg", data, caption="Aquí está",
        local_id="L1",
    )  # fmt: skip
    assert response.status_code == 202, response.text
    message = response.json()
    assert message["type"] == "image" and message["text"] == "Aquí está"
    assert message["status"] == "queued"
    media = message["media"]
    assert media["status"] == "stored" and media["mime_type"] == "image/jpeg"
    assert media["size"] == len(data) and (media["width"], media["height"]) == (800, 600)
    assert media["url"].startswith("/media/") and media["thumbnail_url"]

    got = await media_client.get(media["url"], headers=headers)
    assert got.status_code == 200 and got.content == data
    assert got.headers["x-content-type-options"] == "nosniff"
    thumb = await media_client.get(media["thumbnail_url"], headers=headers)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"

    assert (await media_client.get(media["url"])).status_code == 401
    tampered = media["url"].replace("sig=", "sig=0")
    assert (await media_client.get(tampered, headers=headers)).status_code == 403
    # The conversation is now assigned to ``agent``; another agent may not see its files.
    other_headers = await bearer(media_client, other)
    assert (await media_client.get(media["url"], headers=other_headers)).status_code == 403

    retried = await post_file(
        media_client, headers, conversation_id, "IMG_0001.jpg", data, local_id="L1"
    )
    assert retried.status_code == 202 and retried.json()["id"] == message["id"]
    with db.read() as session:
        assert len(session.scalars(select(Media).where(Media.direction == "outbound")).all()) == 1


async def test_an_uploaded_file_is_announced_once_with_its_file(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int, db: Database
) -> None:
    headers = await bearer(media_client, make_user())
    response = await post_file(media_client, headers, conversation_id, "foto.jpg", jpeg(64, 48))
    assert response.status_code == 202, response.text
    message_id = response.json()["id"]
    with db.read() as session:
        created = [
            e.data for e in session.scalars(select(Event).where(Event.type == "message.created"))
            if e.data["message"]["id"] == message_id
        ]  # fmt: skip
    # One event, and it already carries the stored file: no placeholder, no later rewrite.
    assert len(created) == 1
    assert created[0]["message"]["media"]["status"] == "stored"
    assert created[0]["message"]["media"]["mime_type"] == "image/jpeg"


async def test_document_is_sent_with_its_name_as_an_attachment(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int
) -> None:
    headers = await bearer(media_client, make_user())
    response = await post_file(media_client, headers, conversation_id, "../../Cotización.pdf",
                               pdf())  # fmt: skip
    assert response.status_code == 202, response.text
    media = response.json()["media"]
    assert response.json()["type"] == "document" and media["filename"] == "Cotización.pdf"
    got = await media_client.get(media["url"], headers=headers)
    assert got.headers["content-disposition"].startswith("attachment")


async def test_a_text_file_is_served_as_a_download_of_octet_stream(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int
) -> None:
    headers = await bearer(media_client, make_user())
    page = b"<html><script>alert(1)</script></html>"  # sniffed as text: a document
    response = await post_file(media_client, headers, conversation_id, "nota.txt", page)
    assert response.status_code == 202, response.text
    got = await media_client.get(response.json()["media"]["url"], headers=headers)
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("name", "data", "status", "words"),
    [
        ("big.png", noisy_png(5 * 1024 * 1024 + 10), 413, "at most 5 MB"),
        ("anim.gif", b"GIF89a" + b"\x00" * 100, 415, "does not accept"),
        ("fake.jpg", b"MZ\x90\x00" + b"\x00" * 100, 415, "does not accept"),
        ("empty.pdf", b"", 422, "empty"),
    ],
)
async def test_refused_files_get_a_clear_error_and_leave_nothing_behind(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int, settings: Settings,
    name: str, data: bytes, status: int, words: str,
) -> None:  # fmt: skip
    headers = await bearer(media_client, make_user())
    response = await post_file(media_client, headers, conversation_id, name, data)
    assert response.status_code == status, response.text
    assert words in response.json()["error"]["message"]
    assert not any(p.is_file() for p in Path(settings.media_root).rglob("*"))


async def test_refused_by_the_window_removes_the_stored_file(
    media_client: httpx.AsyncClient, make_user: Any, db: Database, settings: Settings
) -> None:
    import time

    old = int(time.time()) - 2 * 24 * 3600
    conversation = record_inbound(
        db, media_webhook("image", "1", mime_type="image/jpeg", timestamp=old)
    ).conversation_id
    headers = await bearer(media_client, make_user())
    response = await post_file(media_client, headers, conversation, "a.pdf", pdf())
    assert response.status_code == 409
    assert not any(p.is_file() for p in Path(settings.media_root).rglob("*"))


@pytest.mark.skipif(not HAS_FFMPEG, reason="ffmpeg is not installed")
async def test_browser_voice_note_is_converted_to_ogg_opus(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int, tmp_path: Path
) -> None:
    headers = await bearer(media_client, make_user())
    response = await post_file(
        media_client, headers, conversation_id, "nota.webm", webm_voice(tmp_path), voice="true"
    )
    assert response.status_code == 202, response.text
    message = response.json()
    assert message["type"] == "audio" and message["summary"] == "🎤 Nota de voz"
    assert message["media"]["mime_type"] == "audio/ogg" and message["media"]["voice"]
    got = await media_client.get(message["media"]["url"], headers=headers)
    assert got.content.startswith(b"OggS") and b"OpusHead" in got.content[:200]


async def test_without_ffmpeg_a_recorded_voice_note_is_refused_clearly(
    media_client: httpx.AsyncClient, make_user: Any, conversation_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr("cdmx.storage.thumbnails.shutil.which", lambda _name: None)
    headers = await bearer(media_client, make_user())
    response = await post_file(
        media_client, headers, conversation_id, "nota.webm", b"\x1a\x45\xdf\xa3" + b"\x00" * 64,
        voice="true",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "voice_conversion_unavailable"
    assert "ffmpeg" in response.json()["error"]["message"]
