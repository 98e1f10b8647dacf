"""Outgoing webhooks through the API and the app's own deliverer, to a real endpoint: admins
manage subscriptions (the secret shown once, bad input refused); every event a subscription
wants arrives signed — verified here by the ``standardwebhooks`` package, not our code —
valid against the published schema and carrying what the event stream carries; a rotated
secret and the old one both sign for a day; the log, resend and the test event."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jsonschema
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from cdmx.db.engine import Database
from cdmx.db.tables import AuditEntry, Event, User, WebhookDelivery
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.servers import serving
from tests.web.api.test_conversations import deliver
from tests.webhook_receiver import Receiver

PATH = "/api/v1/webhooks"


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    endpoint = Receiver()
    async with serving(endpoint.app) as base:
        yield endpoint, f"{base}/hook"


async def subscribe(
    client: httpx.AsyncClient, auth: dict[str, str], url: str, events: list[str]
) -> dict[str, Any]:
    response = await client.post(PATH, json={"url": url, "events": events}, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_only_admins_manage_webhooks_and_bad_input_is_refused(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    admin = await bearer(client, make_user(role="admin"))
    for role in ("agent", "supervisor"):
        other = await bearer(client, make_user(role=role))
        assert (await client.get(PATH, headers=other)).status_code == 403
        refused = await client.post(
            PATH, json={"url": "https://example.com/h", "events": ["*"]}, headers=other
        )
        assert refused.status_code == 403
    made = await subscribe(client, admin, "https://erp.example.com/hooks", ["message.created"])
    assert made["secret"].startswith("whsec_") and made["active"] is True
    listed = (await client.get(PATH, headers=admin)).json()["webhooks"]
    assert [w["id"] for w in listed] == [made["id"]]
    assert "secret" not in listed[0] and made["secret"] not in str(listed)
    for body, code in (
        ({"url": "ftp://example.com/x", "events": ["*"]}, "invalid_url"),
        ({"url": "https://user:pw@example.com/x", "events": ["*"]}, "invalid_url"),
        ({"url": "https://example.com/x", "events": []}, "invalid_events"),
        ({"url": "https://example.com/x", "events": ["message.deleted"]}, "invalid_events"),
        ({"url": "https://example.com/x", "events": ["webhook.test"]}, "invalid_events"),
        ({"url": "https://example.com/x", "events": ["conversation.activity"]}, "invalid_events"),
    ):
        bad = await client.post(PATH, json=body, headers=admin)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, code), body
    extra = await client.post(
        PATH,
        json={"url": "https://example.com/x", "events": ["*"], "secret": "mine"},
        headers=admin,
    )
    assert extra.status_code == 422

    changed = await client.patch(
        f"{PATH}/{made['id']}",
        json={"events": ["conversation.closed", "*"], "description": "ERP", "active": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["events"], changed.json()["description"]) == (["*"], "ERP")
    assert changed.json()["active"] is False
    assert (await client.delete(f"{PATH}/{made['id']}", headers=admin)).status_code == 204
    gone = await client.get(f"{PATH}/{made['id']}", headers=admin)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "webhook_not_found")
    huge = await client.get(f"{PATH}/{2**70}", headers=admin)
    assert huge.status_code == 422


async def test_every_wanted_event_arrives_signed_valid_and_as_the_stream_carries_it(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    db: Database,
    receiver: tuple[Receiver, str],
) -> None:
    endpoint, url = receiver
    admin = await bearer(client, make_user(role="admin"))
    made = await subscribe(client, admin, url, ["*"])
    only_closed = await subscribe(
        client, admin, url.replace("/hook", "/hook?closed"), ["conversation.closed"]
    )
    schema = (await client.get(f"{PATH}/schema", headers=admin)).json()
    assert schema["version"] == 1 and "message.created" in schema["events"]
    assert "conversation.activity" not in schema["events"]

    await deliver(client, text_message("Hola, ¿tienen envío a Puebla?", wamid="wamid.W1"))
    await deliver(client, text_message("¿Y a Toluca?", wamid="wamid.W2"))
    await eventually(lambda: endpoint.types().count("message.created") >= 2)

    verifier = Webhook(made["secret"])
    with db.read() as session:
        events = {f"evt_{e.id}": e for e in session.scalars(select(Event))}
    seen_ids = set()
    for got in endpoint.received:
        payload = verifier.verify(got.body, got.headers)  # raises when the signature is wrong
        assert got.headers["content-type"] == "application/json"
        jsonschema.validate(payload, schema["events"][payload["type"]])
        event = events[got.headers["webhook-id"]]
        assert payload["id"] == got.headers["webhook-id"]
        assert (payload["type"], payload["data"]) == (event.type, event.data)
        seen_ids.add(got.headers["webhook-id"])
    assert len(seen_ids) == len(endpoint.received)  # one request per event
    created = [r.json for r in endpoint.received if r.json["type"] == "message.created"]
    assert [c["data"]["message"]["text"] for c in created] == [
        "Hola, ¿tienen envío a Puebla?", "¿Y a Toluca?",
    ]  # fmt: skip
    assert set(created[0]["data"]) == {"message", "conversation"}
    # The other subscription wanted only closings: nothing yet.
    with db.read() as session:
        theirs = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.subscription_id == only_closed["id"])
        ).all()
    assert theirs == []

    log = (await client.get(f"{PATH}/{made['id']}/deliveries", headers=admin)).json()
    assert log["next"] is None and len(log["deliveries"]) == len(endpoint.received)
    first = log["deliveries"][-1]
    assert first["status"] == "delivered" and first["attempts"] == 1
    metrics = (await client.get("/metrics")).text
    assert "\ncdmx_webhook_deliveries_pending 0\n" in metrics
    assert first["log"][0]["status_code"] == 200 and first["log"][0]["response"] == "answer 200"


async def test_a_rotated_secret_and_the_old_one_both_sign_then_resend_and_test(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    receiver: tuple[Receiver, str],
) -> None:
    endpoint, url = receiver
    admin = await bearer(client, make_user(role="admin"))
    made = await subscribe(client, admin, url, ["message.created"])
    rotated = await client.post(f"{PATH}/{made['id']}/rotate-secret", headers=admin)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != made["secret"] and rotated.json()["previous_secret_expires_at"]

    await deliver(client, text_message("Hola", wamid="wamid.R1"))
    await eventually(lambda: len(endpoint.received) == 1)
    got = endpoint.received[0]
    Webhook(new_secret).verify(got.body, got.headers)
    Webhook(made["secret"]).verify(got.body, got.headers)  # still valid for 24 h
    assert len(got.headers["webhook-signature"].split(" ")) == 2

    log = (await client.get(f"{PATH}/{made['id']}/deliveries", headers=admin)).json()
    delivery = log["deliveries"][0]
    again = await client.post(
        f"{PATH}/{made['id']}/deliveries/{delivery['id']}/resend", headers=admin
    )
    assert again.status_code == 202
    await eventually(lambda: len(endpoint.received) == 2)
    assert endpoint.ids() == [got.headers["webhook-id"]] * 2  # the same event: the same id
    missing = await client.post(f"{PATH}/{made['id']}/deliveries/999999/resend", headers=admin)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "delivery_not_found")

    # A test event goes even to an endpoint that is turned off.
    await client.patch(f"{PATH}/{made['id']}", json={"active": False}, headers=admin)
    test = await client.post(f"{PATH}/{made['id']}/test", headers=admin)
    assert test.status_code == 202
    await eventually(lambda: len(endpoint.received) == 3)
    payload = Webhook(new_secret).verify(endpoint.received[2].body, endpoint.received[2].headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["subscription_id"] == made["id"]
    assert endpoint.ids()[2].startswith("test_")


async def test_each_webhook_change_is_in_the_audit_trail_without_its_secret(
    client: httpx.AsyncClient, make_user: Callable[..., User], db: Database
) -> None:
    admin_user = make_user(role="admin", name="Alma Admin")
    admin = await bearer(client, admin_user)
    made = await subscribe(client, admin, "https://erp.example.com/h", ["message.created"])
    hook = f"{PATH}/{made['id']}"
    await client.patch(hook, json={"events": ["*"], "description": "ERP"}, headers=admin)
    rotated = (await client.post(f"{hook}/rotate-secret", headers=admin)).json()
    await client.post(f"{hook}/test", headers=admin)
    with db.read() as session:
        test_id = session.scalars(select(WebhookDelivery.id)).one()
    await client.post(f"{hook}/deliveries/{test_id}/resend", headers=admin)
    await client.delete(hook, headers=admin)
    with db.read() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "webhook").order_by(AuditEntry.id)
        ).all()
    assert [e.action for e in entries] == [
        "webhook.created", "webhook.changed", "webhook.secret_rotated", "webhook.tested",
        "webhook.resent", "webhook.deleted",
    ]  # fmt: skip
    assert {(e.actor_id, e.object_id) for e in entries} == {(admin_user.id, made["id"])}
    created, changed = entries[0], entries[1]
    assert created.after == {
        "url": "https://erp.example.com/h", "events": ["message.created"], "description": "",
        "active": True,
    }  # fmt: skip
    assert (changed.before, changed.after) == (
        {"events": ["message.created"], "description": ""},
        {"events": ["*"], "description": "ERP"},
    )
    assert entries[4].detail == {"delivery_id": test_id, "event_type": "webhook.test"}
    everything = str([(e.before, e.after, e.detail) for e in entries])
    assert made["secret"] not in everything and rotated["secret"] not in everything
    assert "whsec_" not in everything
