"""Media as Meta's Cloud API serves it: upload, ``GET /{media-id}`` with a download URL that
expires after 5 minutes and needs the bearer token, the download itself, delete; plus the
phone page's side (a customer sends a photo, document or voice note; sees the files sent).

The files themselves, and how long their ids last, are in ``cdmx.simulator.vault``.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cdmx.simulator.graph_errors import GraphError, check_path, invalid
from cdmx.simulator.inbound import Inbound
from cdmx.simulator.phone_api import DEFAULT_NAME, error_response, wa_id_from
from cdmx.simulator.vault import MediaVault
from cdmx.storage.filetype import HEAD_BYTES, LIMITS, limit_for, sniff, whatsapp_type

URL_SECONDS = 5 * 60
MAX_PHONE_FILE = LIMITS["document"]


def media_routes() -> list[Route]:
    """The Graph API media routes and the phone page's media routes."""
    return [
        Route("/phone/api/media", phone_send_media, methods=["POST"]),
        Route("/phone/api/media/{media_id}", phone_file, methods=["GET"]),
        Route("/_sim/download/{media_id}", download, methods=["GET"]),
        Route("/{version}/{phone_number_id}/media", upload, methods=["POST"]),
        Route("/{version}/{media_id}", get_media, methods=["GET"]),
        Route("/{version}/{media_id}", delete_media, methods=["DELETE"]),
    ]


def _vault(request: Request) -> MediaVault:
    vault: MediaVault = request.app.state.simulator.media
    return vault


async def upload(request: Request) -> Response:
    """``POST /{version}/{phone-number-id}/media``: multipart file, type, messaging_product."""
    sim = request.app.state.simulator
    await sim.faults.delay()
    try:
        check_path(request, sim, "phone_number_id", sim.config.phone_number_id, "post")
        async with request.form(max_files=1) as form:
            if form.get("messaging_product") != "whatsapp":
                raise invalid("The parameter messaging_product is required.")
            file = form.get("file")
            declared = form.get("type")
            if not isinstance(file, UploadFile):
                raise invalid("The parameter file is required.")
            if not isinstance(declared, str) or not declared:
                raise invalid("The parameter type is required.")
            data = await file.read()
            filename = file.filename
        sniffed = sniff(data[:HEAD_BYTES], filename)
        kind = whatsapp_type(sniffed)
        if kind is None or sniffed.mime_type != declared.split(";")[0].strip():
            raise GraphError(
                131053, "Media upload error", details=f"Unsupported or mismatched type {declared}"
            )
        if len(data) > limit_for(kind, sniffed.animated):
            raise GraphError(
                131053, "Media upload error",
                details=f"The {kind} is {len(data)} bytes, over the {kind} limit",
            )  # fmt: skip
    except GraphError as error:
        return error.response()
    file_ = _vault(request).add(data, declared, filename=filename)
    return JSONResponse({"id": file_.id})


async def get_media(request: Request) -> Response:
    """``GET /{version}/{media-id}``: a download URL valid 5 minutes, and the file's facts."""
    sim = request.app.state.simulator
    await sim.faults.delay()
    media_id = request.path_params["media_id"]
    try:
        file = _vault(request).get(media_id)
        check_path(request, sim, "media_id", file.id if file else "", "get")
        if file is None:
            raise GraphError(100, "(#100) Invalid media id")
    except GraphError as error:
        return error.response()
    expires = int(sim.clock()) + URL_SECONDS
    signature = _vault(request).sign(media_id, expires)
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "messaging_product": "whatsapp",
            "url": f"{base}/_sim/download/{media_id}?ext={expires}&hash={signature}",
            "mime_type": file.mime_type,
            "sha256": file.sha256_hex,
            "file_size": len(file.data),
            "id": media_id,
        }
    )


async def delete_media(request: Request) -> Response:
    sim = request.app.state.simulator
    media_id = request.path_params["media_id"]
    vault = _vault(request)
    try:
        check_path(request, sim, "media_id", media_id if vault.get(media_id) else "", "delete")
    except GraphError as error:
        return error.response()
    vault.files.pop(media_id, None)
    return JSONResponse({"success": True})


async def download(request: Request) -> Response:
    """The download URL: needs the token and an unexpired signature, like Meta's."""
    sim = request.app.state.simulator
    vault = _vault(request)
    await sim.faults.delay()
    media_id = request.path_params["media_id"]
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), sim.config.access_token.encode()
    ):
        return Response("Unauthorized", status_code=401)
    expires = request.query_params.get("ext", "")
    signature = request.query_params.get("hash", "")
    file = vault.get(media_id)
    if (
        file is None
        or not expires.isdigit()
        or int(expires) < sim.clock()
        or not hmac.compare_digest(vault.sign(media_id, int(expires)), signature)
    ):
        return Response("Not Found", status_code=404)
    vault.downloads += 1
    return Response(file.data, media_type=file.mime_type)


async def phone_file(request: Request) -> Response:
    """A file for the phone page to show (the customer's own or one the business sent)."""
    file = _vault(request).files.get(request.path_params["media_id"])
    if file is None:
        return Response("Not Found", status_code=404)
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
    return Response(file.data, media_type=file.mime_type, headers=headers)


async def phone_send_media(request: Request) -> Response:
    """The customer sends a file: multipart ``wa_id``, ``name``, ``file``, ``caption``,
    ``voice`` ("true": a recorded voice note). → ``{wamid, wa_id, media_id}``."""
    sim = request.app.state.simulator
    async with request.form(max_files=1) as form:
        wa_id = wa_id_from(form.get("wa_id"))
        name = form.get("name") or DEFAULT_NAME
        caption = form.get("caption")
        voice = str(form.get("voice") or "").lower() == "true"
        file = form.get("file")
        if wa_id is None:
            return error_response("invalid_wa_id", "wa_id must be a phone number of 8 to 15 digits")
        if not isinstance(file, UploadFile):
            return error_response("invalid_file", "file is required")
        data = await file.read(MAX_PHONE_FILE + 1)
        filename = file.filename
    if not data or len(data) > MAX_PHONE_FILE:
        return error_response("invalid_file", "file must be 1 byte to 100 MB")
    sniffed = sniff(data[:HEAD_BYTES], filename)
    kind = whatsapp_type(sniffed)
    if voice and sniffed.mime_type in ("audio/ogg", "audio/webm", "audio/mp4"):
        kind = "audio"
    if kind is None or sniffed.mime_type is None:
        return error_response("unsupported_file", "WhatsApp would not send this type of file")
    mime = sniffed.mime_type
    if mime == "audio/ogg" and voice:
        mime = "audio/ogg; codecs=opus"
    stored = _vault(request).add(data, mime, filename=filename, inbound=True)
    body: dict[str, Any] = {"id": stored.id, "mime_type": mime, "sha256": stored.sha256_b64}
    text_caption = caption if isinstance(caption, str) and caption.strip() else None
    if text_caption and kind in ("image", "video", "document"):
        body["caption"] = text_caption
    if kind == "document":
        body["filename"] = filename or "documento"
    if kind == "audio":
        body["voice"] = voice
    if kind == "sticker":
        body["animated"] = sniffed.animated
    label = text_caption or body.get("filename") or f"[{kind}]"
    inbound = Inbound(kind, {kind: body}, str(label))
    wamid = await sim.customer_sends(wa_id, str(name), inbound, wait=False)
    return JSONResponse({"wamid": wamid, "wa_id": wa_id, "media_id": stored.id})
