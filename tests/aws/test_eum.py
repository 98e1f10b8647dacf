"""EumSender: the outbox's interface over SendWhatsAppMessage, errors on the Graph tree."""

from __future__ import annotations

import json

import pytest

from cdmx.aws.errors import graph_error_from_aws
from cdmx.aws.eum import EumClient, EumSender
from cdmx.whatsapp.errors import AuthFailed, NeedsTemplate, Permanent, Retryable, Throttled
from tests.aws.conftest import ORIGINATION_ARN, ORIGINATION_ID, Aws

BODY = {"messaging_product": "whatsapp", "to": "+5215550101234", "type": "text",
        "text": {"body": "¡Hola!", "preview_url": False}}  # fmt: skip
WABA = {"arn": "arn:aws:social-messaging:us-east-1:111122223333:waba/0123", "id": "waba-0123",
        "wabaId": "200000000000001", "registrationStatus": "COMPLETE", "linkDate": "2025-01-01T00:00:00Z",
        "wabaName": "Tienda", "eventDestinations": []}  # fmt: skip


def _linked(aws: Aws) -> None:
    aws.stub_social.add_response(
        "list_linked_whatsapp_business_accounts", {"linkedAccounts": [WABA]}, {}
    )
    aws.stub_social.add_response(
        "get_linked_whatsapp_business_account",
        {"account": {**WABA, "phoneNumbers": [{
            "arn": ORIGINATION_ARN, "phoneNumber": "+15550100000", "phoneNumberId": ORIGINATION_ID,
            "metaPhoneNumberId": "100000000000001", "displayPhoneNumberName": "Tienda",
            "displayPhoneNumber": "+1 555-010-0000", "qualityRating": "GREEN"}]}},
        {"id": "waba-0123"},
    )  # fmt: skip


def _send(aws: Aws, **response: object) -> None:
    expected = {"originationPhoneNumberId": ORIGINATION_ID,
                "message": json.dumps(BODY, ensure_ascii=False, separators=(",", ":")).encode(),
                "metaApiVersion": "v23.0"}  # fmt: skip
    if "error" in response:
        aws.stub_social.add_client_error(
            "send_whatsapp_message", service_error_code=str(response["error"]),
            service_message=str(response.get("message", "x")),
            http_status_code=int(response.get("status", 400)),  # type: ignore[call-overload]
            expected_params=expected,
        )  # fmt: skip
    else:
        aws.stub_social.add_response("send_whatsapp_message", {"messageId": "wamid.E1"}, expected)


async def test_send_resolves_the_aws_number_once_and_sends_the_meta_body(aws: Aws) -> None:
    sender = EumSender(EumClient(aws.social, meta_api_version="v23.0"))
    _linked(aws)
    _send(aws)
    _send(aws)
    first = await sender.send_message("100000000000001", "unused", BODY)
    second = await sender.send_message("100000000000001", "unused", BODY)
    assert first.wamid == second.wamid == "wamid.E1"
    aws.assert_no_pending()


async def test_a_number_not_linked_pauses_the_channel(aws: Aws) -> None:
    sender = EumSender(EumClient(aws.social, meta_api_version="v23.0"))
    _linked(aws)
    with pytest.raises(AuthFailed, match="not linked"):
        await sender.send_message("999", "unused", BODY)


@pytest.mark.parametrize(
    ("code", "status", "message", "kind"),
    [
        ("ThrottledRequestException", 429, "slow down", Throttled),
        ("InternalServiceException", 500, "oops", Retryable),
        ("DependencyException", 424, "Meta did not answer", Retryable),
        ("AccessDeniedException", 403, "no", AuthFailed),
        ("ValidationException", 400, "bad body", Permanent),
        ("ValidationException", 400, "(#131047) Re-engagement message", NeedsTemplate),
    ],
)
async def test_aws_errors_map_onto_the_graph_error_tree(
    aws: Aws, code: str, status: int, message: str, kind: type
) -> None:
    sender = EumSender(EumClient(aws.social, meta_api_version="v23.0"))
    _send(aws, error=code, status=status, message=message)
    with pytest.raises(kind) as raised:
        await sender.send_message(ORIGINATION_ID, "unused", BODY)
    assert type(raised.value) is kind
    if kind is NeedsTemplate:
        assert raised.value.code == 131047


def test_network_and_credential_failures_are_classified() -> None:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    assert isinstance(
        graph_error_from_aws(EndpointConnectionError(endpoint_url="https://x")), Retryable
    )
    assert isinstance(graph_error_from_aws(NoCredentialsError()), AuthFailed)
