"""What a file is, judged from its first bytes (never from its name), and WhatsApp's limits.

``sniff`` reads magic numbers; a name only tells apart the Office formats that share a
container (ZIP for .docx/.xlsx/.pptx, OLE2 for .doc/.xls/.ppt). ``check_outbound`` turns a
sniffed type and a size into the WhatsApp message type or a refusal that names the limit.
Limits are Meta's (reference §5).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdmx.domain.errors import ActionError

HEAD_BYTES = 4096
KB = 1024
MB = 1024 * 1024

# WhatsApp type → bytes. Stickers: 100 KB static, 500 KB animated.
LIMITS = {
    "image": 5 * MB,
    "video": 16 * MB,
    "audio": 16 * MB,
    "document": 100 * MB,
    "sticker": 100 * KB,
    "sticker_animated": 500 * KB,
}
MAX_UPLOAD_BYTES = LIMITS["document"]

IMAGE_TYPES = {"image/jpeg", "image/png"}
VIDEO_TYPES = {"video/mp4", "video/3gpp"}
AUDIO_TYPES = {"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}
DOCUMENT_TYPES = {
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
# Recorded by browsers; converted to OGG/Opus before they are sent as voice notes.
RECORDED_TYPES = {"audio/webm", "audio/ogg", "audio/mp4"}

OOXML = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
OLE2 = {"doc": "application/msword", "xls": "application/vnd.ms-excel",
        "ppt": "application/vnd.ms-powerpoint"}  # fmt: skip
EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4",
    "video/3gpp": ".3gp", "audio/aac": ".aac", "audio/amr": ".amr", "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a", "audio/ogg": ".ogg", "audio/webm": ".webm", "text/plain": ".txt",
    "application/pdf": ".pdf", "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt", **{v: "." + k for k, v in OOXML.items()},
}  # fmt: skip


@dataclass(frozen=True)
class Sniffed:
    """A file's real type: its MIME type and, for WebP, whether it is animated."""

    mime_type: str | None  # None: not a type WhatsApp carries
    animated: bool = False
    opus: bool = False  # an OGG stream whose codec is Opus


class MediaRefused(ActionError):
    """A file WhatsApp would not take; ``status_code`` is 413, 415 or 422."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(code, message)
        self.status_code = status_code


def sniff(head: bytes, filename: str | None = None) -> Sniffed:
    """The type of a file from its first bytes (``HEAD_BYTES`` are plenty)."""
    ext = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        animated = head[12:16] == b"VP8X" and bool(head[20] & 0x02) if len(head) > 20 else False
        return Sniffed("image/webp", animated=animated or b"ANIM" in head[:HEAD_BYTES])
    if head.startswith((b"GIF87a", b"GIF89a")):
        return Sniffed("image/gif")  # WhatsApp takes no GIF: refused, not sent as text
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf")
    if head.startswith(b"OggS"):
        return Sniffed("audio/ogg", opus=b"OpusHead" in head[:HEAD_BYTES])
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("audio/webm")  # Matroska/WebM: what Chrome and Firefox record
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand.startswith(b"3g"):
            return Sniffed("video/3gpp")
        if brand in (b"M4A ", b"M4B "):
            return Sniffed("audio/mp4")
        if brand == b"qt  ":
            return Sniffed(None)  # QuickTime .mov: WhatsApp wants MP4
        return Sniffed("video/mp4")
    if head.startswith(b"#!AMR"):
        return Sniffed("audio/amr")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF2):
        return Sniffed("audio/mpeg")  # ID3 tag, or an MPEG-1/2 layer III frame sync
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Sniffed("audio/aac")  # ADTS
    if head.startswith(b"PK\x03\x04"):
        return Sniffed(OOXML.get(ext))
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Sniffed(OLE2.get(ext, "application/msword"))
    if _is_text(head):
        return Sniffed("text/plain")
    return Sniffed(None)


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the head is still text.
        return exc.start >= len(head) - 3
    return True


# The image, audio and video types ``sniff`` recognises from bytes: the only ones a browser
# is given to show inline (a stored file's type is one of these only when its bytes said so).
INLINE_TYPES = frozenset({
    "image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4", "video/3gpp",
    "audio/ogg", "audio/webm", "audio/mp4", "audio/amr", "audio/mpeg", "audio/aac",
})  # fmt: skip
ATTACHMENT_TYPE = "application/octet-stream"


def recorded_type(sniffed: Sniffed, declared: str | None) -> str:
    """The type to record for a stored file: the sniffed one, else the sender's word for it
    unless that word claims an image, audio or video its bytes did not show."""
    if sniffed.mime_type:
        return sniffed.mime_type
    declared = (declared or ATTACHMENT_TYPE).split(";")[0].strip().lower()
    if declared.startswith(("image/", "audio/", "video/")) or not declared:
        return ATTACHMENT_TYPE
    return declared


def served_as(mime_type: str | None) -> tuple[str, bool]:
    """How a stored file is served: (Content-Type, inline). Inline only for an image, audio
    or video type recognised from its bytes; anything else is a download of
    ``application/octet-stream``, so no browser renders it on the store's origin."""
    if mime_type in INLINE_TYPES:
        return mime_type, True
    return ATTACHMENT_TYPE, False


def whatsapp_type(sniffed: Sniffed) -> str | None:
    """The WhatsApp message type a file of this type is sent as."""
    mime = sniffed.mime_type
    if mime in IMAGE_TYPES:
        return "image"
    if mime == "image/webp":
        return "sticker"
    if mime in VIDEO_TYPES:
        return "video"
    if mime in AUDIO_TYPES:
        return "audio"
    if mime in DOCUMENT_TYPES:
        return "document"
    return None


def limit_for(kind: str, animated: bool = False) -> int:
    """WhatsApp's size limit for this message type, in bytes."""
    return LIMITS["sticker_animated" if kind == "sticker" and animated else kind]


def human_size(size: int) -> str:
    """``5 MB``, ``100 KB``: limits as people read them."""
    if size >= MB:
        return f"{round(size / MB, 1):g} MB"
    return f"{round(size / KB, 1):g} KB"


def check_outbound(sniffed: Sniffed, size: int, *, voice: bool = False) -> str:
    """The WhatsApp type to send this file as; MediaRefused (413/415/422) if WhatsApp won't."""
    if size == 0:
        raise MediaRefused(422, "empty_file", "The file is empty.")
    if voice and sniffed.mime_type in RECORDED_TYPES:
        kind = "audio"
    else:
        found = whatsapp_type(sniffed)
        if found is None:
            raise MediaRefused(
                415, "unsupported_media_type",
                "WhatsApp does not accept this type of file. Send images as JPEG or PNG, "
                "video as MP4 or 3GPP, audio as AAC, AMR, MP3, M4A or OGG/Opus, stickers as "
                "WebP, documents as PDF, TXT or Office files.",
            )  # fmt: skip
        kind = found
    limit = limit_for(kind, sniffed.animated)
    if size > limit:
        label = {"sticker": "an animated sticker" if sniffed.animated else "a sticker"}.get(
            kind, f"a{'n' if kind[0] in 'aeiou' else ''} {kind}"
        )
        raise MediaRefused(
            413, "file_too_large",
            f"The file is {human_size(size)}; WhatsApp accepts {label} of at most "
            f"{human_size(limit)}.",
        )  # fmt: skip
    return kind
