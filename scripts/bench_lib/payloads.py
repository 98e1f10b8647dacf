"""Meta-shaped, signed webhook bodies with distinct wamids, built before the load starts.

The load generators only replay bytes, so signing (HMAC-SHA256 over the exact body with the
app secret, as Meta does) costs nothing while the clock runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cdmx.simulator import SimulatorConfig
from cdmx.simulator.webhooks import encode, envelope, sign

WEBHOOK_PATH = "/webhooks/whatsapp"


def customer(index: int) -> tuple[str, str]:
    """A Mexican mobile wa_id (521 + ten digits) and a name for customer ``index``."""
    return f"52155{index:08d}", f"Cliente {index}"


def wamid(run: str, index: int) -> str:
    return f"wamid.BENCH{run}{index:010d}"


def text_body(
    config: SimulatorConfig, run: str, first: int, count: int, customers: int, *, now: int
) -> tuple[bytes, list[str]]:
    """One update with ``count`` text messages (Meta batches several per body)."""
    contacts, messages, ids = [], [], []
    for index in range(first, first + count):
        wa_id, name = customer(index % customers)
        contacts.append({"profile": {"name": name}, "wa_id": wa_id})
        ids.append(wamid(run, index))
        messages.append(
            {
                "from": wa_id, "id": ids[-1], "timestamp": str(now), "type": "text",
                "text": {"body": f"Hola, necesito ayuda con mi pedido {index}"},
            }
        )  # fmt: skip
    body = encode(envelope(config, {"contacts": contacts, "messages": messages}))
    return body, ids


def signed_bodies(
    config: SimulatorConfig, run: str, bodies: int, per_body: int, customers: int, *, now: int
) -> Iterator[tuple[str, bytes, list[str]]]:
    """(signature header, body, wamids) for ``bodies`` updates of ``per_body`` messages."""
    for n in range(bodies):
        body, ids = text_body(config, run, n * per_body, per_body, customers, now=now)
        yield sign(config.app_secret, body), body, ids


def write_request_file(path: Path, requests: Iterator[tuple[str, bytes, list[str]]]) -> int:
    """One request a line, ``signature<TAB>body`` (bodies are ASCII JSON without newlines)."""
    count = 0
    with path.open("wb") as out:
        for signature, body, _ in requests:
            out.write(signature.encode() + b"\t" + body + b"\n")
            count += 1
    return count
