"""``choose_agent``: only agents under capacity; previous agent, else fewest open, then
longest idle, then lowest id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cdmx.domain.routing import AgentLoad, choose_agent

T0 = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def agent(
    agent_id: int, open_conversations: int, idle_since: datetime | None = T0, capacity: int = 20
) -> AgentLoad:
    return AgentLoad(agent_id, open_conversations, idle_since, capacity)


def test_nobody_available_leaves_the_conversation_queued() -> None:
    assert choose_agent([]) is None
    assert choose_agent([], previous_agent_id=7) is None


def test_previous_agent_is_preferred_even_when_busier() -> None:
    available = [agent(1, 0), agent(7, 9)]
    assert choose_agent(available, previous_agent_id=7) == 7


def test_previous_agent_not_available_falls_back_to_fewest_open() -> None:
    available = [agent(1, 3), agent(2, 1), agent(3, 2)]
    assert choose_agent(available, previous_agent_id=99) == 2


def test_fewest_open_conversations_wins() -> None:
    available = [agent(1, 4), agent(2, 2, T0 - timedelta(days=1)), agent(3, 1, T0)]
    assert choose_agent(available) == 3


def test_tie_on_load_goes_to_the_agent_idle_longest() -> None:
    available = [
        agent(1, 2, T0),
        agent(2, 2, T0 - timedelta(minutes=30)),
        agent(3, 2, T0 - timedelta(minutes=5)),
    ]
    assert choose_agent(available) == 2


def test_agent_never_assigned_counts_as_idle_longest() -> None:
    available = [agent(1, 2, T0 - timedelta(days=365)), agent(5, 2, None)]
    assert choose_agent(available) == 5


def test_tie_on_load_and_idle_goes_to_the_lowest_id() -> None:
    available = [agent(9, 1, T0), agent(4, 1, T0), agent(6, 1, T0)]
    assert choose_agent(available) == 4


def test_tie_between_never_assigned_agents_goes_to_the_lowest_id() -> None:
    assert choose_agent([agent(8, 0, None), agent(3, 0, None)]) == 3


def test_choice_does_not_depend_on_input_order() -> None:
    available = [agent(1, 2, T0), agent(2, 1, T0), agent(3, 1, T0 - timedelta(hours=1))]
    assert choose_agent(available) == choose_agent(list(reversed(available))) == 3


def test_an_agent_at_capacity_is_passed_over_for_one_with_room() -> None:
    available = [agent(1, 2, capacity=2), agent(2, 5, capacity=6)]
    assert choose_agent(available) == 2


def test_a_previous_agent_at_capacity_is_not_preferred() -> None:
    available = [agent(1, 0, capacity=3), agent(7, 3, capacity=3)]
    assert choose_agent(available, previous_agent_id=7) == 1


def test_everyone_at_capacity_leaves_the_conversation_waiting() -> None:
    assert choose_agent([agent(1, 1, capacity=1), agent(2, 4, capacity=2)]) is None
