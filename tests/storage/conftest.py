"""A real S3 HTTP API on localhost (moto in server mode), started once for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import free_port


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    pytest.importorskip("flask", reason="moto[server] is needed for the S3 tests")
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str) -> Iterator[object]:
    import uuid

    from cdmx.storage.s3 import S3Store

    store = S3Store(f"media-{uuid.uuid4().hex[:12]}", region="us-east-1", endpoint_url=s3_endpoint)
    store.client.create_bucket(Bucket=store.bucket)
    yield store
