"""The DynamoDB state: TTLs are Numbers, claims are exclusive, statuses only move forward."""

from __future__ import annotations

from decimal import Decimal

import boto3

from cdmx.aws.state import STALE_CLAIM_SECONDS, BridgeState, Customer
from tests.aws.conftest import CONTACTS_TABLE, MESSAGES_TABLE, REGION, Aws

CUSTOMER = Customer(
    origination_id="phone-number-id-abc", meta_phone_number_id="1", identity="wa:5215550101234",
    wa_id="5215550101234", user_id=None, name="Ana",
)  # fmt: skip


def _state(aws: Aws, now: list[float]) -> BridgeState:
    return BridgeState(
        aws.dynamodb.Table(MESSAGES_TABLE), aws.dynamodb.Table(CONTACTS_TABLE),
        chat_duration_minutes=60, clock=lambda: now[0],
    )  # fmt: skip


def test_mapping_ttl_is_a_number_and_expired_mappings_are_not_used(aws: Aws) -> None:
    now = [1_750_000_000.0]
    state = _state(aws, now)
    assert state.begin_chat(CUSTOMER)
    state.open_chat(CUSTOMER, contact_id="c-1", participant_token="pt", connection_token="ct",
                    previous_contact_id=None)  # fmt: skip
    low_level = boto3.client("dynamodb", region_name=REGION)  # no type conversion
    raw = low_level.get_item(TableName=CONTACTS_TABLE, Key={"pk": {"S": CUSTOMER.key}})
    assert "N" in raw["Item"]["expires_at"]  # DynamoDB TTL acts on Numbers only
    assert int(raw["Item"]["expires_at"]["N"]) == 1_750_000_000 + 3600 + 24 * 3600
    ttl = low_level.describe_time_to_live(TableName=CONTACTS_TABLE)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
    assert state.chat(CUSTOMER) is not None
    now[0] += 3600 + 24 * 3600 + 1  # DynamoDB deletes late; reads check expiry themselves
    assert state.chat(CUSTOMER) is None
    assert state.begin_chat(CUSTOMER)


def test_only_one_invocation_may_start_a_customer_chat(aws: Aws) -> None:
    now = [1_750_000_000.0]
    state = _state(aws, now)
    assert state.begin_chat(CUSTOMER)
    assert not state.begin_chat(CUSTOMER)
    now[0] += 61  # the starter died
    assert state.begin_chat(CUSTOMER)


def test_claims_are_exclusive_until_done_or_stale(aws: Aws) -> None:
    now = [1_750_000_000.0]
    state = _state(aws, now)
    assert state.claim("connect:i-1")
    assert not state.claim("connect:i-1")
    now[0] += STALE_CLAIM_SECONDS + 1
    assert state.claim("connect:i-1")  # the first owner died mid-way
    state.finish("connect:i-1", wamid="w")
    now[0] += STALE_CLAIM_SECONDS + 1
    assert not state.claim("connect:i-1")  # done is done
    item = aws.dynamodb.Table(MESSAGES_TABLE).get_item(Key={"pk": "connect:i-1"})["Item"]
    assert isinstance(item["expires_at"], Decimal)


def test_released_claim_can_be_taken_again(aws: Aws) -> None:
    state = _state(aws, [1_750_000_000.0])
    assert state.claim("wamid:x")
    state.release("wamid:x")
    assert state.claim("wamid:x")


def test_status_moves_forward_only_and_only_for_outbound(aws: Aws) -> None:
    state = _state(aws, [1_750_000_000.0])
    state.record_outbound("w1", type="text", contact_id="c", customer_key="k", connect_item_id="i")
    assert state.apply_status("w1", "delivered", 10)
    assert not state.apply_status("w1", "sent", 11)
    assert state.apply_status("w1", "read", 12)
    assert not state.apply_status("w1", "failed", 13)
    assert not state.apply_status("missing", "read", 14)
    assert state.claim("wamid:in", direction="inbound", status="received")
    assert not state.apply_status("in", "read", 15)
    assert state.message("w1")["status"] == "read"  # type: ignore[index]
