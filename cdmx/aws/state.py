"""The bridge's state in DynamoDB: message metadata, and who is talking in which Connect chat.

Messages table (``DYNAMODB_TABLE_MESSAGES``, key ``pk``):
- ``wamid:<wamid>`` — one WhatsApp message: direction, type, status, contact, customer,
  timestamps, a short preview (for reply context). Inbound items double as the redelivery
  guard: they are created with a conditional put before anything is sent to Connect.
- ``connect:<item id>`` — an outbound Connect item (message, attachment, event) already
  handled; created with a conditional put, so an SNS redelivery changes nothing. Expires.

Contacts table (``DYNAMODB_TABLE_CONTACTS``, key ``pk``, TTL ``expires_at`` as a Number):
- ``customer:<number>|<identity>`` — the customer's current chat: tokens, state
  (starting → open → closed), when they last wrote (the 24-hour window).
- ``contact:<contact id>`` — every Connect contact id seen for a chat (the first one, and the
  new ones after transfers), each with what the outbound side needs to answer.

A claim that is older than ``STALE_CLAIM_SECONDS`` (a Lambda that died mid-way) may be taken
again, so a crash does not lose a message; a failure releases the claim at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cdmx.aws.errors import error_code
from cdmx.domain.states import STATUS_FAILED, status_advances

STALE_CLAIM_SECONDS = 300  # above the Lambda timeout (60 s): an older claim's owner is dead
MARKER_TTL_SECONDS = 14 * 24 * 3600  # SNS and Lambda stop retrying long before this
CHAT_GRACE_SECONDS = 24 * 3600  # mappings outlive the chat by a day, for late events
_STATUSES = ("queued", "sent", "delivered", "read", "played", STATUS_FAILED)


@dataclass(frozen=True)
class Customer:
    origination_id: str  # the AWS phone-number id the customer wrote to
    meta_phone_number_id: str
    identity: str  # contact_identity(): bsuid:… or wa:…
    wa_id: str | None
    user_id: str | None
    name: str

    @property
    def key(self) -> str:
        return f"customer:{self.origination_id}|{self.identity}"


@dataclass(frozen=True)
class Chat:
    """A customer's Connect chat as the inbound side needs it."""

    customer: Customer
    contact_id: str
    participant_token: str
    connection_token: str
    state: str
    last_inbound_at: float


@dataclass(frozen=True)
class ContactRef:
    """A Connect contact as the outbound side needs it: where to answer on WhatsApp."""

    contact_id: str  # the contact the chat started as
    customer_key: str
    origination_id: str
    wa_id: str | None
    user_id: str | None
    connection_token: str
    state: str


class BridgeState:
    """Reads and writes the two tables (boto3 ``Table`` resources, injected)."""

    def __init__(
        self,
        messages: Any,
        contacts: Any,
        *,
        chat_duration_minutes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.messages = messages
        self.contacts = contacts
        self.chat_seconds = chat_duration_minutes * 60
        self.clock = clock

    # --- claims (idempotency under SNS redelivery) -----------------------------------------

    def claim(self, pk: str, **attributes: Any) -> bool:
        """Take ``pk`` for processing; False when it is done or someone is on it."""
        now = self.clock()
        item = {"pk": pk, "state": "processing", "claimed_at": _n(now), **_clean(attributes)}
        if pk.startswith("connect:"):
            item["expires_at"] = _n(now + MARKER_TTL_SECONDS)
        return self._conditional(
            self.messages.put_item,
            Item=item,
            ConditionExpression="attribute_not_exists(pk) OR (#s = :p AND claimed_at < :stale)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":p": "processing", ":stale": _n(now - STALE_CLAIM_SECONDS)},
        )

    def finish(self, pk: str, **attributes: Any) -> None:
        """Mark a claim done, with what was learnt while processing."""
        values = {"state": "done", "updated_at": _n(self.clock()), **_clean(attributes)}
        names = {f"#a{i}": k for i, k in enumerate(values)}
        sets = ", ".join(f"#a{i} = :v{i}" for i in range(len(values)))
        self.messages.update_item(
            Key={"pk": pk},
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": v for i, v in enumerate(values.values())},
        )

    def release(self, pk: str) -> None:
        """Give a claim back after a failure, so the retry can take it."""
        self._conditional(
            self.messages.delete_item,
            Key={"pk": pk},
            ConditionExpression="#s = :p",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":p": "processing"},
        )

    # --- message metadata ------------------------------------------------------------------

    def record_outbound(
        self,
        wamid: str,
        *,
        type: str,
        contact_id: str,
        customer_key: str,
        connect_item_id: str,
        preview: str | None = None,
    ) -> None:
        """A message the bridge sent to WhatsApp (status ``sent``); a repeat changes nothing."""
        now = _n(self.clock())
        self._conditional(
            self.messages.put_item,
            Item=_clean({
                "pk": f"wamid:{wamid}", "wamid": wamid, "direction": "outbound", "type": type,
                "status": "sent", "status_at": now, "created_at": now, "contact_id": contact_id,
                "customer_key": customer_key, "connect_item_id": connect_item_id, "state": "done",
                "preview": preview,
            }),
            ConditionExpression="attribute_not_exists(pk)",
        )  # fmt: skip

    def message(self, wamid: str) -> dict[str, Any] | None:
        """The stored metadata of a message, or None."""
        item = self.messages.get_item(Key={"pk": f"wamid:{wamid}"}, ConsistentRead=True)
        found = item.get("Item")
        return dict(found) if found else None

    def apply_status(self, wamid: str, status: str, at: float, error: str | None = None) -> bool:
        """Move an outbound message's status forward only (conditional write); True if moved."""
        before = [s for s in _STATUSES if status_advances(s, status)]
        if not before:
            return False
        values: dict[str, Any] = {f":b{i}": s for i, s in enumerate(before)}
        values.update({":s": status, ":t": _n(at), ":out": "outbound"})
        update = "SET #s = :s, status_at = :t"
        if error:
            update += ", status_error = :e"
            values[":e"] = error[:500]
        return self._conditional(
            self.messages.update_item,
            Key={"pk": f"wamid:{wamid}"},
            UpdateExpression=update,
            ConditionExpression=(f"direction = :out AND #s IN ({', '.join(values_keys(before))})"),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=values,
        )

    # --- chats -----------------------------------------------------------------------------

    def chat(self, customer: Customer) -> Chat | None:
        """The customer's open chat, or None."""
        item = self.contacts.get_item(Key={"pk": customer.key}, ConsistentRead=True).get("Item")
        if not item or item.get("state") != "open" or _expired(item, self.clock()):
            return None
        return _chat(customer, item)

    def begin_chat(self, customer: Customer, stale_after: float = 60.0) -> bool:
        """Take the right to start a chat for this customer (one at a time)."""
        now = self.clock()
        return self._conditional(
            self.contacts.update_item,
            Key={"pk": customer.key},
            UpdateExpression="SET #s = :starting, starting_at = :now, expires_at = :exp",
            ConditionExpression=(
                "attribute_not_exists(pk) OR #s = :closed OR expires_at < :now"
                " OR (#s = :starting AND starting_at < :stale)"
            ),
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":starting": "starting", ":closed": "closed", ":now": _n(now),
                ":stale": _n(now - stale_after), ":exp": _n(now + 3600),
            },
        )  # fmt: skip

    def abandon_chat(self, customer: Customer) -> None:
        """Starting failed: let the next attempt start again."""
        self._conditional(
            self.contacts.update_item,
            Key={"pk": customer.key},
            UpdateExpression="SET #s = :closed",
            ConditionExpression="#s = :starting",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":starting": "starting", ":closed": "closed"},
        )

    def open_chat(
        self,
        customer: Customer,
        *,
        contact_id: str,
        participant_token: str,
        connection_token: str,
        previous_contact_id: str | None,
    ) -> Chat:
        """Save a started chat: the customer row and the contact row."""
        now = self.clock()
        expires = _n(now + self.chat_seconds + CHAT_GRACE_SECONDS)
        common = {
            "origination_id": customer.origination_id, "wa_id": customer.wa_id,
            "user_id": customer.user_id, "connection_token": connection_token,
            "expires_at": expires,
        }  # fmt: skip
        self.contacts.put_item(
            Item=_clean(
                {
                    "pk": f"contact:{contact_id}", "contact_id": contact_id,
                    "customer_key": customer.key, "state": "open", **common,
                }
            )
        )  # fmt: skip
        self.contacts.put_item(
            Item=_clean(
                {
                    "pk": customer.key, "state": "open", "contact_id": contact_id,
                    "participant_token": participant_token, "started_at": _n(now),
                    "meta_phone_number_id": customer.meta_phone_number_id,
                    "identity": customer.identity, "name": customer.name,
                    "previous_contact_id": previous_contact_id,
                    **common,
                }
            )
        )  # fmt: skip
        return Chat(customer, contact_id, participant_token, connection_token, "open", now)

    def touch_inbound(self, customer: Customer, at: float) -> None:
        """The customer wrote at ``at``: the 24-hour window runs from here."""
        self._conditional(
            self.contacts.update_item,
            Key={"pk": customer.key},
            UpdateExpression="SET last_inbound_at = :t",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(last_inbound_at)"
            " OR last_inbound_at < :t)",
            ExpressionAttributeValues={":t": _n(at)},
        )

    def last_inbound_at(self, customer_key: str) -> float | None:
        """When the customer last wrote, or None."""
        item = self.contacts.get_item(Key={"pk": customer_key}, ConsistentRead=True).get("Item")
        value = item.get("last_inbound_at") if item else None
        return float(value) if value is not None else None

    def contact(self, contact_id: str, initial_contact_id: str | None = None) -> ContactRef | None:
        """Resolve a streamed contact, following transfers through InitialContactId."""
        for candidate in (contact_id, initial_contact_id):
            if not candidate:
                continue
            item = self.contacts.get_item(
                Key={"pk": f"contact:{candidate}"}, ConsistentRead=True
            ).get("Item")
            if item:
                if candidate != contact_id:
                    # A transfer gave the chat a new ContactId: remember it as an alias.
                    self.contacts.put_item(Item={**item, "pk": f"contact:{contact_id}"})
                return _ref(item)
        return None

    def close_chat(self, ref: ContactRef) -> None:
        """The chat ended: the next customer message starts a new contact.

        The contact rows stay (until their TTL) so late agent or system messages of the
        ended chat are still delivered.
        """
        self.close_chat_of(ref.customer_key, ref.contact_id)

    def close_chat_of(self, customer_key: str, contact_id: str) -> None:
        """Close ``contact_id``; the customer row only if it still points at that contact."""
        now = _n(self.clock())
        self._conditional(
            self.contacts.update_item,
            Key={"pk": f"contact:{contact_id}"},
            UpdateExpression="SET #s = :closed, closed_at = :now",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":closed": "closed", ":now": now},
        )
        self._conditional(
            self.contacts.update_item,
            Key={"pk": customer_key},
            UpdateExpression="SET #s = :closed, closed_at = :now",
            ConditionExpression="contact_id = :contact",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":closed": "closed", ":now": now, ":contact": contact_id},
        )

    def _conditional(self, call: Callable[..., Any], **params: Any) -> bool:
        try:
            call(**params)
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True


def values_keys(before: list[str]) -> list[str]:
    """The placeholder names for the statuses a message may advance from."""
    return [f":b{i}" for i in range(len(before))]


def _chat(customer: Customer, item: dict[str, Any]) -> Chat:
    return Chat(
        customer=customer,
        contact_id=str(item["contact_id"]),
        participant_token=str(item.get("participant_token", "")),
        connection_token=str(item.get("connection_token", "")),
        state=str(item.get("state")),
        last_inbound_at=float(item.get("last_inbound_at", 0)),
    )


def _ref(item: dict[str, Any]) -> ContactRef:
    return ContactRef(
        contact_id=str(item["contact_id"]),
        customer_key=str(item["customer_key"]),
        origination_id=str(item["origination_id"]),
        wa_id=item.get("wa_id"),
        user_id=item.get("user_id"),
        connection_token=str(item.get("connection_token", "")),
        state=str(item.get("state", "open")),
    )


def _expired(item: dict[str, Any], now: float) -> bool:
    # DynamoDB deletes expired items within days, not at once: expiry is checked on read too.
    expires = item.get("expires_at")
    return expires is not None and float(expires) < now


def _n(value: float) -> Decimal:
    """A Number for DynamoDB: whole seconds, as TTL wants them."""
    return Decimal(int(value))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and v != ""}
