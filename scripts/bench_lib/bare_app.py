"""The baseline: the same stack as ``cdmx serve`` (FastAPI under uvicorn, same options) with
one POST route that reads the body and answers 200 — the ceiling for the webhook.

Run as ``python scripts/bench_lib/bare_app.py PORT``.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

app = FastAPI()


@app.post("/webhooks/whatsapp")
async def receive(request: Request) -> Response:
    await request.body()
    return PlainTextResponse("ok")


@app.get("/healthz")
async def healthz() -> Response:
    return PlainTextResponse("ok")


if __name__ == "__main__":
    # The options of cdmx.commands.serve._serve.
    uvicorn.run(
        app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
        timeout_graceful_shutdown=5,
    )  # fmt: skip
