"""Files between WhatsApp and Amazon Connect chat: which types pass, and voice-note conversion.

Connect chat accepts attachments of these types only (its "feature specifications" page):
.csv .doc .docx .heic .jfif .jpeg .jpg .mov .mp4 .pdf .png .ppt .pptx .rtf .txt .wav .xls
.xlsx, up to 20 MB. WhatsApp voice notes are OGG/Opus and other audio is AAC, MP3 or AMR,
none of which Connect takes, so audio is converted to 16 kHz mono PCM WAV with ``ffmpeg``.
Without ffmpeg on the PATH (a Lambda layer provides it) the agent gets a text note instead of
the audio. Stickers (WebP) and other types Connect refuses become a text description.
"""

from __future__ import annotations

import logging
import mimetypes
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
CONVERT_TIMEOUT_SECONDS = 30

# MIME type → the extension Connect recognises.
CONNECT_TYPES = {
    "text/csv": ".csv",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "image/heic": ".heic",
    "image/jpeg": ".jpg",
    "video/quicktime": ".mov",
    "video/mp4": ".mp4",
    "application/pdf": ".pdf",
    "image/png": ".png",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/rtf": ".rtf",
    "text/rtf": ".rtf",
    "text/plain": ".txt",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}

AudioConverter = Callable[[bytes], bytes | None]


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes


def base_type(mime_type: str) -> str:
    """``audio/ogg; codecs=opus`` → ``audio/ogg``."""
    return mime_type.split(";", 1)[0].strip().lower()


def for_connect(
    *, kind: str, mime_type: str, data: bytes, filename: str | None, stem: str,
    convert_audio: AudioConverter,
) -> Attachment | None:  # fmt: skip
    """The file as Connect can take it, or None when it cannot be shown there."""
    if len(data) == 0 or len(data) > MAX_ATTACHMENT_BYTES:
        return None
    mime = base_type(mime_type)
    if mime.startswith("audio/") and mime not in ("audio/wav", "audio/x-wav", "audio/wave"):
        wav = convert_audio(data)
        if wav is None or len(wav) > MAX_ATTACHMENT_BYTES:
            return None
        return Attachment(name=f"{stem}.wav", content_type="audio/wav", data=wav)
    extension = CONNECT_TYPES.get(mime)
    if extension is None:
        return None
    name = filename if filename and _extension_ok(filename) else f"{stem}{extension}"
    return Attachment(name=name, content_type=mime, data=data)


def whatsapp_media_type(mime_type: str) -> str:
    """Which WhatsApp message type carries a file of this MIME type."""
    mime = base_type(mime_type)
    if mime in ("image/jpeg", "image/png"):
        return "image"
    if mime in ("video/mp4", "video/3gpp"):
        return "video"
    if mime in ("audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg"):
        return "audio"
    return "document"


def extension_for(mime_type: str) -> str:
    """A file extension for a MIME type (``.bin`` when unknown)."""
    mime = base_type(mime_type)
    return CONNECT_TYPES.get(mime) or mimetypes.guess_extension(mime) or ".bin"


def _extension_ok(filename: str) -> bool:
    lowered = filename.lower()
    return any(lowered.endswith(ext) for ext in set(CONNECT_TYPES.values()) | {".jpeg", ".jfif"})


def ffmpeg_converter(binary: str | None = None) -> AudioConverter:
    """An AudioConverter running ffmpeg (found on the PATH unless given)."""

    def convert(data: bytes) -> bytes | None:
        path = binary or shutil.which("ffmpeg")
        if path is None:
            log.warning("ffmpeg is not installed: audio goes to the agent as a text note")
            return None
        # Written to a file, not a pipe: through a pipe ffmpeg cannot go back to fill in the
        # RIFF sizes, and a WAV with unknown sizes is not one every player accepts.
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "voice.wav"
            try:
                result = subprocess.run(
                    [path, "-hide_banner", "-loglevel", "error", "-i", "pipe:0",
                     "-ac", "1", "-ar", "16000", "-acodec", "pcm_s16le", "-y", str(target)],
                    input=data, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS,
                    check=False,
                )  # fmt: skip
            except (OSError, subprocess.TimeoutExpired) as exc:
                log.warning("ffmpeg could not convert a voice note: %s", exc)
                return None
            if result.returncode != 0 or not target.exists():
                log.warning("ffmpeg failed: %s", result.stderr.decode(errors="replace")[:300])
                return None
            return target.read_bytes() or None

    return convert
