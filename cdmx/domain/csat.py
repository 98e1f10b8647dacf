"""The satisfaction survey's answers: the ids its choices carry and how to read them back.

A choice's id is ``csat:<conversation_id>:<score>`` (a list row's id, or the payload of a
template's quick-reply button, set when it is sent), so an answer names the conversation it
rates however late it comes, even after the customer has opened another one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "csat:"
SCORES = range(1, 6)
# The list's rows, best first: (score, title ≤ 24 characters).
CHOICES = (
    (5, "5 — Excelente"),
    (4, "4 — Buena"),
    (3, "3 — Regular"),
    (2, "2 — Mala"),
    (1, "1 — Muy mala"),
)
QUESTION = "¿Cómo calificarías la atención que recibiste?"
LIST_BUTTON = "Calificar"  # the list's button, ≤ 20 characters
_ANSWER = re.compile(r"csat:(\d{1,18}):(-?\d{1,3})")
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Answer:
    """A customer's answer as it came: the conversation it names and its score (unchecked)."""

    conversation_id: int
    score: int

    @property
    def valid(self) -> bool:
        return self.score in SCORES


def answer_id(conversation_id: int, score: int) -> str:
    """The id of one of the survey's choices."""
    return f"{PREFIX}{conversation_id}:{score}"


def parse_answer(value: str | None) -> Answer | None:
    """The answer an id names; None when it is not the survey's."""
    match = _ANSWER.fullmatch((value or "").strip())
    if match is None:
        return None
    return Answer(int(match.group(1)), int(match.group(2)))


def score_of_button(text: str) -> int | None:
    """A template quick-reply button's score: the first number of its text ("5 ⭐"), when
    it is 1 to 5 ("9 de 10" is none)."""
    match = _NUMBER.search(text)
    score = None if match is None else int(match.group(0))
    return score if score in SCORES else None
