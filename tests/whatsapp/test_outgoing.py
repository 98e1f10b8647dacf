"""Outbound messages are checked against WhatsApp's limits before anything is stored."""

from __future__ import annotations

import pytest

from cdmx.domain.errors import Invalid
from cdmx.whatsapp.outgoing import (
    build_buttons,
    build_contacts,
    build_list,
    build_location,
    build_reaction,
    build_text,
)


def test_text_is_trimmed_and_links_get_a_preview() -> None:
    outgoing = build_text("  Mira https://tienda.mx/envios  ")
    assert outgoing.body == {"text": {"body": "Mira https://tienda.mx/envios", "preview_url": True}}
    assert build_text("hola").body["text"]["preview_url"] is False


@pytest.mark.parametrize(
    ("text", "code"), [("", "empty_text"), ("   ", "empty_text"), ("x" * 4097, "text_too_long")]
)
def test_bad_text_is_refused_with_a_code(text: str, code: str) -> None:
    with pytest.raises(Invalid) as caught:
        build_text(text)
    assert caught.value.code == code


def test_a_reaction_is_not_a_new_message_and_empty_removes_it() -> None:
    outgoing = build_reaction("wamid.X", "👍")
    assert outgoing.body == {"reaction": {"message_id": "wamid.X", "emoji": "👍"}}
    assert outgoing.counts_as_message is False
    assert build_reaction("wamid.X", "").body["reaction"]["emoji"] == ""


def test_the_reply_context_goes_into_the_payload() -> None:
    assert build_text("sí").payload("wamid.Q")["context"] == {"message_id": "wamid.Q"}


def test_location_needs_real_coordinates() -> None:
    assert build_location(19.4326, -99.1332, "Zócalo", None).body["location"]["name"] == "Zócalo"
    with pytest.raises(Invalid, match="latitude"):
        build_location(91, 0, None, None)


def test_contact_cards_need_a_name_and_a_way_to_reach_them() -> None:
    outgoing = build_contacts([{"name": "Ana López", "phones": ["+52 55 1234 5678"]}])
    card = outgoing.body["contacts"][0]
    assert card["name"] == {
        "formatted_name": "Ana López",
        "first_name": "Ana",
        "last_name": "López",
    }
    assert card["phones"] == [{"phone": "+52 55 1234 5678", "type": "CELL"}]
    with pytest.raises(Invalid, match=r"contacts\[0\]"):
        build_contacts([{"name": "Sin datos"}])


def test_buttons_follow_metas_limits() -> None:
    outgoing = build_buttons("¿Confirmas tu cita?", [{"title": "Sí"}, {"title": "No"}])
    action = outgoing.body["interactive"]["action"]
    assert [b["reply"] for b in action["buttons"]] == [
        {"id": "btn-1", "title": "Sí"}, {"id": "btn-2", "title": "No"},
    ]  # fmt: skip
    with pytest.raises(Invalid, match="between 1 and 3"):
        build_buttons("x", [{"title": str(n)} for n in range(4)])
    with pytest.raises(Invalid, match=r"buttons\[0\].title: at most 20"):
        build_buttons("x", [{"title": "Un título demasiado largo"}])
    with pytest.raises(Invalid, match="different"):
        build_buttons("x", [{"title": "Sí"}, {"title": "sí"}])


def test_lists_follow_metas_limits() -> None:
    sections = [{"title": "Sucursales", "rows": [{"title": "Coyoacán", "description": "Centro"}]}]
    outgoing = build_list("Elige sucursal", "Ver opciones", sections)
    assert outgoing.body["interactive"]["action"]["sections"][0]["rows"][0] == {
        "id": "row-1", "title": "Coyoacán", "description": "Centro",
    }  # fmt: skip
    too_many = [{"title": "A", "rows": [{"title": str(n)} for n in range(11)]}]
    with pytest.raises(Invalid, match="at most 10 rows"):
        build_list("x", "Ver", too_many)
    with pytest.raises(Invalid, match="button: at most 20"):
        build_list("x", "Un botón con texto muy largo", sections)
