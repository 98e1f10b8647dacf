"""Thumbnails: Pillow for images and stickers, ffmpeg for a video's poster frame.

A thumbnail is a new image drawn from the pixels only, so the original's EXIF (GPS position,
camera, date) never reaches it; EXIF orientation is applied first so a phone photo is the
right way up. JPEGs are decoded at reduced scale (``draft``), which keeps a 5 MB photo's
thumbnail in tens of milliseconds instead of hundreds. Without ffmpeg on the PATH a video
simply has no poster frame (the console shows a generic video tile).
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = (480, 480)
FFMPEG_TIMEOUT_SECONDS = 30
# Past this many pixels a "photo" is a decompression bomb, not something to thumbnail.
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    content_type: str
    width: int  # of the original, right way up
    height: int


def image_thumbnail(path: Path | str) -> Thumbnail | None:
    """A JPEG (or PNG, when transparent) thumbnail of an image file, or None if unreadable."""
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            if image.format == "JPEG":
                image.draft("RGB", (THUMBNAIL_SIZE[0] * 2, THUMBNAIL_SIZE[1] * 2))
            image.seek(0)  # first frame of an animation
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
                upright.convert("RGBA").save(out, "PNG", optimize=True)
                return Thumbnail(out.getvalue(), "image/png", width, height)
            upright.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
            return Thumbnail(out.getvalue(), "image/jpeg", width, height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("no thumbnail for %s: %s", path, exc)
        return None


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def video_poster(path: Path | str) -> Thumbnail | None:
    """A thumbnail of a video's first frame, or None without ffmpeg or a decodable frame."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        frame = Path(folder) / "poster.png"
        try:
            subprocess.run(
                [ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(path), "-frames:v", "1",
                 "-an", str(frame)],
                check=True, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS,
            )  # fmt: skip
        except (subprocess.SubprocessError, OSError) as exc:
            log.info("no poster frame for %s: %s", path, exc)
            return None
        if not frame.exists():
            return None
        return image_thumbnail(frame)


class ConversionUnavailable(RuntimeError):
    """ffmpeg is not installed, so a recorded voice note cannot become OGG/Opus."""


def to_ogg_opus(source: Path | str, target: Path | str) -> None:
    """Convert recorded audio (WebM/Opus, MP4/AAC, OGG/Vorbis) to mono OGG/Opus."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ConversionUnavailable("ffmpeg is not installed")
    try:
        subprocess.run(
            [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source), "-vn",
             "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", "32k",
             "-application", "voip", "-f", "ogg", str(target)],
            check=True, capture_output=True, timeout=FFMPEG_TIMEOUT_SECONDS,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise ValueError(exc.stderr.decode(errors="replace").strip()[-300:]) from exc
