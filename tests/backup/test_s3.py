"""Backups to and from S3, of a media store in S3 (moto's S3 API on localhost)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.storage import new_key
from cdmx.storage.s3 import S3Store
from tests.backup.conftest import table_counts
from tests.storage.conftest import s3_endpoint  # noqa: F401 - the session's S3 server


@pytest.fixture
def s3_env(
    s3_endpoint: str,  # noqa: F811
    settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> S3Store:  # fmt: skip
    """The CLI's environment with the media store in a fresh bucket; that store."""
    bucket = f"media-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CDMX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("S3_BUCKET_MEDIA", bucket)
    monkeypatch.setenv("S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    store = S3Store(bucket, region="us-east-1", endpoint_url=s3_endpoint)
    store.client.create_bucket(Bucket=bucket)
    return store


def objects(store: S3Store, prefix: str = "") -> dict[str, bytes]:
    listing = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix)
    return {
        item["Key"]: store.client.get_object(Bucket=store.bucket, Key=item["Key"])["Body"].read()
        for item in listing.get("Contents", [])
    }


def test_a_backup_in_s3_of_an_s3_media_store_verifies_and_restores_into_a_new_bucket(
    s3_env: S3Store, db: Database, make_user: Callable[..., User], settings: Settings,
    restore_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    make_user()
    files = {new_key(".jpg"): uuid.uuid4().bytes * 4000 for _ in range(3)}
    for key, data in files.items():
        s3_env.put_stream(key, io.BytesIO(data), "image/jpeg")
    backups = f"backups-{uuid.uuid4().hex[:8]}"
    s3_env.client.create_bucket(Bucket=backups)
    target = f"s3://{backups}/cdmx/2026-12-04"

    assert main(["backup", "--to", target]) == 0
    stored: Any = S3Store(
        backups, region="us-east-1", endpoint_url=str(s3_env.client.meta.endpoint_url)
    )
    kept = objects(stored, "cdmx/2026-12-04/")
    assert "cdmx/2026-12-04/manifest.json" in kept
    assert {
        k.removeprefix("cdmx/2026-12-04/media/"): v for k, v in kept.items() if "/media/" in k
    } == files
    head = stored.client.head_object(Bucket=backups, Key="cdmx/2026-12-04/manifest.json")
    assert head["ServerSideEncryption"] == "AES256"

    assert main(["backup", "verify", "--from", target]) == 0
    assert "backup verified" in capsys.readouterr().out

    new_bucket = f"restored-{uuid.uuid4().hex[:8]}"  # not created yet: restore makes it
    monkeypatch.setenv("S3_BUCKET_MEDIA", new_bucket)
    monkeypatch.setenv("CDMX_DATABASE_URL", restore_url)
    assert main(["restore", "--from", target]) == 0
    assert table_counts(restore_url) == table_counts(settings.database_url)
    assert (
        objects(
            S3Store(
                new_bucket, region="us-east-1", endpoint_url=str(s3_env.client.meta.endpoint_url)
            )
        )
        == files
    )

    capsys.readouterr()
    assert main(["backup", "--to", target]) == 3  # that prefix holds a backup already
    assert "is not empty" in capsys.readouterr().err
