"""A quick reply that carries a file: attached and replaced through the API, sent as a copy
of its own with each message, and refused clearly when it cannot be."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cdmx.db.engine import Database
from cdmx.db.tables import CannedResponse, Conversation, Media
from cdmx.settings import Settings
from tests.conftest import bearer
from tests.media_helpers import jpeg, media_webhook, pdf, record_inbound

PATH = "/api/v1/canned-responses"


@pytest.fixture
async def media_client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def attach(
    client: httpx.AsyncClient, auth: dict[str, str], canned_id: int, name: str, data: bytes
) -> httpx.Response:
    return await client.put(
        f"{PATH}/{canned_id}/attachment", headers=auth,
        files={"file": (name, data, "application/octet-stream")},
    )  # fmt: skip


def stored_keys(db: Database, canned_id: int) -> list[str]:
    with db.read() as session:
        item = session.get(CannedResponse, canned_id)
        assert item is not None and item.attachment
        return [item.attachment["storage_key"]]


async def test_a_quick_reply_s_file_goes_out_as_a_copy_with_its_filled_text(
    media_client: httpx.AsyncClient, make_user: Any, db: Database, settings: Settings
) -> None:
    conversation_id = record_inbound(
        db, media_webhook("image", "1", mime_type="image/jpeg")
    ).conversation_id
    agent = make_user(name="Ana")
    auth = await bearer(media_client, agent)
    created = await media_client.post(
        PATH, headers=auth, json={"shortcut": "catalogo", "text": "Nuestro catálogo",
                                  "personal": True},
    )  # fmt: skip
    canned_id = created.json()["id"]
    assert created.json()["attachment"] is None

    attached = await attach(media_client, auth, canned_id, "Catálogo 2026.pdf", pdf())
    assert attached.status_code == 200, attached.text
    assert attached.json()["attachment"] == {
        "kind": "document", "filename": "Catálogo 2026.pdf", "mime_type": "application/pdf",
        "size": len(pdf()),
    }  # fmt: skip
    [listed] = (await media_client.get(PATH, headers=auth)).json()["canned_responses"]
    assert listed["attachment"]["filename"] == "Catálogo 2026.pdf"

    sent = []
    for local_id in ("A", "B"):
        response = await media_client.post(
            f"/api/v1/conversations/{conversation_id}/media", headers=auth,
            data={"canned_id": str(canned_id), "caption": "Nuestro catálogo", "local_id": local_id},
        )  # fmt: skip
        assert response.status_code == 202, response.text
        sent.append(response.json())
    for message in sent:
        assert message["type"] == "document" and message["text"] == "Nuestro catálogo"
        assert message["media"]["filename"] == "Catálogo 2026.pdf"
        got = await media_client.get(message["media"]["url"], headers=auth)
        assert got.status_code == 200 and got.content == pdf()
    canned_key = stored_keys(db, canned_id)[0]
    with db.read() as session:
        keys = session.scalars(select(Media.storage_key).where(Media.direction == "outbound"))
        message_keys = set(keys)
    # Each message has its own copy: deleting one (or the quick reply) takes no other's.
    assert len(message_keys) == 2 and canned_key not in message_keys

    # Replacing the file deletes the old one from the store; removing it, the new one.
    replaced = await attach(media_client, auth, canned_id, "foto.jpg", jpeg(64, 48))
    assert replaced.status_code == 200 and replaced.json()["attachment"]["kind"] == "image"
    media_root = Path(settings.media_root)
    assert not (media_root / canned_key).exists()
    new_key = stored_keys(db, canned_id)[0]
    assert (media_root / new_key).exists()
    removed = await media_client.delete(f"{PATH}/{canned_id}/attachment", headers=auth)
    assert removed.status_code == 200 and removed.json()["attachment"] is None
    assert not (media_root / new_key).exists()
    for message_key in message_keys:
        assert (media_root / message_key).exists()

    # Without a file the quick reply cannot be sent as one.
    refused = await media_client.post(
        f"/api/v1/conversations/{conversation_id}/media", headers=auth,
        data={"canned_id": str(canned_id)},
    )  # fmt: skip
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "canned_has_no_file"


async def test_only_who_manages_a_quick_reply_attaches_and_only_who_may_use_it_sends_it(
    media_client: httpx.AsyncClient, make_user: Any, db: Database
) -> None:
    conversation_id = record_inbound(
        db, media_webhook("image", "1", mime_type="image/jpeg")
    ).conversation_id
    owner, other = make_user(name="Ana"), make_user(name="Beto")
    auth = await bearer(media_client, owner)
    canned_id = (
        await media_client.post(
            PATH, headers=auth, json={"shortcut": "mio", "text": "x", "personal": True}
        )
    ).json()["id"]
    other_auth = await bearer(media_client, other)
    assert (await attach(media_client, other_auth, canned_id, "a.pdf", pdf())).status_code == 404
    missing = await media_client.put(f"{PATH}/{canned_id}/attachment", headers=auth, data={})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "file_required"
    assert (await attach(media_client, auth, canned_id, "a.pdf", pdf())).status_code == 200
    # The conversation is the owner's; in it, another's personal reply does not exist.
    with db.write() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.assignee_id, conversation.status = other.id, "assigned"
    response = await media_client.post(
        f"/api/v1/conversations/{conversation_id}/media", headers=other_auth,
        data={"canned_id": str(canned_id)},
    )  # fmt: skip
    assert response.status_code == 404 and response.json()["error"]["code"] == "canned_not_found"
    bad = await media_client.post(
        f"/api/v1/conversations/{conversation_id}/media", headers=other_auth,
        data={"canned_id": "uno"},
    )  # fmt: skip
    assert bad.status_code == 422
