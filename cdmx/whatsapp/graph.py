"""The Graph API client: one httpx.AsyncClient, an injectable transport, typed errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from cdmx.whatsapp.errors import GraphError, Retryable, error_from_response

# Template sends can take long; a read timeout after Meta accepted would lose the wamid and
# invite a duplicate on retry, so the read timeout is generous.
TIMEOUT = httpx.Timeout(connect=5.0, read=25.0, write=5.0, pool=2.0)


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None  # the canonical id Meta reports for the recipient


class GraphClient:
    """Calls the WhatsApp Cloud API (or the simulator) on behalf of a business number."""

    def __init__(
        self,
        base_url: str,
        version: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.version = version
        self._http = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}/{version}", transport=transport, timeout=TIMEOUT
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send_message(
        self, phone_number_id: str, token: str, body: dict[str, Any]
    ) -> SendResult:
        """POST /{phone_number_id}/messages; raise a GraphError subclass on failure."""
        data = await self._post(f"/{phone_number_id}/messages", token, body)
        messages = data.get("messages") if isinstance(data, dict) else None
        first = messages[0] if isinstance(messages, list) and messages else None
        if not isinstance(first, dict) or not first.get("id"):
            raise Retryable("the Graph API answered without a message id")
        # The wamid is what matters; a malformed contacts list must not turn an accepted
        # message into an error (a retry would send it twice).
        contacts = data.get("contacts")
        contact = contacts[0] if isinstance(contacts, list) and contacts else None
        wa_id = contact.get("wa_id") if isinstance(contact, dict) else None
        return SendResult(wamid=str(first["id"]), wa_id=wa_id if isinstance(wa_id, str) else None)

    async def mark_read(self, phone_number_id: str, token: str, wamid: str) -> None:
        """Tell WhatsApp the business read a message (blue ticks for the customer)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self._post(f"/{phone_number_id}/messages", token, body)

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._http.post(
                path, json=body, headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TimeoutException as exc:
            raise Retryable(f"the Graph API did not answer in time ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach the Graph API ({type(exc).__name__}: {exc})") from exc
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and isinstance(data, dict) and "error" not in data:
            return data
        raise error_from_response(response.status_code, data)


__all__ = ["GraphClient", "GraphError", "SendResult"]
