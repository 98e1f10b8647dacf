"""Quick replies' variables: filled when known, left for the agent when not."""

from __future__ import annotations

from cdmx.domain.canned import fill, variable_values


def test_every_variable_is_filled_with_spaces_or_without() -> None:
    values = variable_values(
        contact_name="María José López", agent_name="Ana", business_name="Abarrotes Doña Lupe"
    )
    text = (
        "Hola {{contact.first_name}} ({{ contact.name }}), soy {{agent.name}} de {{business.name}}."
    )
    assert fill(text, values) == ("Hola María (María José López), soy Ana de Abarrotes Doña Lupe.")


def test_a_variable_without_value_or_unknown_stays_as_written() -> None:
    values = variable_values(contact_name="  ", agent_name="Ana", business_name="")
    text = "Hola {{contact.first_name}}, soy {{agent.name}} de {{business.name}} {{order.id}}"
    assert (
        fill(text, values)
        == "Hola {{contact.first_name}}, soy Ana de {{business.name}} {{order.id}}"
    )
    assert fill("sin variables {", values) == "sin variables {"
