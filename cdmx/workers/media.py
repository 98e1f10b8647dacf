"""The media fetcher, the retention sweep, and the upload that precedes a file's send.

Inbound: claim pending rows (a lease, like the outbox) → ``GET /{media-id}`` for a fresh URL
(valid 5 minutes) → download it with the bearer token, streaming to a temporary file and
stopping at the type's size limit → check size and sha256 (Meta gives base64 or hex) →
sniff the real type → thumbnail (images, stickers) or poster frame (video, with ffmpeg) →
store → ``message.updated``. Failures retry with backoff; a media id Meta no longer has
(404 or error 100 once its 7 days are over) is marked "expired", never left spinning.

Outbound: ``prepare_media_send`` uploads the stored file (``POST /{phone-number-id}/media``)
and returns the send body with the media id; the id is kept so a retried send reuses it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from cdmx.actions.media import (
    FetchJob,
    claim_media,
    do_mark_media_deleted,
    do_record_media_failure,
    do_record_media_stored,
    do_record_uploaded_media_id,
    expired_media,
    is_gone_for_good,
)
from cdmx.actions.outbox import SendJob
from cdmx.db.engine import Database
from cdmx.db.tables import Media
from cdmx.domain.sealing import Sealer
from cdmx.storage.base import MediaStore
from cdmx.storage.filetype import EXTENSIONS, LIMITS, limit_for
from cdmx.storage.stored import StoredFile, store_file
from cdmx.whatsapp.content import MEDIA_TYPES
from cdmx.whatsapp.errors import GraphError, Permanent, Retryable
from cdmx.whatsapp.graph import GraphClient, TooLarge
from cdmx.workers.loop import run_woken

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 5.0
SWEEP_EVERY = timedelta(hours=1)
CONCURRENCY = 4  # parallel downloads per process


class MediaFetcher:
    """Downloads customers' files into the media store; deletes them after the retention."""

    def __init__(
        self,
        db: Database,
        graph: GraphClient,
        store: MediaStore,
        *,
        token_for: Callable[[str], str],
        retention_days: int = 0,
        sealer: Sealer | None = None,
    ) -> None:
        self.sealer = sealer
        self.db = db
        self.graph = graph
        self.store = store
        self.token_for = token_for
        self.retention_days = retention_days
        self._last_sweep: datetime | None = None

    async def fetch_batch(self) -> int:
        """Claim and fetch what is due; returns how many rows were attempted."""
        jobs = await asyncio.to_thread(self._claim)
        if jobs:
            await asyncio.gather(*(self.fetch(job) for job in jobs))
        return len(jobs)

    def _claim(self) -> list[FetchJob]:
        with self.db.write() as session:
            return claim_media(session, datetime.now(UTC), CONCURRENCY, sealer=self.sealer)

    async def fetch(self, job: FetchJob) -> str:
        """Fetch one file; returns "stored", "retry", "failed" or "expired"."""
        if job.provider != "meta":
            return await self._fail(job, "Media of End User Messaging numbers is not fetched "
                                    "here yet.", "failed")  # fmt: skip
        token = job.token or self.token_for(job.phone_number_id)
        max_bytes = limit_for(job.kind, job.animated) if job.kind in LIMITS else LIMITS["document"]
        with tempfile.NamedTemporaryFile(prefix="cdmx-media-", delete=False) as out:
            path = Path(out.name)
        try:
            try:
                info = await self.graph.get_media_url(
                    job.meta_media_id, token, phone_number_id=job.phone_number_id
                )
                if info.file_size is not None and info.file_size > max_bytes:
                    raise TooLarge(f"the file is {info.file_size} bytes; at most {max_bytes}")
                with path.open("wb") as sink:
                    got = await self.graph.download(info.url, token, sink, max_bytes=max_bytes)
            except GraphError as error:
                return await self._fail(job, str(error), self._outcome(job, error))
            expected = job.sha256 or info.sha256
            if info.file_size is not None and got.size != info.file_size:
                return await self._fail(
                    job, f"got {got.size} bytes, expected {info.file_size}", "retry"
                )
            if expected and not digest_matches(expected, got.sha256):
                return await self._fail(job, "the file's sha256 does not match", "retry")
            stored = await asyncio.to_thread(
                store_file, self.store, path, got.sha256.hex(),
                declared_type=info.mime_type or job.mime_type, kind=job.kind,
            )  # fmt: skip
            await asyncio.to_thread(self._record_stored, job, stored)
            return "stored"
        except Exception as exc:  # a bug or a full disk: keep the row, retry later
            log.exception("media %s could not be fetched", job.media_id)
            return await self._fail(job, f"{type(exc).__name__}: {exc}", "retry")
        finally:
            path.unlink(missing_ok=True)

    def _outcome(self, job: FetchJob, error: GraphError) -> str:
        gone = error.http_status == 404 or error.code == 100
        if gone and is_gone_for_good(job.received_at, datetime.now(UTC)):
            return "expired"
        if isinstance(error, TooLarge):
            return "failed"
        if gone or isinstance(error, Retryable):
            return "retry"
        if isinstance(error, Permanent):
            return "failed"
        return "retry"  # auth trouble: the token may be fixed; the id is good for 7 days

    async def _fail(self, job: FetchJob, error: str, outcome: str) -> str:
        def record() -> str:
            with self.db.write() as session:
                return do_record_media_failure(session, job.media_id, error, outcome=outcome)

        result = await asyncio.to_thread(record)
        level = logging.INFO if result == "retry" else logging.WARNING
        log.log(level, "media %s attempt %s: %s → %s", job.media_id, job.attempts, error, result)
        return result

    def _record_stored(self, job: FetchJob, stored: StoredFile) -> None:
        with self.db.write() as session:
            do_record_media_stored(session, job.media_id, stored)

    def sweep(self, now: datetime | None = None) -> int:
        """Delete files older than the retention and say so in their threads."""
        if self.retention_days <= 0:
            return 0
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(days=self.retention_days)
        total = 0
        while True:
            with self.db.read() as session:
                rows = [
                    (m.id, m.storage_key, m.thumbnail_key) for m in expired_media(session, cutoff)
                ]
            if not rows:
                return total
            # Files first, then the rows: a crash in between leaves rows the next sweep redoes.
            for _, key, thumbnail in rows:
                for k in (key, thumbnail):
                    if k:
                        try:
                            self.store.delete(k)
                        except Exception:
                            log.exception("could not delete media file %s", k)
            with self.db.write() as session:
                total += do_mark_media_deleted(session, [r[0] for r in rows], self.retention_days)

    async def run(self, wakeup: asyncio.Event, stop: asyncio.Event) -> None:
        """Fetch whenever woken (a media message arrived), poll for retries, sweep hourly."""
        await run_woken(
            self._fetch_and_sweep, wakeup, stop, poll_seconds=IDLE_POLL_SECONDS,
            name="media fetcher",
        )  # fmt: skip

    async def _fetch_and_sweep(self) -> int:
        attempted = await self.fetch_batch()
        now = datetime.now(UTC)
        if self._last_sweep is None or now - self._last_sweep >= SWEEP_EVERY:
            self._last_sweep = now
            await asyncio.to_thread(self.sweep, now)
        return attempted


def digest_matches(expected: str, digest: bytes) -> bool:
    """Compare a sha256 given as hex or base64 (Meta uses both) with a raw digest."""
    text = expected.strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text) == digest
        except ValueError:
            pass
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=False) == digest or (
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)) == digest
        )
    except (binascii.Error, ValueError):
        return False


async def prepare_media_send(
    db: Database, job: SendJob, graph: GraphClient, token: str, *, store: MediaStore
) -> dict[str, Any]:
    """The send body of a file message, with its Graph media id (uploading the file first)."""
    kind = job.body.get("type")
    if kind not in MEDIA_TYPES:
        return job.body
    obj = dict(job.body.get(kind) or {})
    if obj.get("id") or obj.get("link"):
        return job.body

    def load() -> Media | None:
        with db.read() as session:
            return session.scalar(select(Media).where(Media.message_id == job.message_id))

    media = await asyncio.to_thread(load)
    if media is None or media.status != "stored" or not media.storage_key:
        raise Permanent("the file of this message is no longer stored", code=None)
    media_id = media.meta_media_id
    if not media_id:
        key = media.storage_key
        try:
            stream = await asyncio.to_thread(_seekable_copy, store, key)
        except FileNotFoundError as exc:
            raise Permanent("the file of this message is no longer stored") from exc
        try:
            name = media.filename or ("file" + EXTENSIONS.get(media.mime_type or "", ""))
            media_id = await graph.upload_media(
                job.phone_number_id,
                token,
                stream,
                media.mime_type or "application/octet-stream",
                name,
            )
        finally:
            stream.close()

        def remember() -> None:
            with db.write() as session:
                do_record_uploaded_media_id(session, job.message_id, str(media_id))

        await asyncio.to_thread(remember)
    obj["id"] = media_id
    return {**job.body, kind: obj}


def _seekable_copy(store: MediaStore, key: str) -> BinaryIO:
    """The stored file as a seekable stream (an S3 body is not: spool it, mostly to disk)."""
    source = store.open(key)
    if source.seekable() if hasattr(source, "seekable") else False:
        return source
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    with source:
        shutil.copyfileobj(source, spool, 1024 * 1024)
    spool.seek(0)
    return spool  # type: ignore[return-value]
