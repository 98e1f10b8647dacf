"""The simulator's media endpoints speak Meta's protocol: upload, URL, token-bound download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cdmx.simulator import SimulatorConfig, create_simulator_app
from tests.media_helpers import jpeg, pdf

TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def sim() -> Any:
    return create_simulator_app(
        SimulatorConfig(app_secret="s", webhook_url="http://app.invalid/w", access_token=TOKEN)
    )


@pytest.fixture
async def http(sim: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with sim.router.lifespan_context(sim):
        transport = httpx.ASGITransport(app=sim)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as client:
            yield client


async def upload(http: httpx.AsyncClient, data: bytes, mime: str, name: str) -> httpx.Response:
    return await http.post(
        "/v25.0/100000000000001/media", headers=AUTH,
        data={"messaging_product": "whatsapp", "type": mime}, files={"file": (name, data, mime)},
    )  # fmt: skip


async def test_upload_then_url_then_download_needs_the_token(
    http: httpx.AsyncClient, sim: Any
) -> None:
    data = jpeg(32, 32)
    uploaded = await upload(http, data, "image/jpeg", "a.jpg")
    assert uploaded.status_code == 200
    media_id = uploaded.json()["id"]

    info = (await http.get(f"/v25.0/{media_id}", headers=AUTH)).json()
    assert info["file_size"] == len(data) and info["mime_type"] == "image/jpeg"
    assert info["id"] == media_id and len(info["sha256"]) == 64
    assert (await http.get(info["url"])).status_code == 401
    got = await http.get(info["url"], headers=AUTH)
    assert got.status_code == 200 and got.content == data

    sim.state.simulator.media.age(media_id, 0)  # the link itself lives 5 minutes:
    stale = info["url"].replace("ext=", "ext=1")
    assert (await http.get(stale, headers=AUTH)).status_code == 404


async def test_unknown_or_expired_media_id_is_error_100(http: httpx.AsyncClient, sim: Any) -> None:
    response = await http.get("/v25.0/123456", headers=AUTH)
    assert response.status_code == 400 and response.json()["error"]["code"] == 100
    media_id = (await upload(http, pdf(), "application/pdf", "f.pdf")).json()["id"]
    sim.state.simulator.media.age(media_id, 31 * 24 * 3600)
    assert (await http.get(f"/v25.0/{media_id}", headers=AUTH)).json()["error"]["code"] == 100


async def test_upload_checks_type_and_token(http: httpx.AsyncClient) -> None:
    wrong = await upload(http, pdf(), "image/jpeg", "x.jpg")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == 131053
    no_token = await http.post("/v25.0/100000000000001/media", data={"type": "image/jpeg"})
    assert no_token.json()["error"]["code"] == 190


async def test_phone_sends_a_photo_with_meta_shaped_fields(
    http: httpx.AsyncClient, sim: Any
) -> None:
    data = jpeg(40, 40)
    response = await http.post(
        "/phone/api/media", data={"wa_id": "5215512345678", "caption": "Mira"},
        files={"file": ("foto.jpg", data, "image/jpeg")},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    chat = sim.state.simulator.messages_for("5215512345678")
    image = chat[-1]["content"]["image"]
    assert chat[-1]["type"] == "image" and image["caption"] == "Mira"
    assert image["mime_type"] == "image/jpeg" and image["id"] == response.json()["media_id"]
    shown = await http.get(f"/phone/api/media/{image['id']}")
    assert shown.content == data


async def test_phone_sends_a_voice_note(http: httpx.AsyncClient, sim: Any) -> None:
    ogg = b"OggS" + b"\x00" * 24 + b"OpusHead" + b"\x00" * 64
    response = await http.post(
        "/phone/api/media", data={"wa_id": "5215512345678", "voice": "true"},
        files={"file": ("nota.ogg", ogg, "audio/ogg")},
    )  # fmt: skip
    assert response.status_code == 200
    audio = sim.state.simulator.messages_for("5215512345678")[-1]["content"]["audio"]
    assert audio["voice"] is True and audio["mime_type"] == "audio/ogg; codecs=opus"
