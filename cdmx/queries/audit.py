"""Reading the audit trail: filtered pages, newest first, with an opaque cursor; and every
matching row in batches, for the CSV export (memory stays flat however many there are)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from cdmx.db.tables import AUDIT_LOG
from cdmx.domain.audit import ACTIONS, OBJECTS
from cdmx.domain.errors import Invalid

MAX_PAGE = 200
EXPORT_BATCH = 1000
FIELDS = (
    "id", "created_at", "actor_id", "actor_name", "via", "action", "object_type", "object_id",
    "address", "before", "after", "detail",
)  # fmt: skip


@dataclass(frozen=True)
class AuditFilters:
    """What ``GET /api/v1/audit`` narrows by; None means any."""

    actor_id: int | None = None
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None  # a name, or "<object>.*" for all of one object's actions
    since: datetime | None = None  # from (inclusive)
    until: datetime | None = None  # to (exclusive)

    @classmethod
    def parse(
        cls,
        *,
        actor_id: int | None,
        object: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> AuditFilters:
        """Check the query's values: ``object`` is ``type`` or ``type:id``; ``action`` a
        known name or ``prefix.*``; 422 otherwise."""
        object_type = object_id = None
        if object:
            object_type, _, raw_id = object.partition(":")
            if object_type not in OBJECTS:
                raise Invalid("invalid_object", f"object: one of {', '.join(OBJECTS)}[:id].")
            if raw_id:
                if not raw_id.isdigit() or len(raw_id) > 18:
                    raise Invalid("invalid_object", "object: type:id with a numeric id.")
                object_id = int(raw_id)
        if action:
            prefix = action.removesuffix("*")
            known = any(name.startswith(prefix) for name in ACTIONS) if action.endswith(
                ".*"
            ) else action in ACTIONS  # fmt: skip
            if not known:
                raise Invalid("invalid_action", f"action: no audited action {action!r}.")
        return cls(actor_id, object_type, object_id, action or None, since, until)


def audit_page(
    session: Session, filters: AuditFilters, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of entries, newest first, and the cursor of the next (None at the end)."""
    query = _filtered(filters)
    if cursor is not None:
        query = query.where(AUDIT_LOG.c.id < _decode(cursor))
    rows = session.execute(query.order_by(AUDIT_LOG.c.id.desc()).limit(limit + 1)).all()
    entries = [entry_json(row) for row in rows[:limit]]
    following = _encode(entries[-1]["id"]) if len(rows) > limit else None
    return entries, following


def audit_rows(session: Session, filters: AuditFilters) -> Iterator[dict[str, Any]]:
    """Every matching entry, newest first, read EXPORT_BATCH at a time (keyset, so each
    batch is one indexed query and nothing is held between them)."""
    below: int | None = None
    while True:
        query = _filtered(filters)
        if below is not None:
            query = query.where(AUDIT_LOG.c.id < below)
        rows = session.execute(query.order_by(AUDIT_LOG.c.id.desc()).limit(EXPORT_BATCH)).all()
        for row in rows:
            yield entry_json(row)
        if len(rows) < EXPORT_BATCH:
            return
        below = rows[-1].id


def entry_json(row: Row[Any]) -> dict[str, Any]:
    """An entry as the API shows it (the CSV has the same columns)."""
    entry = {name: getattr(row, name) for name in FIELDS}
    created: datetime = entry["created_at"]
    entry["created_at"] = created.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return entry


def _filtered(filters: AuditFilters) -> Select[Any]:
    query = select(*(AUDIT_LOG.c[name] for name in FIELDS))
    if filters.actor_id is not None:
        query = query.where(AUDIT_LOG.c.actor_id == filters.actor_id)
    if filters.object_type is not None:
        query = query.where(AUDIT_LOG.c.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AUDIT_LOG.c.object_id == filters.object_id)
    if filters.action is not None:
        if filters.action.endswith(".*"):
            # The list is closed: a prefix is the names it covers, which the index finds
            # (a LIKE walked the newest entries on PostgreSQL: 24 ms at 200,000, measured).
            prefix = filters.action[:-1]
            query = query.where(AUDIT_LOG.c.action.in_(n for n in ACTIONS if n.startswith(prefix)))
        else:
            query = query.where(AUDIT_LOG.c.action == filters.action)
    if filters.since is not None:
        query = query.where(AUDIT_LOG.c.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AUDIT_LOG.c.created_at < filters.until)
    return query


def _encode(entry_id: int) -> str:
    raw = json.dumps({"before": entry_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)["before"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise Invalid("invalid_cursor", "cursor: pass the `next` of a previous page.") from None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise Invalid("invalid_cursor", "cursor: pass the `next` of a previous page.")
    return value
