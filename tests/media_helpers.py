"""Files and payloads for the media tests: real JPEG/PNG/WebP/MP4/WebM bytes, made here."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select

from cdmx.actions.inbound import do_record_inbound_message
from cdmx.actions.media import do_register_inbound_media
from cdmx.db.engine import Database
from cdmx.db.tables import Channel, Message
from cdmx.whatsapp.payload import parse_update
from tests.factories import envelope

_ids = itertools.count(1)
HAS_FFMPEG = shutil.which("ffmpeg") is not None


def jpeg(
    width: int = 640, height: int = 480, *, orientation: int | None = None, gps: bool = False
) -> bytes:
    """A JPEG photo; with EXIF orientation and a GPS position when asked."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, width // 2, height // 4))  # a mark: top-left is blue
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (19.0, 25.0, 57.0)}
    exif[0x010F] = "CameraMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 64, height: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 0, 128)).save(out, "PNG")
    return out.getvalue()


def noisy_png(size_bytes: int) -> bytes:
    """A PNG of at least ``size_bytes`` (random pixels do not compress)."""
    import os

    side = int((size_bytes / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def webp(*, size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (size, size), (255, 200, 0, 255)).save(out, "WEBP")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ffmpeg_file(tmp_path: Path, name: str, *args: str) -> bytes:
    target = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *args, str(target)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return target.read_bytes()


def mp4(tmp_path: Path) -> bytes:
    return ffmpeg_file(
        tmp_path, "clip.mp4", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=1",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "faststart",
    )  # fmt: skip


def webm_voice(tmp_path: Path) -> bytes:
    """What Chrome's MediaRecorder makes: Opus in WebM."""
    return ffmpeg_file(
        tmp_path, "voice.webm", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
        "-c:a", "libopus", "-f", "webm",
    )  # fmt: skip


def ogg_voice(tmp_path: Path) -> bytes:
    return ffmpeg_file(
        tmp_path, "voice.ogg", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
        "-c:a", "libopus", "-ac", "1",
    )  # fmt: skip


def sha_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def media_webhook(
    kind: str,
    media_id: str,
    *,
    mime_type: str,
    sha256: str | None = None,
    timestamp: int | None = None,
    wa_id: str = "5215512345678",
    **fields: Any,
) -> dict[str, Any]:
    """A webhook with one inbound media message."""
    body: dict[str, Any] = {"id": media_id, "mime_type": mime_type, **fields}
    if sha256:
        body["sha256"] = sha256
    return envelope(
        {
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": f"wamid.MEDIA{next(_ids)}.{time.time_ns()}",
                    "timestamp": str(timestamp or int(time.time())),
                    "type": kind,
                    kind: body,
                }
            ],
        }
    )


def record_inbound(db: Database, payload: dict[str, Any]) -> Message:
    """Process a webhook's message the way the inbox does, registering its media."""
    update = parse_update(json.dumps(payload).encode())
    with db.write() as session:
        channel = session.scalar(select(Channel))
        assert channel is not None
        message = do_record_inbound_message(session, channel, update.messages[0])
        assert message is not None
        do_register_inbound_media(session, message)  # idempotent once wired into the inbox
        return message
