"""Storing a local file in the media store: sniffed, thumbnailed, hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cdmx.storage import LocalStore
from cdmx.storage.stored import hash_file, store_file
from tests.media_helpers import HAS_FFMPEG, mp4, png


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "media", "test-secret-key-0123456789")


def test_an_image_is_stored_under_its_sniffed_type_with_a_thumbnail(
    tmp_path: Path, store: LocalStore
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(png(800, 600))
    stored = store_file(store, path, "ab", declared_type="application/octet-stream", kind="image")
    assert stored.mime_type == "image/png" and stored.key.endswith(".png")
    assert stored.thumbnail_key and stored.keys == [stored.key, stored.thumbnail_key]
    with store.open(stored.key) as f:
        assert f.read() == path.read_bytes()
    assert stored.size == path.stat().st_size and stored.sha256 == "ab"


def test_a_document_keeps_its_name_and_gets_no_thumbnail(tmp_path: Path, store: LocalStore) -> None:
    path = tmp_path / "upload"
    path.write_bytes(b"plain words, not a picture")
    stored = store_file(
        store, path, "cd", declared_type="text/plain", kind="document", filename="notas.txt"
    )
    assert stored.filename == "notas.txt" and stored.thumbnail_key is None
    assert stored.keys == [stored.key]


@pytest.mark.skipif(not HAS_FFMPEG, reason="ffmpeg is not installed")
def test_video_is_stored_with_a_poster_frame(tmp_path: Path, store: LocalStore) -> None:
    path = tmp_path / "in.mp4"
    path.write_bytes(mp4(tmp_path))
    stored = store_file(store, path, "00", declared_type="video/mp4", kind="video")
    assert stored.mime_type == "video/mp4" and stored.thumbnail_key
    assert (stored.width, stored.height) == (320, 240)


def test_hash_file_is_the_hex_sha256_of_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "big"
    data = bytes(range(256)) * 9000  # more than one read of a megabyte
    path.write_bytes(data)
    assert hash_file(path) == hashlib.sha256(data).hexdigest()
