"""Message search: the full-text backends behind ``GET /api/v1/messages?q=``.

What a search means, on both databases: case and accents do not matter, every word of the
query must appear in the message's text (a text's body or a medium's caption), and the last
word also matches as the start of a word, so results follow the agent's typing ("pedi"
finds "pedido"). Newest first, a page at a time (``before``: the last id of the page
before).

SQLite answers from an FTS5 table and PostgreSQL from a GIN index over a stored
``tsvector`` column (migration 0006). PostgreSQL splits the query with the parser that
built its index, so "12.50" and "ana@example.com" stay one word each there; on SQLite the
query is split at anything but letters and digits, as FTS5's ``unicode61`` split the text,
so they are two and three words, which must all appear.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.orm import Session

from cdmx.db.tables import Conversation, Message
from cdmx.domain.errors import ActionError

# What migration 0006 makes outside cdmx/db/tables.py: FTS5's table and its shadow tables
# (messages_search_data, …) on SQLite, the stored column and its index on PostgreSQL.
SCHEMA_PREFIXES = ("messages_search", "ix_messages_search", "search_vector")
MAX_QUERY_CHARS = 200
RECENT = 20_000  # PostgreSQL: how many of the newest messages a search reads first
MIN_PREFIX_CHARS = 2
# A letter or a digit in any script; FTS5's unicode61 and PostgreSQL's parser split on the rest.
_WORD = re.compile(r"[^\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BadSearch(ActionError):
    """A search that cannot be run: 400 ``bad_search``."""

    def __init__(self, message: str) -> None:
        super().__init__("bad_search", message)


@dataclass(frozen=True)
class SearchQuery:
    """A checked query: the agent's text, and whether its last word is also a prefix."""

    text: str
    prefix: bool

    @classmethod
    def parse(cls, raw: str) -> SearchQuery:
        """Check the agent's text; raise ``BadSearch`` when it cannot be searched."""
        # Composed, as the text was indexed ("o" + a combining accent is one "ó"); control
        # characters (a NUL cannot even reach PostgreSQL) are spaces.
        query = _CONTROL.sub(" ", unicodedata.normalize("NFC", raw)).strip()
        if len(query) > MAX_QUERY_CHARS:
            raise BadSearch(f"A search has at most {MAX_QUERY_CHARS} characters.")
        words = _WORD.findall(query)
        if not words:
            raise BadSearch("A search needs at least one letter or digit.")
        # A one-letter prefix would match most of the vocabulary: a whole word then.
        return cls(query, prefix=len(words[-1]) >= MIN_PREFIX_CHARS)


def search_messages(
    session: Session,
    query: SearchQuery,
    *,
    visible: ColumnElement[bool] | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """Messages matching ``query``, newest first. ``visible``: only conversations meeting
    this condition (who may see them, ``cdmx.queries.conversations.visible_condition``);
    None: every conversation."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        statement, order = _sqlite_matches(query, before_id)
    else:
        statement, order = _postgresql_matches(query, before_id)
    if visible is not None:
        statement = statement.join(Conversation, Conversation.id == Message.conversation_id)
        statement = statement.where(visible)
    if sqlite:
        ids = list(session.scalars(statement.order_by(order.desc()).limit(limit)))
    else:
        ids = _newest_first(session, statement, before_id, limit)
    rows = select(Message).where(Message.id.in_(ids)).order_by(Message.id.desc())
    return list(session.scalars(rows))


def _newest_first(
    session: Session, statement: Select[Any], before_id: int | None, limit: int
) -> list[int]:
    """PostgreSQL: the page's ids, from the newest ``RECENT`` messages first, then the rest.

    PostgreSQL estimates how many messages match a query by multiplying its words'
    frequencies; for words that go together ("reembolso tarjeta") it guesses a few hundred
    where there are tens of thousands, and so fetches them all through the index (one
    table page each) and sorts them, 80-150 ms at 1,000,000 messages, instead of walking
    the newest messages until the page is full. Within the newest ``RECENT`` either way is
    quick; only a query that does not fill its page there looks further back, and such a
    query is rare enough for the index.
    """
    top = before_id if before_id is not None else session.scalar(_NEXT_ID)
    floor = (top or 0) - RECENT
    newest = statement.where(Message.id >= floor).order_by(Message.id.desc()).limit(limit)
    ids = list(session.scalars(newest))
    if len(ids) < limit and floor > 0:
        older = statement.where(Message.id < floor).order_by(Message.id.desc())
        ids += session.scalars(older.limit(limit - len(ids)))
    return ids


def _sqlite_matches(
    query: SearchQuery, before_id: int | None
) -> tuple[Select[Any], ColumnElement[int]]:
    # Each word quoted: FTS5's own syntax (AND, NEAR, column:, ^, *) is taken as text.
    words = [f'"{word}"' for word in _WORD.findall(query.text)]
    if query.prefix:
        words[-1] += "*"
    # Driven by the FTS5 table, which walks its matches newest first (ORDER BY its rowid)
    # and stops at the page's end, however many messages match.
    rowid = _FTS.c.rowid
    statement = (
        select(rowid)
        .select_from(_FTS)
        .join(Message, Message.id == rowid)
        .where(text("messages_search MATCH :match").bindparams(match=" ".join(words)))
    )
    if before_id is not None:
        statement = statement.where(rowid < before_id)
    return statement, rowid


def _postgresql_matches(
    query: SearchQuery, before_id: int | None
) -> tuple[Select[Any], ColumnElement[int]]:
    # plainto_tsquery splits the text with the parser that built the index and takes every
    # character as text; the last lexeme then gets ":*" for the prefix. A text the parser
    # finds no word in ("²²") gives an empty query, which stays empty and matches nothing.
    tsquery: ColumnElement[Any] = func.plainto_tsquery(_CONFIG, query.text)
    if query.prefix:
        tsquery = cast(func.regexp_replace(cast(tsquery, Text), "'$", "':*"), TSQUERY)
    statement = select(Message.id).where(_VECTOR.bool_op("@@")(tsquery))
    if before_id is not None:
        statement = statement.where(Message.id < before_id)
    return statement, Message.id.expression


_FTS = table("messages_search", column("rowid", Integer))
_NEXT_ID = select(func.max(Message.id) + 1)
_CONFIG: ColumnElement[Any] = literal_column("'cdmx_search'::regconfig")
# Migration 0006's stored column (not in cdmx/db/tables.py: nothing else reads or writes it).
_VECTOR = literal_column("messages.search_vector", TSVECTOR)
