"""``POST /webhooks/sns``: EUM Social as a channel, through the real app and the same inbox."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import func, select

from cdmx.db.engine import Database
from cdmx.db.tables import InboxUpdate, Message
from tests.aws.conftest import (  # noqa: F401 (the AWS side's fixtures)
    EUM_TOPIC,
    REGION,
    STREAM_TOPIC,
    Signer,
    SnsHttp,
    _aws_env,
    app,
    eum_message,
    settings,
    signer,
    sns_http,
    text_message,
)
from tests.conftest import eventually


def _post(client: httpx.AsyncClient, data: dict[str, object]) -> object:
    headers = {"x-amz-sns-message-type": str(data["Type"]), "Content-Type": "text/plain"}
    return client.post("/webhooks/sns", content=json.dumps(data).encode(), headers=headers)


async def test_notification_is_stored_and_becomes_a_message(
    client: httpx.AsyncClient, db: Database, signer: Signer
) -> None:
    data = signer.notification(eum_message([text_message("wamid.AWS1", "Hola desde AWS")]))
    response = await _post(client, data)
    assert response.status_code == 200, response.text

    def stored() -> str | None:
        with db.read() as session:
            return session.scalar(select(Message.text).where(Message.wamid == "wamid.AWS1"))

    assert await eventually(stored) == "Hola desde AWS"
    with db.read() as session:
        row = session.scalars(select(InboxUpdate)).one()
    assert row.source == "aws"
    assert json.loads(row.body)["object"] == "whatsapp_business_account"


async def test_redelivered_notification_is_stored_once(
    client: httpx.AsyncClient, db: Database, signer: Signer
) -> None:
    message = eum_message([text_message("wamid.AWS2", "una vez")])
    first = await _post(client, signer.notification(message, message_id="m-1"))
    # SNS redelivers the same Message, possibly under a new envelope and signature.
    again = await _post(client, signer.notification(message, message_id="m-1", version="1"))
    assert (first.status_code, again.status_code) == (200, 200)
    with db.read() as session:
        assert session.scalar(select(func.count(InboxUpdate.id))) == 1


async def test_tampered_notification_is_refused_and_not_stored(
    client: httpx.AsyncClient, db: Database, signer: Signer
) -> None:
    data = signer.notification(eum_message([text_message("wamid.AWS3", "hola")]))
    data["Message"] = data["Message"].replace("hola", "hole")
    response = await _post(client, data)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    with db.read() as session:
        assert session.scalar(select(func.count(InboxUpdate.id))) == 0


async def test_a_topic_that_is_not_ours_is_refused_even_when_signed(
    client: httpx.AsyncClient, db: Database, signer: Signer, sns_http: SnsHttp
) -> None:
    data = signer.notification(eum_message([text_message("wamid.AWS4", "x")]), topic=STREAM_TOPIC)
    response = await _post(client, data)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "unknown_topic"
    assert sns_http.requests == []  # refused before fetching anything


async def test_subscription_confirmation_is_confirmed_on_the_sns_host(
    client: httpx.AsyncClient, signer: Signer, sns_http: SnsHttp
) -> None:
    subscribe = f"https://sns.{REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn={EUM_TOPIC}&Token=abc"
    data = signer.sign(
        {
            "Type": "SubscriptionConfirmation", "MessageId": "c-1", "TopicArn": EUM_TOPIC,
            "Token": "abc", "Message": "You have chosen to subscribe", "SubscribeURL": subscribe,
            "Timestamp": "2025-06-01T12:00:00.000Z",
        }
    )  # fmt: skip
    response = await _post(client, data)
    assert response.status_code == 200
    assert response.text == "confirmed"
    assert sns_http.requests[-1] == subscribe


async def test_confirmation_pointing_elsewhere_is_not_followed(
    client: httpx.AsyncClient, signer: Signer, sns_http: SnsHttp
) -> None:
    data = signer.sign(
        {
            "Type": "SubscriptionConfirmation", "MessageId": "c-2", "TopicArn": EUM_TOPIC,
            "Token": "abc", "Message": "m", "SubscribeURL": "https://evil.example/confirm",
            "Timestamp": "2025-06-01T12:00:00.000Z",
        }
    )  # fmt: skip
    response = await _post(client, data)
    assert response.status_code == 403
    assert not any("evil" in url for url in sns_http.requests)


async def test_certificate_is_fetched_once_for_many_messages(
    client: httpx.AsyncClient, signer: Signer, sns_http: SnsHttp
) -> None:
    for n in range(3):
        message = eum_message([text_message(f"wamid.AWS-C{n}", f"m{n}")])
        response = await _post(client, signer.notification(message, message_id=f"id-{n}"))
        assert response.status_code == 200
    assert sum(url.endswith(".pem") for url in sns_http.requests) == 1


async def test_not_sns_and_not_whatsapp_bodies(
    client: httpx.AsyncClient, db: Database, signer: Signer
) -> None:
    garbage = await client.post("/webhooks/sns", content=b"\xff not json")
    assert garbage.status_code == 400
    other = await _post(client, signer.notification('{"something": "else"}'))
    assert (other.status_code, other.text) == (200, "ignored")
    with db.read() as session:
        assert session.scalar(select(func.count(InboxUpdate.id))) == 0


async def test_status_event_through_aws_moves_an_outbound_message(
    client: httpx.AsyncClient, db: Database, signer: Signer
) -> None:
    # The inbound message creates the conversation; a status for an unknown wamid is kept.
    await _post(client, signer.notification(eum_message([text_message("wamid.AWS5", "hola")])))
    status = {
        "id": "wamid.UNKNOWN",
        "status": "delivered",
        "timestamp": "1748779400",
        "recipient_id": "5215550101234",
    }
    response = await _post(
        client, signer.notification(eum_message(statuses=[status]), message_id="s-1")
    )
    assert response.status_code == 200
