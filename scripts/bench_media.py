#!/usr/bin/env python3
"""Media benchmark: a 5 MB customer photo, from its webhook to stored with a thumbnail.

Runs the real path in one process: signed webhook → inbox processor (message + Media row)
→ media fetcher → simulator Graph API (GET /{media-id}, token-bound download) → sha256
check → Pillow thumbnail → local store. Prints the median and p95 over several runs against
the DESIGN.md target (< 500 ms). Usage: .venv/bin/python scripts/bench_media.py [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from cdmx.actions.channels import do_ensure_channel  # noqa: E402
from cdmx.actions.inbox import claim_next_update, do_process_update, do_store_update  # noqa: E402
from cdmx.actions.media import do_register_inbound_media  # noqa: E402
from cdmx.db.engine import Database  # noqa: E402
from cdmx.db.migrate import upgrade  # noqa: E402
from cdmx.db.tables import Media, Message  # noqa: E402
from cdmx.simulator import SimulatorConfig, create_simulator_app  # noqa: E402
from cdmx.storage import LocalStore  # noqa: E402
from cdmx.whatsapp.graph import GraphClient  # noqa: E402
from cdmx.workers.media import MediaFetcher  # noqa: E402

TARGET_MS = 500
PHONE = "100000000000001"


def photo(size_bytes: int) -> bytes:
    """A 4000×3000 JPEG just under ``size_bytes``: smooth noise, so it compresses like a photo."""
    small = Image.frombytes("RGB", (1000, 750), os.urandom(1000 * 750 * 3))
    image = small.resize((4000, 3000), Image.Resampling.BICUBIC)
    best = b""
    for quality in range(50, 96, 5):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() > size_bytes:
            break
        best = out.getvalue()
    return best


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="cdmx-bench-media-"))
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    upgrade(url)
    db = Database(url)
    with db.write() as session:
        do_ensure_channel(
            session,
            phone_number_id=PHONE,
            display_phone_number="525550000000",
            business_account_id="200000000000001",
        )
    sim = create_simulator_app(
        SimulatorConfig(
            app_secret="s", webhook_url="http://x/w", access_token="t", phone_number_id=PHONE
        )
    )
    graph = GraphClient("http://sim", "v25.0", transport=httpx.ASGITransport(app=sim))
    fetcher = MediaFetcher(
        db, graph, LocalStore(folder / "media", "k" * 32), token_for=lambda _: "t"
    )
    data = photo(5 * 1024 * 1024)
    print(f"photo: {len(data) / 1024 / 1024:.2f} MB, 4000×3000 JPEG; {args.runs} runs; {url}")
    times = []
    for run in range(args.runs):
        file = sim.state.simulator.media.add(data, "image/jpeg", inbound=True)
        sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
        body = json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {
                        "id": "2",
                        "changes": [
                            {
                                "field": "messages",
                                "value": {
                                    "messaging_product": "whatsapp",
                                    "metadata": {
                                        "display_phone_number": "525550000000",
                                        "phone_number_id": PHONE,
                                    },
                                    "contacts": [
                                        {"profile": {"name": "C"}, "wa_id": "5215512345678"}
                                    ],
                                    "messages": [
                                        {
                                            "from": "5215512345678",
                                            "id": f"wamid.BENCH{run}.{time.time_ns()}",
                                            "timestamp": str(int(time.time())),
                                            "type": "image",
                                            "image": {
                                                "id": file.id,
                                                "mime_type": "image/jpeg",
                                                "sha256": sha,
                                            },
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        ).encode()
        start = time.perf_counter()
        with db.write() as session:
            do_store_update(session, body)
        with db.write() as session:
            row = claim_next_update(
                session, __import__("datetime").datetime.now(__import__("datetime").UTC)
            )
            assert row is not None
            do_process_update(session, row)
            message = session.scalar(select(Message).order_by(Message.id.desc()))
            assert message is not None
            do_register_inbound_media(session, message)  # a no-op once the inbox does it
        await fetcher.fetch_batch()
        elapsed = (time.perf_counter() - start) * 1000
        with db.read() as session:
            media = session.scalar(select(Media).where(Media.message_id == message.id))
        assert media is not None and media.status == "stored" and media.thumbnail_key
        times.append(elapsed)
        print(f"  run {run + 1}: {elapsed:.0f} ms")
    median = statistics.median(times)
    p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
    verdict = "PASS" if p95 < TARGET_MS else "FAIL"
    print(
        f"5 MB image webhook → stored with thumbnail: median {median:.0f} ms, "
        f"p95 {p95:.0f} ms (target < {TARGET_MS} ms) {verdict}"
    )
    await graph.aclose()
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
