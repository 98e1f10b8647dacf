"""The audit trail (admins): ``GET /api/v1/audit`` pages it, newest first;
``GET /api/v1/audit.csv`` streams every matching entry as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime

from cdmx.actions.audit import record_audit
from cdmx.db.engine import Database
from cdmx.queries.audit import FIELDS, MAX_PAGE, AuditFilters, audit_page, audit_rows
from cdmx.web.api.deps import DB, AdminUser

router = APIRouter(tags=["audit"])

ACTOR = Query(None, ge=1, le=2**63 - 1, description="Who acted (a user id)")
OBJECT = Query(None, max_length=60, description="type, or type:id (conversation:12)")
ACTION = Query(None, max_length=60, description="An action name, or prefix.* (label.*)")
SINCE = Query(None, alias="from", description="From this time (inclusive), with its offset")
UNTIL = Query(None, alias="to", description="Until this time (exclusive), with its offset")
# A spreadsheet runs a cell starting with one of these as a formula: such text gets a '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _filters(
    actor_id: int | None, object: str | None, action: str | None,
    since: AwareDatetime | None, until: AwareDatetime | None,
) -> AuditFilters:  # fmt: skip
    return AuditFilters.parse(
        actor_id=actor_id, object=object, action=action, since=since, until=until
    )


@router.get("/audit")
def list_audit(
    user: AdminUser,
    db: DB,
    actor_id: int | None = ACTOR,
    object: str | None = OBJECT,
    action: str | None = ACTION,
    since: AwareDatetime | None = SINCE,
    until: AwareDatetime | None = UNTIL,
    cursor: str | None = Query(None, max_length=200, description="`next` of the last page"),
    limit: int = Query(50, ge=1, le=MAX_PAGE),
) -> dict[str, Any]:
    """Entries newest first, ``limit`` at a time; ``next`` continues (null at the end)."""
    filters = _filters(actor_id, object, action, since, until)
    with db.read() as session:
        entries, following = audit_page(session, filters, cursor=cursor, limit=limit)
    return {"entries": entries, "next": following}


@router.get("/audit.csv", response_class=StreamingResponse)
def export_audit(
    user: AdminUser,
    db: DB,
    actor_id: int | None = ACTOR,
    object: str | None = OBJECT,
    action: str | None = ACTION,
    since: AwareDatetime | None = SINCE,
    until: AwareDatetime | None = UNTIL,
) -> StreamingResponse:
    """Every matching entry as CSV (same columns as the JSON), streamed as it is read; the
    download is itself recorded (``export.downloaded``)."""
    filters = _filters(actor_id, object, action, since, until)
    with db.write() as session:
        record_audit(
            session, "export.downloaded", object_type="audit",
            detail={"export": "audit.csv", "filters": _described(filters)}, actor=user,
        )  # fmt: skip
    return StreamingResponse(
        _csv(db, filters), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )  # fmt: skip


def _csv(db: Database, filters: AuditFilters) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(list(FIELDS))
    with db.read() as session:
        for entry in audit_rows(session, filters):
            yield line([_cell(entry[name]) for name in FIELDS])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _described(filters: AuditFilters) -> dict[str, Any]:
    return {
        key: value for key, value in vars(filters).items() if value is not None
    }  # fmt: skip
