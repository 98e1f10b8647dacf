"""The survey's choice ids: written and read back, and anything else is not an answer."""

from __future__ import annotations

from cdmx.domain.csat import CHOICES, Answer, answer_id, parse_answer, score_of_button


def test_a_choice_id_reads_back_as_its_conversation_and_score() -> None:
    assert answer_id(42, 5) == "csat:42:5"
    assert parse_answer(answer_id(42, 5)) == Answer(42, 5)
    assert parse_answer(" csat:7:1 ") == Answer(7, 1)


def test_a_score_outside_one_to_five_is_read_but_not_valid() -> None:
    assert [parse_answer(f"csat:1:{s}").valid for s in (0, 1, 5, 6, -1)] == [  # type: ignore[union-attr]
        False, True, True, False, False,
    ]  # fmt: skip


def test_other_ids_are_not_answers() -> None:
    for value in (None, "", "row-1", "csat:", "csat:abc:5", "csat:1:5:9", "CSAT:1:5", "csat:1"):
        assert parse_answer(value) is None


def test_the_list_fits_whatsapp_and_a_button_s_score_is_its_first_digit() -> None:
    assert [score for score, _ in CHOICES] == [5, 4, 3, 2, 1]
    assert all(len(title) <= 24 for _, title in CHOICES)
    assert len(answer_id(10**18 - 1, 5)) <= 200
    assert score_of_button("5 ⭐") == 5 and score_of_button("Regular (3)") == 3
    assert score_of_button("Excelente") is None and score_of_button("9 de 10") is None
