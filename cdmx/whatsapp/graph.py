"""The Graph API client: one httpx.AsyncClient, an injectable transport, typed errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, BinaryIO

import httpx

from cdmx.whatsapp.errors import GraphError, Permanent, Retryable, error_from_response

# Template sends can take long; a read timeout after Meta accepted would lose the wamid and
# invite a duplicate on retry, so the read timeout is generous.
TIMEOUT = httpx.Timeout(connect=5.0, read=25.0, write=5.0, pool=2.0)
# Template listing: Meta's pages default to 25 rows; 100 keeps a large account to a few calls.
TEMPLATE_PAGE_SIZE = 100
TEMPLATE_FIELDS = "id,name,language,status,category,parameter_format,components"
MAX_TEMPLATE_PAGES = 200  # 20,000 templates: far above Meta's per-account cap, so a loop guard


@dataclass(frozen=True)
class SendResult:
    wamid: str
    wa_id: str | None  # the canonical id Meta reports for the recipient


@dataclass(frozen=True)
class MediaInfo:
    """What ``GET /{media-id}`` tells: a download URL valid for 5 minutes, and the file's facts."""

    url: str
    mime_type: str | None
    sha256: str | None
    file_size: int | None


@dataclass(frozen=True)
class Downloaded:
    size: int
    sha256: bytes  # the raw digest
    content_type: str | None


class TooLarge(Permanent):
    """A download went past the size the caller allowed."""


# Uploads and downloads move up to 100 MB: the read/write timeouts are per chunk, not total.
MEDIA_TIMEOUT = httpx.Timeout(connect=5.0, read=60.0, write=60.0, pool=5.0)


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

    async def send_typing(self, phone_number_id: str, token: str, wamid: str) -> None:
        """Show "typing…" to the customer (it also marks ``wamid`` read; gone after 25 s)."""
        body = {
            "messaging_product": "whatsapp", "status": "read", "message_id": wamid,
            "typing_indicator": {"type": "text"},
        }  # fmt: skip
        await self._post(f"/{phone_number_id}/messages", token, body)

    async def mark_read(self, phone_number_id: str, token: str, wamid: str) -> None:
        """Tell WhatsApp the business read a message (blue ticks for the customer)."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
        await self._post(f"/{phone_number_id}/messages", token, body)

    async def list_templates(
        self, waba_id: str, token: str, *, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of GET /{waba_id}/message_templates: the templates and the next cursor."""
        params = {"limit": str(TEMPLATE_PAGE_SIZE), "fields": TEMPLATE_FIELDS}
        if after:
            params["after"] = after
        data = await self._request("GET", f"/{waba_id}/message_templates", token, params=params)
        rows = data.get("data")
        templates = [t for t in rows if isinstance(t, dict)] if isinstance(rows, list) else []
        paging = data.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        cursor = cursors.get("after") if isinstance(cursors, dict) else None
        # Meta leaves ``next`` out on the last page (the ``after`` cursor is still there).
        more = bool(paging.get("next")) and isinstance(cursor, str) and bool(cursor)
        return templates, cursor if more else None

    async def all_templates(self, waba_id: str, token: str) -> list[dict[str, Any]]:
        """Every template of the business account, following the pages to the end."""
        templates: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_TEMPLATE_PAGES):
            page, after = await self.list_templates(waba_id, token, after=after)
            templates += page
            if after is None:
                return templates
        raise Retryable(f"more than {MAX_TEMPLATE_PAGES} pages of templates; stopped")

    async def upload_media(
        self,
        phone_number_id: str,
        token: str,
        data: bytes | BinaryIO,
        mime_type: str,
        filename: str,
    ) -> str:
        """POST /{phone_number_id}/media (multipart); returns the media id to send by."""
        form = {"messaging_product": "whatsapp", "type": mime_type}
        files = {"file": (filename, data, mime_type)}
        response = await self._request(
            "POST", f"/{phone_number_id}/media", token, data=form, files=files,
            timeout=MEDIA_TIMEOUT,
        )  # fmt: skip
        media_id = response.get("id")
        if not isinstance(media_id, str | int) or not str(media_id):
            raise Retryable("the Graph API answered the upload without a media id")
        return str(media_id)

    async def get_media_url(
        self, media_id: str, token: str, *, phone_number_id: str | None = None
    ) -> MediaInfo:
        """GET /{media_id}: a fresh download URL (valid 5 minutes) and the file's facts."""
        params = {"phone_number_id": phone_number_id} if phone_number_id else None
        data = await self._request("GET", f"/{media_id}", token, params=params)
        url = data.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise Retryable("the Graph API answered without a media URL")
        size = data.get("file_size")
        if isinstance(size, str) and size.isdigit():
            size = int(size)
        return MediaInfo(
            url=url,
            mime_type=data.get("mime_type") if isinstance(data.get("mime_type"), str) else None,
            sha256=data.get("sha256") if isinstance(data.get("sha256"), str) else None,
            file_size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        )

    async def download(self, url: str, token: str, out: BinaryIO, *, max_bytes: int) -> Downloaded:
        """Stream a media URL into ``out`` with the bearer token; TooLarge past ``max_bytes``."""
        digest = hashlib.sha256()
        size = 0
        try:
            async with self._http.stream(
                "GET", url, headers={"Authorization": f"Bearer {token}"}, timeout=MEDIA_TIMEOUT
            ) as response:
                if not response.is_success:
                    await response.aread()
                    try:
                        data = response.json()
                    except ValueError:
                        data = None
                    raise error_from_response(response.status_code, data)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise TooLarge(f"the file is {declared} bytes; at most {max_bytes} accepted")
                async for chunk in response.aiter_bytes(256 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"the file is over {max_bytes} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                content_type = response.headers.get("content-type")
        except httpx.TimeoutException as exc:
            raise Retryable(f"the media download timed out ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not download the media ({type(exc).__name__}: {exc})") from exc
        return Downloaded(size=size, sha256=digest.digest(), content_type=content_type)

    async def _request(self, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            response = await self._http.request(method, path, headers=headers, **kwargs)
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

    async def _post(self, path: str, token: str, body: dict[str, Any]) -> Any:
        return await self._request("POST", path, token, json=body)


__all__ = ["Downloaded", "GraphClient", "GraphError", "MediaInfo", "SendResult", "TooLarge"]
