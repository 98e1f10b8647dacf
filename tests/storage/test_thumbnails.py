from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from cdmx.storage.thumbnails import image_thumbnail, video_poster
from tests.media_helpers import HAS_FFMPEG, jpeg, mp4, png


def test_thumbnail_honours_exif_orientation_and_strips_metadata(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(1200, 800, orientation=6, gps=True))  # rotated 90° on the phone
    thumbnail = image_thumbnail(path)
    assert thumbnail is not None
    assert (thumbnail.width, thumbnail.height) == (800, 1200)  # the right way up
    image = Image.open(io.BytesIO(thumbnail.data))
    assert image.format == "JPEG"
    assert image.height > image.width and max(image.size) <= 480
    assert not image.getexif()  # no GPS, no camera
    assert "exif" not in image.info


def test_transparent_png_keeps_its_alpha(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    path.write_bytes(png(600, 300))
    thumbnail = image_thumbnail(path)
    assert thumbnail is not None and thumbnail.content_type == "image/png"
    assert (thumbnail.width, thumbnail.height) == (600, 300)


def test_unreadable_image_has_no_thumbnail(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff" + b"garbage" * 10)
    assert image_thumbnail(path) is None


@pytest.mark.skipif(not HAS_FFMPEG, reason="ffmpeg is not installed")
def test_video_gets_a_poster_frame(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(mp4(tmp_path))
    poster = video_poster(path)
    assert poster is not None and (poster.width, poster.height) == (320, 240)


def test_without_ffmpeg_a_video_has_no_poster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cdmx.storage.thumbnails.shutil.which", lambda _name: None)
    assert video_poster(tmp_path / "clip.mp4") is None
