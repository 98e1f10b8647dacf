"""Files for Connect chat: which types pass, and voice notes really converted by ffmpeg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from cdmx.aws.media import ffmpeg_converter, for_connect, whatsapp_media_type


def _never(data: bytes) -> bytes | None:
    raise AssertionError("no conversion expected")


def test_connect_types_pass_unchanged_and_others_do_not() -> None:
    photo = for_connect(
        kind="image",
        mime_type="image/jpeg",
        data=b"x",
        filename=None,
        stem="s",
        convert_audio=_never,
    )
    assert photo is not None and (photo.name, photo.content_type) == ("s.jpg", "image/jpeg")
    doc = for_connect(
        kind="document",
        mime_type="application/pdf",
        data=b"x",
        filename="factura.pdf",
        stem="s",
        convert_audio=_never,
    )
    assert doc is not None and doc.name == "factura.pdf"
    sticker = for_connect(
        kind="sticker",
        mime_type="image/webp",
        data=b"x",
        filename=None,
        stem="s",
        convert_audio=_never,
    )
    assert sticker is None
    too_big = for_connect(
        kind="image",
        mime_type="image/png",
        data=b"x" * (20 * 1024 * 1024 + 1),
        filename=None,
        stem="s",
        convert_audio=_never,
    )
    assert too_big is None


def test_whatsapp_media_type_by_mime() -> None:
    assert [
        whatsapp_media_type(m)
        for m in ("image/png", "video/mp4", "audio/mpeg", "application/pdf", "image/webp")
    ] == [
        "image",
        "video",
        "audio",
        "document",
        "document",
    ]


def test_without_ffmpeg_the_converter_gives_nothing(tmp_path: Path) -> None:
    assert ffmpeg_converter(str(tmp_path / "no-ffmpeg"))(b"OggS") is None


@pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is not installed (apt-get install ffmpeg)"
)
def test_a_real_opus_voice_note_becomes_a_16khz_mono_wav(tmp_path: Path) -> None:
    source = tmp_path / "voice.ogg"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
         "-c:a", "libopus", "-ar", "48000", str(source)],
        check=True,
    )  # fmt: skip
    wav = ffmpeg_converter()(source.read_bytes())
    assert wav is not None and wav[:4] == b"RIFF" and wav[8:12] == b"WAVE"
    channels = int.from_bytes(wav[22:24], "little")
    rate = int.from_bytes(wav[24:28], "little")
    assert (channels, rate) == (1, 16000)
    assert int.from_bytes(wav[4:8], "little") == len(wav) - 8  # sizes filled in


def test_garbage_audio_is_not_converted() -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is not installed")
    assert ffmpeg_converter()(b"definitely not audio") is None
