from __future__ import annotations

import pytest

from cdmx.storage.filetype import MediaRefused, check_outbound, sniff
from tests.media_helpers import jpeg, pdf, png, webp


@pytest.mark.parametrize(
    ("data", "name", "mime"),
    [
        (jpeg(16, 16), "foto.png", "image/jpeg"),  # the name lies; the bytes win
        (png(), "x.jpg", "image/png"),
        (webp(), None, "image/webp"),
        (pdf(), "factura.exe", "application/pdf"),
        (b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead", None, "audio/ogg"),
        (b"\x1a\x45\xdf\xa3rest", None, "audio/webm"),
        (b"\x00\x00\x00\x18ftypisom", None, "video/mp4"),
        (b"\x00\x00\x00\x18ftyp3gp4", None, "video/3gpp"),
        (b"ID3\x03\x00", None, "audio/mpeg"),
        (b"#!AMR\n", None, "audio/amr"),
        (
            b"PK\x03\x04rest",
            "informe.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("Hola, ¿cómo estás?".encode(), "notas.txt", "text/plain"),
        (b"GIF89a\x01\x00", "anim.gif", "image/gif"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "doc.pdf", None),
    ],
)
def test_type_is_sniffed_from_bytes_not_name(data: bytes, name: str | None, mime: str) -> None:
    assert sniff(data, name).mime_type == mime


def test_ogg_opus_is_told_from_other_ogg() -> None:
    assert sniff(b"OggS" + b"\x00" * 24 + b"OpusHead").opus
    assert not sniff(b"OggS" + b"\x00" * 24 + b"\x01vorbis").opus


@pytest.mark.parametrize(
    ("data", "size", "status", "words"),
    [
        (jpeg(16, 16), 5 * 1024 * 1024 + 1, 413, "at most 5 MB"),
        (webp(), 100 * 1024 + 1, 413, "sticker of at most 100 KB"),
        (pdf(), 100 * 1024 * 1024 + 1, 413, "at most 100 MB"),
        (b"\x00\x00\x00\x18ftypisom", 16 * 1024 * 1024 + 1, 413, "at most 16 MB"),
        (b"GIF89a", 10, 415, "does not accept"),
        (pdf(), 0, 422, "empty"),
    ],
)
def test_limits_refuse_with_a_sentence_naming_the_limit(
    data: bytes, size: int, status: int, words: str
) -> None:
    with pytest.raises(MediaRefused) as refused:
        check_outbound(sniff(data), size)
    assert refused.value.status_code == status
    assert words in refused.value.message


def test_within_limits_gives_the_whatsapp_type() -> None:
    assert check_outbound(sniff(jpeg(16, 16)), 5 * 1024 * 1024) == "image"
    assert check_outbound(sniff(webp()), 1000) == "sticker"
    assert check_outbound(sniff(pdf()), 100 * 1024 * 1024) == "document"
    assert check_outbound(sniff(b"\x1a\x45\xdf\xa3"), 1000, voice=True) == "audio"
