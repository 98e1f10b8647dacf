"""Message search, ``GET /api/v1/messages?q=``, through the webhook, the processor and the API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from cdmx.db import search as search_backend
from cdmx.db.engine import Database
from cdmx.db.search import BadSearch, SearchQuery
from cdmx.db.tables import Message, User
from tests.conftest import bearer, eventually
from tests.factories import text_message
from tests.web.api.test_conversations import deliver

ANA_CUSTOMER = "5215511110001"
BETO_CUSTOMER = "5215511110002"


async def search(
    client: httpx.AsyncClient, auth: dict[str, str], q: str, **params: Any
) -> dict[str, Any]:
    response = await client.get("/api/v1/messages", params={"q": q, **params}, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def texts(client: httpx.AsyncClient, auth: dict[str, str], q: str) -> list[str]:
    return [m["text"] for m in (await search(client, auth, q))["messages"]]


async def stored(db: Database, count: int) -> bool:
    with db.read() as session:
        return len(session.scalars(select(Message.id)).all()) >= count


@pytest.fixture
async def corpus(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> dict[str, dict[str, str]]:
    """Ana's customer and Beto's customer write; a supervisor sees both."""
    ana, beto = make_user(name="Ana"), make_user(name="Beto")
    supervisor = make_user(role="supervisor", availability="offline")
    said = [
        (ANA_CUSTOMER, "Quiero cancelar mi pedido 4521"),
        (BETO_CUSTOMER, "¿Cuándo llega la DEVOLUCIÓN de mi pedido?"),
        (ANA_CUSTOMER, "Gracias, ¿y la devolución del otro?"),
        (BETO_CUSTOMER, 'Busco "pedido" OR NEAR(x) * -- \'; DROP TABLE messages'),
    ]
    for count, (wa_id, text) in enumerate(said, start=1):  # one at a time: ids in this order
        await deliver(client, text_message(text, wa_id=wa_id))
        await eventually(functools.partial(stored, db, count))
    return {
        "ana": await bearer(client, ana),
        "beto": await bearer(client, beto),
        "supervisor": await bearer(client, supervisor),
    }


async def test_search_ignores_case_and_accents_and_needs_every_word(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    assert await texts(client, auth, "devolucion") == [  # newest first
        "Gracias, ¿y la devolución del otro?",
        "¿Cuándo llega la DEVOLUCIÓN de mi pedido?",
    ]
    assert await texts(client, auth, "CUÁNDO devolución") == [
        "¿Cuándo llega la DEVOLUCIÓN de mi pedido?"
    ]
    assert await texts(client, auth, "devolucion cancelar") == []
    assert await texts(client, auth, "4521") == ["Quiero cancelar mi pedido 4521"]


async def test_the_last_word_is_also_the_start_of_a_word(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    assert len(await texts(client, auth, "pedi")) == 3
    assert await texts(client, auth, "cancel pedido") == []  # only the last word is a prefix
    assert await texts(client, auth, "cancelar pedi") == ["Quiero cancelar mi pedido 4521"]
    assert await texts(client, auth, "y") == ["Gracias, ¿y la devolución del otro?"]


async def test_query_syntax_and_quotes_are_only_text(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    attack = 'Busco "pedido" OR NEAR(x) * -- \'; DROP TABLE messages'
    assert await texts(client, auth, "OR NEAR") == [attack]
    assert await texts(client, auth, '"pedido" OR') == [attack]
    assert len(await texts(client, auth, "pedido")) == 3  # the table is still there


async def test_an_agent_finds_only_what_they_may_see(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    ana = await search(client, corpus["ana"], "pedido")
    assert [m["text"] for m in ana["messages"]] == ["Quiero cancelar mi pedido 4521"]
    assert ana["messages"][0]["conversation"]["contact"]["wa_id"] == ANA_CUSTOMER
    beto = await texts(client, corpus["beto"], "devolucion")
    assert beto == ["¿Cuándo llega la DEVOLUCIÓN de mi pedido?"]


async def test_results_come_a_page_at_a_time_with_their_conversation(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    first = await search(client, auth, "pedido", limit=2)
    assert len(first["messages"]) == 2 and first["next_before"] == first["messages"][-1]["id"]
    second = await search(client, auth, "pedido", limit=2, before=first["next_before"])
    assert [m["text"] for m in second["messages"]] == ["Quiero cancelar mi pedido 4521"]
    assert second["next_before"] is None
    exact = await search(client, auth, "pedido", limit=3)  # all of them: no next page
    assert len(exact["messages"]) == 3 and exact["next_before"] is None
    ids = [m["id"] for m in first["messages"] + second["messages"]]
    assert ids == sorted(ids, reverse=True)
    found = second["messages"][0]
    assert found["direction"] == "inbound" and found["wamid"].startswith("wamid.")
    assert found["conversation"]["id"] == found["conversation_id"]
    assert found["conversation"]["contact"]["wa_id"] == ANA_CUSTOMER


@pytest.mark.parametrize("recent", [1, 2, 3, 4, 5])
async def test_a_page_is_the_same_when_it_spans_the_newest_messages_and_older_ones(
    client: httpx.AsyncClient,
    corpus: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    recent: int,
) -> None:
    auth = corpus["supervisor"]
    whole = await search(client, auth, "pedido")
    monkeypatch.setattr(search_backend, "RECENT", recent)  # PostgreSQL: the newest, the rest
    assert await search(client, auth, "pedido") == whole
    first = await search(client, auth, "pedido", limit=2)
    second = await search(client, auth, "pedido", limit=2, before=first["next_before"])
    assert first["messages"] + second["messages"] == whole["messages"]
    assert await texts(client, auth, "devolucion cancelar") == []


async def test_an_agent_s_reply_is_found_with_its_author(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    ana = corpus["ana"]
    conversation = (await search(client, ana, "4521"))["messages"][0]["conversation"]
    reply = {"type": "text", "text": "Su devolución va en camino", "local_id": "r1"}
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    assert (await client.post(url, json=reply, headers=ana)).status_code == 202
    found = (await search(client, corpus["supervisor"], "devolucion camino"))["messages"]
    assert [(m["text"], m["direction"], m["author"]["name"]) for m in found] == [
        ("Su devolución va en camino", "outbound", "Ana")
    ]


async def test_a_message_its_customer_deleted_is_not_found(
    client: httpx.AsyncClient, db: Database, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    target = (await search(client, auth, "4521"))["messages"][0]
    revoke = text_message("", wa_id=ANA_CUSTOMER)
    message = revoke["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="revoke", revoke={"original_message_id": target["wamid"]})
    await deliver(client, revoke)
    await eventually(functools.partial(stored, db, 5))
    assert await texts(client, auth, "4521") == []
    assert len(await texts(client, auth, "pedido")) == 2


async def test_odd_input_is_searched_or_refused_never_a_500(
    client: httpx.AsyncClient, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    decomposed = "devolucio\u0301n"  # "ó" as "o" and a combining accent
    assert len(await texts(client, auth, decomposed)) == 2
    assert await texts(client, auth, "pedido\x00") == await texts(client, auth, "pedido")
    for odd in ("²²", "½", "𝟘𝟙"):  # digits to Python, perhaps no word to PostgreSQL
        response = await client.get("/api/v1/messages", params={"q": odd}, headers=auth)
        assert response.status_code in (200, 400), (odd, response.text)
    for params in ({"q": "pedido", "before": 2**70}, {"q": "pedido", "limit": 0}):
        response = await client.get("/api/v1/messages", params=params, headers=auth)
        assert response.status_code == 422, response.text
    response = await client.get("/api/v1/messages", params={"wamid": "x\x00"}, headers=auth)
    assert response.status_code == 200 and response.json()["messages"] == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": " ¿?¡! "}, "bad_search"),
        ({"q": "_"}, "bad_search"),
        ({"q": "a" * 201}, "bad_search"),
        ({}, "missing_query"),
    ],
)
async def test_a_search_that_cannot_be_run_gets_a_clear_400(
    client: httpx.AsyncClient,
    make_user: Callable[..., User],
    params: dict[str, str],
    code: str,
) -> None:
    auth = await bearer(client, make_user())
    response = await client.get("/api/v1/messages", params=params, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


async def test_the_index_follows_a_changed_or_deleted_text(
    client: httpx.AsyncClient, db: Database, corpus: dict[str, dict[str, str]]
) -> None:
    auth = corpus["supervisor"]
    with db.write() as session:
        session.execute(
            update(Message).where(Message.text.like("Quiero%")).values(text="Ya no quiero nada")
        )
        session.execute(delete(Message).where(Message.text.like("Gracias%")))
    assert await texts(client, auth, "cancelar") == []
    assert await texts(client, auth, "nada") == ["Ya no quiero nada"]
    assert await texts(client, auth, "devolucion") == ["¿Cuándo llega la DEVOLUCIÓN de mi pedido?"]


def test_a_query_s_last_word_is_a_prefix_when_it_has_two_letters_or_more() -> None:
    assert SearchQuery.parse(" pedi ") == SearchQuery("pedi", prefix=True)
    assert SearchQuery.parse("pedido 45!") == SearchQuery("pedido 45!", prefix=True)
    assert SearchQuery.parse("a") == SearchQuery("a", prefix=False)
    with pytest.raises(BadSearch):
        SearchQuery.parse("¡¿ ?!")
