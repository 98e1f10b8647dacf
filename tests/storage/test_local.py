from __future__ import annotations

import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cdmx.storage import LocalStore, new_key


def test_put_open_delete_roundtrip(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "secret-key-0123456789")
    key = new_key(".pdf")
    store.put_stream(key, io.BytesIO(b"%PDF-1.4 hola"), "application/pdf")
    with store.open(key) as f:
        assert f.read() == b"%PDF-1.4 hola"
    assert not list(store.path(key).parent.glob(".part-*"))
    store.delete(key)
    store.delete(key)  # gone already: no error
    with pytest.raises(FileNotFoundError):
        store.open(key)


def test_keys_cannot_climb_out_of_the_root(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "secret-key-0123456789")
    for bad in ("../etc/passwd", "2026/01/../../x", "/abs/path", "2026/01/short.jpg"):
        with pytest.raises(ValueError):
            store.path(bad)


def test_signed_links_expire_and_are_bound_to_key_and_message(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, "secret-key-0123456789")
    key, other = new_key(".jpg"), new_key(".jpg")
    url = store.url(key, owner=7, expires_in=60)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert urlsplit(url).path == f"/media/{key}"
    assert store.verify(key, 7, query["exp"], query["sig"])
    assert not store.verify(other, 7, query["exp"], query["sig"])
    assert not store.verify(key, 8, query["exp"], query["sig"])
    assert not store.verify(key, 7, str(int(query["exp"]) + 1), query["sig"])
    stale = store.url(key, owner=7, expires_in=-1)
    q2 = {k: v[0] for k, v in parse_qs(urlsplit(stale).query).items()}
    assert int(q2["exp"]) < time.time()
    assert not store.verify(key, 7, q2["exp"], q2["sig"])
    assert not LocalStore(tmp_path, "another-secret-key-xyz").verify(
        key, 7, query["exp"], query["sig"]
    )
