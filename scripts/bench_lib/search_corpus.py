"""A seeded corpus for the search benchmark: a year of a Mexico City store's WhatsApp.

A supervisor and eight agents, the one number, contacts, conversations (assigned across the
agents, a few nobody's) and messages shaped like the real thing: greetings and thanks in a
large share of them, topics (factura, envío, reembolso) in a few percent, products,
neighbourhoods and surnames drawn by a Zipf law (a few frequent, a long tail of rare ones),
an order number per conversation ("pedido 482130"), accents (and customers who type without
them), and photos and voice notes without text (text NULL). The same seed and size give the
same corpus, so runs compare.

Loading: SQLite through SQLAlchemy Core executemany in large transactions (migration 0006's
FTS triggers fire on every insert, as in production); PostgreSQL through COPY. With
``index_after`` the rows go in at revision 0005 and 0006 runs afterwards: the index build
an existing installation goes through when it upgrades.
"""

from __future__ import annotations

import json
import random
import re
import string
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench_lib import processes as p
from bench_lib.search_vocabulary import (
    CAPTIONS,
    CITIES,
    DOCUMENT_CAPTIONS,
    FIRST_NAMES,
    GREETINGS,
    LAST_NAMES,
    PLACES,
    PROBES,
    PRODUCTS,
    RARE_ITEMS,
    TEMPLATES,
)
from cdmx.actions.channels import do_ensure_channel
from cdmx.actions.users import do_create_user
from cdmx.db.engine import Database
from cdmx.db.migrate import alembic_config, upgrade
from cdmx.db.tables import Contact, Conversation, Media, Message, table

SEED = 20261127
PASSWORD = "bench-password-1"
SUPERVISOR_EMAIL = "bench-super@bench.cdmx"
AGENT_EMAIL = "bench-agent1@bench.cdmx"
AGENT_NAMES = (
    "Mariana Téllez", "José Luis Barrera", "Daniela Ocaña", "Ramón Quintero",
    "Sofía Argüello", "Héctor Villalobos", "Paola Ibáñez", "Arturo Nieto",
)  # fmt: skip
AGENT_WEIGHTS = (18, 15, 14, 13, 12, 11, 9, 8)  # the first agent is the busiest
MESSAGES_PER_CONVERSATION = 20  # on average; lognormal, from 1 to a few hundred
CONTACTS_PER_CONVERSATION = 0.8  # a fifth of the conversations are a customer's second
OPEN_SHARE = 0.01  # the newest conversations are still open, 40% of them queued
QUEUED_OF_OPEN = 0.4
UNANSWERED_SHARE = 0.05  # closed with nobody assigned: spam, wrong numbers
SPAN = timedelta(days=365)

_SLOT = string.Formatter()
_TOKEN = re.compile(r"[^\W_]+")


def fold(value: str) -> str:
    """Lower case without accents, as both search backends compare words."""
    decomposed = unicodedata.normalize("NFKD", value.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _zipf(n: int, s: float = 1.05) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1 / rank**s
        out.append(total)
    return out  # cumulative weights for random.choices


@dataclass(frozen=True)
class _Pick:
    """A weighted list of templates and the slots each one fills."""

    texts: tuple[str, ...]
    cum: tuple[float, ...]
    slots: tuple[frozenset[str], ...]

    @classmethod
    def of(cls, weighted: tuple[tuple[float, str], ...]) -> _Pick:
        texts = tuple(t for _, t in weighted)
        cum, total = [], 0.0
        for weight, _ in weighted:
            total += weight
            cum.append(total)
        slots = tuple(frozenset(f for _, f, _, _ in _SLOT.parse(t) if f) for t in texts)
        return cls(texts, tuple(cum), slots)

    def choose(self, rng: random.Random) -> tuple[str, frozenset[str]]:
        i = rng.choices(range(len(self.texts)), cum_weights=self.cum)[0]
        return self.texts[i], self.slots[i]


@dataclass
class Corpus:
    """What was built: who can sign in, what the messages mention, how long it took."""

    url: str
    messages: int
    users: dict[str, int] = field(default_factory=dict)  # email -> id
    conversations: int = 0
    contacts: int = 0
    media: int = 0
    null_text: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    probes: dict[str, float] = field(default_factory=dict)  # word -> share of messages
    mentions: Counter[str] = field(default_factory=Counter)  # folded word -> messages
    orders: dict[int | None, list[str]] = field(default_factory=dict)  # assignee -> mentioned
    names_sample: list[str] = field(default_factory=list)  # "first last" of customers named

    agent_email: str = AGENT_EMAIL  # the busiest agent: the one whose searches are measured


class _Plan:
    """Sizes, times, directions and people of every conversation, before any text."""

    def __init__(self, rng: random.Random, messages: int, end: datetime, agent_ids: list[int]):
        n = max(1, messages // MESSAGES_PER_CONVERSATION)
        self.n = n
        self.contacts = max(1, int(n * CONTACTS_PER_CONVERSATION))
        raw = [rng.lognormvariate(0, 0.9) for _ in range(n)]
        scale = messages / sum(raw)
        sizes = [max(1, int(r * scale)) for r in raw]
        while (missing := messages - sum(sizes)) != 0:
            c = rng.randrange(n)
            if missing > 0 or sizes[c] > 1:
                sizes[c] += 1 if missing > 0 else -1
        self.sizes = sizes
        open_from = n - max(1, int(n * OPEN_SHARE))
        self.status: list[str] = []
        self.assignee: list[int | None] = []
        for c in range(n):
            if c >= open_from:
                queued = rng.random() < QUEUED_OF_OPEN
                self.status.append("queued" if queued else "assigned")
            else:
                queued = rng.random() < UNANSWERED_SHARE
                self.status.append("closed")
            self.assignee.append(
                None if queued else rng.choices(agent_ids, weights=AGENT_WEIGHTS)[0]
            )
        start = end - SPAN
        self.times: list[list[float]] = []
        self.inbound: list[list[bool]] = []
        events: list[tuple[float, int, int]] = []
        span = SPAN.total_seconds()
        for c in range(n):
            t = start.timestamp() + span * (c + rng.random()) / n
            times, inbound = [], []
            answered = self.assignee[c] is not None
            for s in range(sizes[c]):
                times.append(t)
                previous = inbound[-1] if inbound else False
                if s == 0 or not answered:
                    inbound.append(True)
                else:
                    inbound.append(rng.random() < (0.35 if previous else 0.7))
                t += rng.expovariate(1 / 90) if rng.random() < 0.9 else rng.expovariate(1 / 7200)
            late = times[-1] - end.timestamp()
            if late > 0:
                times = [x - late for x in times]
            self.times.append(times)
            self.inbound.append(inbound)
            events.extend((x, c, s) for s, x in enumerate(times))
        events.sort()
        self.events = events
        self.last_id = [0] * n
        for rank, (_, c, s) in enumerate(events):
            if s == sizes[c] - 1:
                self.last_id[c] = rank + 1


def build(url: str, messages: int, *, seed: int = SEED, index_after: bool = False) -> Corpus:
    """Migrate ``url``, create the users and the number, load the corpus; time each step."""
    corpus = Corpus(url, messages)
    clock = time.perf_counter()
    if index_after:
        command.upgrade(alembic_config(url), "0005")
    else:
        upgrade(url)
    _users_and_number(url, corpus)
    corpus.seconds["migrate_and_users"] = time.perf_counter() - clock

    clock = time.perf_counter()
    rng = random.Random(seed)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    agent_ids = [corpus.users[f"bench-agent{i}@bench.cdmx"] for i in range(1, 9)]
    plan = _Plan(rng, messages, end, agent_ids)
    corpus.conversations, corpus.contacts = plan.n, plan.contacts
    people = _people(rng, plan)
    corpus.seconds["plan"] = time.perf_counter() - clock

    clock = time.perf_counter()
    rows = _Rows(rng, plan, people, corpus, channel_id=1)
    if make_url(url).get_backend_name() == "sqlite":
        _load_sqlite(url, rows)
    else:
        _load_postgresql(url, rows)
    corpus.seconds["load"] = time.perf_counter() - clock
    corpus.media, corpus.null_text = rows.media_count, rows.null_text
    sampled = max(1, rows.sampled)
    corpus.probes = {w: round(rows.probe_hits[w] / sampled, 4) for w in PROBES}

    if index_after:
        clock = time.perf_counter()
        upgrade(url)
        corpus.seconds["search_index"] = time.perf_counter() - clock
    if make_url(url).get_backend_name() != "sqlite":
        clock = time.perf_counter()
        _pg_settle(url)
        corpus.seconds["vacuum_analyze"] = time.perf_counter() - clock
    return corpus


def _users_and_number(url: str, corpus: Corpus) -> None:
    db = Database(url)
    try:
        with db.write() as session:
            do_ensure_channel(
                session, phone_number_id=p.PHONE_NUMBER_ID,
                display_phone_number=p.DISPLAY_NUMBER, business_account_id=p.WABA_ID,
            )  # fmt: skip
            people = [("supervisor", SUPERVISOR_EMAIL, "Lucía Covarrubias")] + [
                ("agent", f"bench-agent{i}@bench.cdmx", name)
                for i, name in enumerate(AGENT_NAMES, 1)
            ]
            for role, email, name in people:
                user = do_create_user(session, email=email, name=name, role=role,
                                      password=PASSWORD)  # fmt: skip
                corpus.users[email] = user.id
    finally:
        db.dispose()


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    wa_id: str


def _people(rng: random.Random, plan: _Plan) -> list[_Person]:
    last_cum = _zipf(len(LAST_NAMES), 1.1)
    out = []
    numbers = rng.sample(range(10_000_000, 100_000_000), plan.contacts)
    for k in range(plan.contacts):
        first = rng.choice(FIRST_NAMES)
        last = rng.choices(LAST_NAMES, cum_weights=last_cum)[0]
        out.append(_Person(first, last, f"52155{numbers[k]}"))
    return out


class _Rows:
    """Rows of every table, generated in id order from the plan (texts filled on the way)."""

    def __init__(
        self, rng: random.Random, plan: _Plan, people: list[_Person], corpus: Corpus,
        channel_id: int,
    ) -> None:  # fmt: skip
        self.rng, self.plan, self.people, self.corpus = rng, plan, people, corpus
        self.channel_id = channel_id
        self.picks = {key: _Pick.of(value) for key, value in TEMPLATES.items()}
        self.captions, self.documents = _Pick.of(CAPTIONS), _Pick.of(DOCUMENT_CAPTIONS)
        self.media_count = self.null_text = self.sampled = 0
        self.probe_hits: Counter[str] = Counter()
        self.agent_names = {
            corpus.users[f"bench-agent{i}@bench.cdmx"]: name.split()[0]
            for i, name in enumerate(AGENT_NAMES, 1)
        }
        product_cum, place_cum = _zipf(len(PRODUCTS)), _zipf(len(PLACES), 0.9)
        self.slots: list[dict[str, str]] = []
        self.casual: list[bool] = []
        orders = rng.sample(range(100_000, 1_000_000), plan.n)
        for c in range(plan.n):
            person = people[c % plan.contacts]
            first = person.first
            assignee = plan.assignee[c]
            self.slots.append({
                "cliente": first, "apellido": person.last,
                "agente": self.agent_names.get(assignee, "Lucía") if assignee else "Lucía",
                "pedido": str(orders[c]),
                "producto": rng.choices(PRODUCTS, cum_weights=product_cum)[0],
                "lugar": rng.choices(PLACES, cum_weights=place_cum)[0],
                "ciudad": rng.choice(CITIES), "saludo": rng.choice(GREETINGS),
                "dias": str(rng.randint(2, 10)),
                "monto": f"{rng.randint(199, 24_999):,}.00",
                "guia": f"MX{rng.randint(10**9, 10**10 - 1)}",
                "correo": f"{fold(first)}.{fold(person.last)}{rng.randint(1, 99)}@gmail.com",
                "tel": f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                "raro": rng.choice(RARE_ITEMS),
            })  # fmt: skip
            self.casual.append(rng.random() < 0.4)  # types in lower case, without accents
        self._greeted = [False] * plan.n

    def contacts(self) -> Iterator[dict[str, Any]]:
        first_seen: dict[int, float] = {}
        last_seen: dict[int, float] = {}
        for c in range(self.plan.n):
            k = c % self.plan.contacts
            first_seen.setdefault(k, self.plan.times[c][0])
            last_seen[k] = self.plan.times[c][-1]
        for k, person in enumerate(self.people):
            yield {
                "id": k + 1, "identity": f"wa:{person.wa_id}", "wa_id": person.wa_id,
                "user_id": None, "name": f"{person.first} {person.last}", "referral": None,
                "created_at": _at(first_seen[k]), "updated_at": _at(last_seen[k]),
            }  # fmt: skip

    def conversations(self) -> Iterator[dict[str, Any]]:
        plan = self.plan
        for c in range(plan.n):
            times, inbound, status = plan.times[c], plan.inbound[c], plan.status[c]
            last_in = max((t for t, i in zip(times, inbound, strict=True) if i), default=None)
            unread = 0
            if status != "closed":
                for i in reversed(inbound):
                    if not i:
                        break
                    unread += 1
            yield {
                "id": c + 1, "channel_id": self.channel_id, "contact_id": c % plan.contacts + 1,
                "status": status, "assignee_id": plan.assignee[c], "unread_count": unread,
                "last_message_id": plan.last_id[c], "last_message_at": _at(times[-1]),
                "last_inbound_at": _at(last_in) if last_in else None,
                "created_at": _at(times[0]),
                "assigned_at": _at(times[0] + 30) if plan.assignee[c] else None,
                "closed_at": _at(times[-1] + 600) if status == "closed" else None,
            }  # fmt: skip

    def messages(self, media: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """The messages in id order; their media rows are appended to ``media``."""
        rng, plan = self.rng, self.plan
        for rank, (ts, c, s) in enumerate(plan.events):
            message_id = rank + 1
            inbound = plan.inbound[c][s]
            at = _at(ts)
            kind, body = self._text(c, s, inbound, rng)
            if body is not None and inbound and self.casual[c]:
                body = fold(body)
            if body is None:
                self.null_text += 1
            elif rank % 10 == 0:
                self._probe(body)
            wamid = f"wamid.HBgN{self.people[c % plan.contacts].wa_id}FQIAEhgU{message_id:020X}"
            if inbound:
                payload = {"from": self.people[c % plan.contacts].wa_id, "id": wamid,
                           "timestamp": str(int(ts)), "type": kind}  # fmt: skip
            else:
                payload = {"type": kind}
            if kind == "text":
                payload["text"] = (
                    {"body": body} if inbound else {"body": body, "preview_url": False}
                )
                summary = body or ""
            else:
                payload[kind] = {"id": f"{9000000000000 + message_id}", "caption": body}
                if body is None:
                    del payload[kind]["caption"]
                summary = _SUMMARY[kind] + (f": {body}" if body else "")
                media.append(self._media(message_id, kind, inbound, ts))
            author = None if inbound else plan.assignee[c]
            yield {
                "id": message_id, "channel_id": self.channel_id, "conversation_id": c + 1,
                "direction": "inbound" if inbound else "outbound", "type": kind, "text": body,
                "summary": summary,
                "status": "received" if inbound else ("read" if rng.random() < 0.8 else
                                                      "delivered"),
                "wamid": wamid, "local_id": None if inbound else f"{rng.getrandbits(64):016x}",
                "author_id": author, "payload": payload, "error_code": None,
                "error_title": None, "error_details": None,
                "sent_at": at.replace(microsecond=0) if inbound else at,
                "status_at": None if inbound else at + timedelta(seconds=40),
                "created_at": at,
            }  # fmt: skip

    def _text(self, c: int, s: int, inbound: bool, rng: random.Random) -> tuple[str, str | None]:
        size = self.plan.sizes[c]
        if inbound and s > 0:
            roll = rng.random()
            if roll < 0.035:  # a photo, most without a caption
                pick = self.captions if rng.random() < 0.4 else None
                return "image", self._fill(c, pick) if pick else None
            if roll < 0.05:
                return "audio", None
        if not inbound and rng.random() < 0.01:
            return "document", self._fill(c, self.documents)
        if s == 0:
            stage = "open"
        elif not inbound and not self._greeted[c]:
            stage = "greet"
        elif s >= size - 2 and size > 3:
            stage = "close"
        else:
            stage = "middle"
        if not inbound:
            self._greeted[c] = True
        body = self._fill(c, self.picks[("inbound" if inbound else "outbound", stage)])
        if inbound and stage == "middle" and rng.random() < 0.12:
            body = rng.choice(("Hola, ", "hola ", "Oye, ")) + body[0].lower() + body[1:]
        if inbound and stage in ("open", "middle") and rng.random() < 0.1:
            body += rng.choice((" gracias", ", gracias!", " por favor", " xfa", "!!", "??"))
        return "text", body

    def _fill(self, c: int, pick: _Pick) -> str:
        template, slots = pick.choose(self.rng)
        values = self.slots[c]
        for name in slots & _COUNTED:
            self.corpus.mentions[fold(values[name])] += 1
        if "apellido" in slots and len(self.corpus.names_sample) < 40:
            name = f"{values['cliente']} {values['apellido']}".lower()
            if name not in self.corpus.names_sample:
                self.corpus.names_sample.append(name)
        if "pedido" in slots:
            orders = self.corpus.orders.setdefault(self.plan.assignee[c], [])
            if not orders or orders[-1] != values["pedido"]:
                orders.append(values["pedido"])
        return template.format_map(values)

    def _probe(self, body: str) -> None:
        self.sampled += 1
        words = set(_TOKEN.findall(fold(body)))
        for word in PROBES:
            if word in words:
                self.probe_hits[word] += 1

    def _media(self, message_id: int, kind: str, inbound: bool, ts: float) -> dict[str, Any]:
        self.media_count += 1
        mime = _MIME[kind]
        at = _at(ts)
        return {
            "id": self.media_count, "message_id": message_id,
            "direction": "inbound" if inbound else "outbound", "status": "stored",
            "meta_media_id": f"{9000000000000 + message_id}", "mime_type": mime,
            "size": 40_000 + message_id % 900_000, "sha256": f"{message_id:064x}",
            "filename": f"factura-{message_id}.pdf" if kind == "document" else None,
            "storage_key": f"bench/{message_id}", "error": None, "attempts": 1,
            "thumbnail_key": f"bench/{message_id}-thumb" if kind == "image" else None,
            "width": 1200 if kind == "image" else None,
            "height": 1600 if kind == "image" else None,
            "next_attempt_at": None, "locked_until": None, "created_at": at,
            "stored_at": at + timedelta(seconds=2),
        }  # fmt: skip


_COUNTED = frozenset({"producto", "lugar", "apellido", "raro"})
_SUMMARY = {"image": "📷 Foto", "audio": "🎤 Nota de voz", "document": "📄 Documento"}
_MIME = {"image": "image/jpeg", "audio": "audio/ogg; codecs=opus", "document": "application/pdf"}


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# -- what to search for ------------------------------------------------------------------------

MID = ("factura", "reembolso", "garantía", "paquetería", "tarjeta", "cancelar", "dirección",
       "refrigerador", "lavadora", "celular")  # fmt: skip
COMMON = ("hola", "gracias", "pedido", "favor", "buenas")
TWO_WORDS = ("factura pedido", "reembolso tarjeta", "hola gracias", "número guía",
             "no llegó", "dirección iztapalapa", "pedido cancelado", "garantía folio")  # fmt: skip
PREFIXES = ("fa", "fac", "fact", "re", "reem", "ga", "gar", "en", "env", "pe", "ped", "gr",
            "grac", "ho", "hol", "ref", "lav", "co", "cam", "ta")  # fmt: skip
ACCENTLESS = ("envio", "direccion", "garantia", "paqueteria", "numero", "dias", "credito",
              "coyoacan", "hernandez", "martinez", "audifonos", "colchon", "telefono")  # fmt: skip
NO_MATCH = ("xilofono", "murcielago", "zapateria", "kriptonita", "gracias zzxq",
            "hola submarino", "pedido 7777777", "refrigerador anfibio")  # fmt: skip


def query_pools(corpus: Corpus, rng: random.Random, scope: int | None) -> dict[str, list[str]]:
    """What each kind of search looks for; ``scope``: the agent searching (None: supervisor),
    whose order numbers are those of their own conversations and the unassigned ones."""
    # Items asked about once in a long while: well under a page of matches each.
    rare_at_most = max(3, corpus.messages // 20_000)
    vocabulary = {v.lower() for v in RARE_ITEMS}
    counted = sorted(vocabulary, key=lambda v: (corpus.mentions[fold(v)], v))
    rare = [v for v in counted if 1 <= corpus.mentions[fold(v)] <= rare_at_most]
    rare = rare or [v for v in counted if corpus.mentions[fold(v)]][:10]
    owners = list(corpus.orders) if scope is None else [scope, None]
    orders = sorted(o for owner in owners for o in corpus.orders.get(owner, []))
    people = corpus.names_sample[:: max(1, len(corpus.names_sample) // 8)]
    return {
        "rare": rare, "order": rng.sample(orders, min(200, len(orders))), "mid": list(MID),
        "common": list(COMMON), "two_words": [*TWO_WORDS, *people], "prefix": list(PREFIXES),
        "accentless": list(ACCENTLESS), "no_match": list(NO_MATCH),
    }  # fmt: skip


def words(query: str) -> tuple[list[str], bool]:
    """The folded words of a search, and whether the last one also matches as a prefix."""
    found = _TOKEN.findall(fold(query))
    return found, bool(found) and len(found[-1]) >= 2


def matches(query: tuple[list[str], bool], text_: str) -> bool:
    """Whether ``text_`` holds every word of the search (the last maybe as a prefix)."""
    wanted, prefix = query
    tokens = set(_TOKEN.findall(fold(text_)))
    *whole, last = wanted
    if not all(w in tokens for w in whole):
        return False
    return last in tokens or (prefix and any(t.startswith(last) for t in tokens))


# -- loading ---------------------------------------------------------------------------------

CHUNK = 20_000


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _load_sqlite(url: str, rows: _Rows) -> None:
    """Core executemany, 100,000 rows a transaction (measured: 1,000,000 messages in ~48 s,
    a third of it SQLAlchemy's parameter processing, a third SQLite with the FTS triggers,
    a third generating the text)."""
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # A bench's scratch file: no journal, no fsync, a big page cache for the indexes.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=OFF")
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()

    media: list[dict[str, Any]] = []
    try:
        for model, source in (
            (Contact, rows.contacts()), (Conversation, rows.conversations()),
            (Message, rows.messages(media)), (Media, iter(media)),
        ):  # fmt: skip
            insert = table(model).insert()
            for batch in _chunks(source, 100_000):
                with engine.begin() as connection:
                    connection.execute(insert, batch)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    finally:
        engine.dispose()


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, dbname=u.database, autocommit=False,
    )  # fmt: skip


def _load_postgresql(url: str, rows: _Rows) -> None:
    """COPY, one transaction a table, the GIN index kept as rows arrive (measured:
    1,000,000 messages in ~21 s, most of it generating the text)."""
    media: list[dict[str, Any]] = []
    with _pg_connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for model, source in (
            (Contact, rows.contacts()), (Conversation, rows.conversations()),
            (Message, rows.messages(media)), (Media, iter(media)),
        ):  # fmt: skip
            columns = [c.name for c in table(model).columns]
            json_columns = {c.name for c in table(model).columns if c.type.__visit_name__ == "JSON"}
            dump = _json_dumper(json_columns)
            statement = f"COPY {table(model).name} ({', '.join(columns)}) FROM STDIN"
            with conn.cursor() as cursor, cursor.copy(statement) as copy:
                for row in source:
                    # A column the corpus does not fill (added since, nullable) goes in NULL.
                    copy.write_row([dump(name, row.get(name)) for name in columns])
            conn.commit()
        for name in ("contacts", "conversations", "messages", "media"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {name}))"
            )
        conn.commit()


def _json_dumper(json_columns: set[str]) -> Callable[[str, Any], Any]:
    def dump(name: str, value: Any) -> Any:
        if name in json_columns and value is not None:
            return json.dumps(value, ensure_ascii=False)
        return value

    return dump


def _pg_settle(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum would have done long before a search on a year of data."""
    with _pg_connect(url) as conn:
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def pg_size(url: str) -> dict[str, str]:
    """Sizes of the messages table and its search index (PostgreSQL)."""
    with _pg_connect(url) as conn:
        row = conn.execute(
            "SELECT pg_size_pretty(pg_table_size('messages')), "
            "pg_size_pretty(coalesce(pg_relation_size(to_regclass('ix_messages_search')), 0)), "
            "pg_size_pretty(pg_database_size(current_database()))"
        ).fetchone()
    assert row is not None
    return {"messages_table": row[0], "search_index": row[1], "database": row[2]}


def sqlite_size(url: str) -> dict[str, str]:
    """Sizes of the database file and of the FTS5 tables (SQLite)."""
    path = make_url(url).database or ""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            pages = connection.execute(
                text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'messages_search%'")
            ).scalar()
    except Exception:  # dbstat is a compile-time option
        pages = None
    finally:
        engine.dispose()
    return {
        "database": f"{Path(path).stat().st_size / 2**20:.0f} MB",
        "search_index": f"{pages / 2**20:.0f} MB" if pages else "?",
    }
