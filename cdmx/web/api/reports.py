"""Reports (supervisors: their queues; admins: all; agents 403): ``GET /api/v1/reports/
summary`` and the CSV exports ``GET /api/v1/reports/conversations.csv`` and
``GET /api/v1/contacts.csv``, streamed as they are read. Definitions: docs/reports.md."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from cdmx.actions.audit import record_audit
from cdmx.db.engine import Database
from cdmx.queries.exports import (
    CONTACT_FIELDS,
    CONVERSATION_FIELDS,
    contact_rows,
    conversation_rows,
)
from cdmx.queries.queues import business_zone
from cdmx.queries.reports import GROUPS, Period, report_scope, summary
from cdmx.web.api.audit import FORMULA_START
from cdmx.web.api.deps import DB, CurrentUser

router = APIRouter(tags=["reports"])

FROM = Query(alias="from", description="First day, YYYY-MM-DD in the business time zone")
TO = Query(alias="to", description="Last day (included), YYYY-MM-DD")


@router.get("/reports/summary")
def report_summary(
    user: CurrentUser,
    db: DB,
    first: date = FROM,
    last: date = TO,
    group_by: str = Query("day", description=" | ".join(GROUPS)),
) -> dict[str, Any]:
    """One row per day, agent, queue, number or label: conversations, first response
    (median, p90), reply and resolution times, raw and in business hours, the share
    answered within the queue's target, CSAT."""
    with db.read() as session:
        queues = report_scope(session, user)
        period = Period.parse(first, last, business_zone(session))
        return {"rows": summary(session, period, group_by, queues)}


@router.get("/reports/conversations.csv", response_class=StreamingResponse)
def export_conversations(
    user: CurrentUser, db: DB, first: date = FROM, last: date = TO
) -> StreamingResponse:
    """One row per conversation opened in the period; recorded as ``export.downloaded``."""
    with db.write() as session:
        queues = report_scope(session, user)
        zone = business_zone(session)
        period = Period.parse(first, last, zone)
        record_audit(
            session, "export.downloaded", object_type="conversation",
            detail={"export": "conversations.csv", "from": first.isoformat(),
                    "to": last.isoformat()}, actor=user,
        )  # fmt: skip
    rows = _csv(db, CONVERSATION_FIELDS, lambda s: conversation_rows(s, period, queues))
    return _download(rows, "conversations.csv")


@router.get("/contacts.csv", response_class=StreamingResponse)
def export_contacts(user: CurrentUser, db: DB) -> StreamingResponse:
    """Every contact a supervisor's queues have talked to (admins: every contact);
    recorded as ``export.downloaded``."""
    with db.write() as session:
        queues = report_scope(session, user)
        zone = business_zone(session)
        record_audit(
            session, "export.downloaded", object_type="contact",
            detail={"export": "contacts.csv"}, actor=user,
        )  # fmt: skip
    return _download(
        _csv(db, CONTACT_FIELDS, lambda s: contact_rows(s, queues, zone)), "contacts.csv"
    )


def _download(rows: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        rows, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )  # fmt: skip


def _csv(
    db: Database, fields: tuple[str, ...], read: Callable[[Session], Iterator[dict[str, Any]]]
) -> Iterator[str]:
    """The header at once (before any query), then the rows as they are read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(list(fields))
    with db.read() as session:
        for row in read(session):
            yield line([_cell(row[name]) for name in fields])


def _cell(value: Any) -> Any:
    """A CSV cell: empty for None; text a spreadsheet would run as a formula gets a '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
