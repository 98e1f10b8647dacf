"""The console's pages: login, logout, a sign-in link's password page, and the agent's
workspace."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cdmx.actions.audit import current_origin, record_audit
from cdmx.actions.channels import channel_json
from cdmx.actions.credentials import do_open_credential
from cdmx.actions.send_actions import action_json
from cdmx.actions.users import do_update_user
from cdmx.actions.users import user_json as users_json
from cdmx.db.tables import Channel, Queue, SendAction, User
from cdmx.domain.audit import ACTIONS, OBJECTS
from cdmx.domain.errors import ActionError, TooManyRequests
from cdmx.domain.hours import DAYS
from cdmx.domain.passwords import MIN_LENGTH
from cdmx.domain.scopes import SCOPES
from cdmx.domain.webhooks import EVENT_TYPES
from cdmx.queries.audit import AuditFilters
from cdmx.queries.audit import audit_page as audit_page_of
from cdmx.queries.contacts import contact_fields
from cdmx.queries.conversations import queues_of
from cdmx.queries.integrations import integration_tokens
from cdmx.queries.labels import all_labels
from cdmx.queries.queues import business_zone, queues_json
from cdmx.queries.reports import GROUPS, MAX_DAYS, report_scope, summary
from cdmx.queries.webhooks import all_subscriptions, disabled_subscriptions
from cdmx.web.auth import (
    checked_sign_in,
    csrf_token,
    load_user,
    open_credential,
    session_user,
    sign_in,
    sign_out,
)
from cdmx.web.bearer import still_bound
from cdmx.web.console import reports as report_page
from cdmx.web.console.i18n import pick_language, strings_for
from cdmx.web.services import services

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
LANG_COOKIE = "cdmx_lang"


def _language(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return pick_language(requested, services(request).settings.locale)


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    lang = _language(request)
    response = templates.TemplateResponse(
        request,
        name,
        {"lang": lang, "strings": strings_for(lang), "csrf_token": csrf_token(request), **context},
        status_code=status,
    )
    if request.query_params.get("lang"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return _render(request, "login.html", {"error": None, "email": ""})


@router.post("/login")
async def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf: str = Form("", alias="csrf_token"),
) -> Response:
    """Check the CSRF token and the password; start a fresh session."""
    expected = str(request.session.get("csrf", ""))
    lang = _language(request)
    if not csrf or not secrets.compare_digest(csrf, expected):
        error = strings_for(lang).get("error_session_expired", "Session expired; try again.")
        return _render(request, "login.html", {"error": error, "email": email}, 403)
    try:
        user = await checked_sign_in(request, email, password)
    except TooManyRequests as exc:
        error = strings_for(lang)["error_login_throttled"].replace("{s}", str(exc.retry_after))
        response = _render(request, "login.html", {"error": error, "email": email}, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if user is None:
        error = strings_for(lang).get("error_login_invalid", "Wrong e-mail or password.")
        return _render(request, "login.html", {"error": error, "email": email}, 401)
    db = services(request).db
    secret = await run_in_threadpool(open_credential, db, user, "session", "auth.sign_in")
    sign_in(request, user, secret)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", alias="csrf_token")) -> Response:
    if csrf and secrets.compare_digest(csrf, str(request.session.get("csrf", ""))):
        sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def console(request: Request) -> Response:
    user = session_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    lang = _language(request)
    settings = services(request).settings
    user_json = _signed_in_json(user)
    boot = {
        "strings": strings_for(lang), "user": user_json, "timezone": settings.timezone,
        "lang": lang,
    }  # fmt: skip
    context: dict[str, Any] = {"user": user_json, "timezone": settings.timezone, "boot": boot}
    context["attention"] = user.role != "agent" and _numbers_needing_attention(request)
    if user.role == "admin":
        with services(request).db.read() as session:
            context["webhooks_off"] = disabled_subscriptions(session)
    return _render(request, "console.html", context)


@router.get("/supervisor", response_class=HTMLResponse)
def supervisor_page(request: Request) -> Response:
    """The live view (supervisors and admins): ``GET /api/v1/live`` drawn by supervisor.js,
    fetched again on each event of the stream."""
    user = _page_user(request, ("admin", "supervisor"))
    if isinstance(user, Response):
        return user
    lang = _language(request)
    boot = {
        "strings": strings_for(lang),
        "lang": lang,
        "timezone": services(request).settings.timezone,
    }
    return _render(request, "supervisor.html", {"user": _signed_in_json(user), "boot": boot})


def _numbers_needing_attention(request: Request) -> bool:
    with services(request).db.read() as session:
        return session.scalar(select(Channel.id).where(Channel.health != "ok").limit(1)) is not None


def _page_user(request: Request, roles: tuple[str, ...]) -> User | Response:
    """The signed-in user when their role may open the page; else where to send them (the
    sign-in page, or the console)."""
    user = session_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in roles:
        return RedirectResponse("/", status_code=303)
    return user


def _signed_in_json(user: User) -> dict[str, Any]:
    """The signed-in user as the pages' top bar shows them."""
    return {
        "id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "availability": user.availability,
    }  # fmt: skip


@router.get("/admin/numbers", response_class=HTMLResponse)
def numbers_page(request: Request) -> Response:
    """The connected numbers, their health and tokens (admins change them; supervisors look)."""
    user = _page_user(request, ("admin", "supervisor"))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        numbers = [channel_json(c) for c in session.scalars(select(Channel).order_by(Channel.id))]
    user_json = _signed_in_json(user)
    return _render(
        request, "numbers.html",
        {"user": user_json, "numbers": numbers, "is_admin": user.role == "admin"},
    )  # fmt: skip


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    """Every user, active or not, with their role, capacity and queues (admins)."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        users = users_json(
            session,
            list(
                session.scalars(
                    select(User).where(User.role != "integration").order_by(User.name, User.id)
                )
            ),
        )
        queues = [
            {"id": q.id, "name": q.name, "is_default": q.is_default}
            for q in session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name))
        ]
    user_json = _signed_in_json(user)
    return _render(
        request, "users.html",
        {"user": user_json, "users": users, "queues": queues,
         "queue_names": {q["id"]: q["name"] for q in queues},
         "default_capacity": services(request).settings.agent_capacity,
         "password_min": MIN_LENGTH},
    )  # fmt: skip


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    """The audit trail (admins): filters, a page of entries, older pages, the CSV download.
    Rendered here from the same queries as ``GET /api/v1/audit``; the form is a plain GET,
    so a filtered view is a link that can be kept or shared."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    zone = ZoneInfo(services(request).settings.timezone)
    query = request.query_params
    chosen = {key: query.get(key, "").strip() for key in AUDIT_FILTERS}
    error = None
    entries: list[dict[str, Any]] = []
    following = None
    with services(request).db.read() as session:
        people = [
            {"id": u.id, "name": u.name}
            for u in session.scalars(select(User).order_by(User.name, User.id))
        ]
        try:
            filters = _audit_filters(chosen, zone)
            entries, following = audit_page_of(
                session, filters, cursor=query.get("cursor") or None, limit=AUDIT_PAGE
            )
        except (ActionError, ValueError):
            error = strings_for(_language(request))["audit_bad_filters"]
    for entry in entries:
        when = datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))
        entry["when"] = when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        entry["changes"] = _audit_changes(entry)
    given = {key: value for key, value in chosen.items() if value}
    older = f"/admin/audit?{urlencode({**given, 'cursor': following})}" if following else None
    return _render(
        request, "audit.html",
        {"user": _signed_in_json(user), "entries": entries, "chosen": chosen, "people": people,
         "actions": sorted(ACTIONS), "objects": OBJECTS, "error": error,
         "timezone": services(request).settings.timezone,
         "older": older,
         "newest": f"/admin/audit?{urlencode(given)}" if query.get("cursor") else None,
         "download": f"/api/v1/audit.csv?{urlencode(_audit_api_params(given, zone))}"},
    )  # fmt: skip


AUDIT_FILTERS = ("actor_id", "object_type", "object_id", "action", "from", "to")
AUDIT_PAGE = 50


def _audit_filters(chosen: dict[str, str], zone: ZoneInfo) -> AuditFilters:
    """The page's form as the API's filters; a day ``to`` includes that whole day."""
    params = _audit_api_params({k: v for k, v in chosen.items() if v}, zone)
    actor = chosen.get("actor_id", "")
    if actor and not (actor.isdigit() and len(actor) <= 18):
        raise ValueError("actor_id")
    if chosen.get("object_id") and not chosen.get("object_type"):
        raise ValueError("object_id without a type")
    for key in ("from", "to"):
        if chosen.get(key):
            datetime.strptime(chosen[key], "%Y-%m-%d")  # a day, or ValueError
    since = params.get("from")
    until = params.get("to")
    return AuditFilters.parse(
        actor_id=int(params["actor_id"]) if "actor_id" in params else None,
        object=params.get("object"), action=params.get("action"),
        since=datetime.fromisoformat(since) if since else None,
        until=datetime.fromisoformat(until) if until else None,
    )  # fmt: skip


def _audit_api_params(given: dict[str, str], zone: ZoneInfo) -> dict[str, str]:
    """The API's query for the page's form: days in the business time zone as times."""
    params: dict[str, str] = {}
    if given.get("actor_id"):
        params["actor_id"] = given["actor_id"]
    if given.get("object_type"):
        object_id = given.get("object_id", "")
        params["object"] = given["object_type"] + (f":{object_id}" if object_id else "")
    if given.get("action"):
        params["action"] = given["action"]
    for key, days in (("from", 0), ("to", 1)):
        if given.get(key):
            try:
                day = datetime.strptime(given[key], "%Y-%m-%d").replace(tzinfo=zone)
            except ValueError:
                continue  # the API would refuse it too: the page says the filters are wrong
            params[key] = (day + timedelta(days=days)).isoformat()
    return params


def _audit_changes(entry: dict[str, Any]) -> list[dict[str, str]]:
    """``field: before → after`` lines, and the detail's values, as short text."""
    before, after = entry["before"] or {}, entry["after"] or {}
    lines = [
        {"field": key, "before": _short(before.get(key)), "after": _short(after.get(key))}
        for key in dict.fromkeys([*before, *after])
    ]
    for key, value in (entry["detail"] or {}).items():
        lines.append({"field": key, "before": "", "after": _short(value)})
    return lines


def _short(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:119] + "…"


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request) -> Response:
    """The reports (supervisors: their queues; admins: all): a period of local days, a
    grouping and a queue; bar charts drawn here as SVG and a table of the same figures; the
    CSV downloads. The same summary as ``GET /api/v1/reports/summary``; the form is a plain
    GET, so a report is a link that can be kept or shared."""
    user = _page_user(request, ("admin", "supervisor"))
    if isinstance(user, Response):
        return user
    strings = strings_for(_language(request))
    rows: list[dict[str, Any]] = []
    with services(request).db.read() as session:
        allowed = report_scope(session, user)
        zone = business_zone(session)
        shown = [
            q
            for q in session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name))
            if allowed is None or q.id in allowed
        ]
        queues = [{"id": q.id, "name": q.name} for q in shown]
        today = datetime.now(zone).date()
        form = report_page.ReportForm.parse(
            request.query_params, today, zone, [q.id for q in shown]
        )
        if form.period is not None:
            rows = summary(session, form.period, form.group_by, form.scope(allowed))
            if form.group_by == "day":
                rows = report_page.every_day(rows, form.period)
    error = None
    if form.error is not None:
        error = strings[form.error].replace("{days}", str(MAX_DAYS))
    period = {"from": form.first, "to": form.last}
    return _render(
        request, "reports.html",
        {"user": _signed_in_json(user), "form": form, "error": error, "queues": queues,
         "groups": GROUPS, "timezone": str(zone),
         "charts": report_page.charts(rows, form.group_by, strings),
         "rows": report_page.table_rows(rows, form.group_by, strings),
         "conversations_csv": (
             f"/api/v1/reports/conversations.csv?{urlencode(period)}" if not error else None
         ),
         "contacts_csv": "/api/v1/contacts.csv"},
    )  # fmt: skip


@router.get("/canned", response_class=HTMLResponse)
def canned_page(request: Request) -> Response:
    """Quick replies (everyone signed in): the ones the user may use; they add their own,
    and admins and supervisors shared ones (the list itself comes from the API)."""
    user = _page_user(request, ("admin", "supervisor", "agent"))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        queues = [
            {"id": q.id, "name": q.name}
            for q in session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name))
        ]
        mine = sorted(queues_of(session, user))
    # The queues this user may make shared replies for, as the API decides it.
    if user.role == "admin":
        shared_queues = queues
    elif user.role == "supervisor":
        shared_queues = [q for q in queues if q["id"] in mine]
    else:
        shared_queues = []
    user_json = _signed_in_json(user)
    lang = _language(request)
    boot = {
        "strings": strings_for(lang), "lang": lang, "user": user_json,
        "queues": queues, "my_queue_ids": mine,
    }  # fmt: skip
    return _render(
        request, "canned.html",
        {"user": user_json, "boot": boot, "shared_queues": shared_queues,
         "may_share": user.role != "agent"},
    )  # fmt: skip


@router.get("/admin/labels", response_class=HTMLResponse)
def labels_page(request: Request) -> Response:
    """The labels agents put on conversations and the fields the team keeps on each
    customer's profile (admins)."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        labels = all_labels(session)
        fields = contact_fields(session)
    user_json = _signed_in_json(user)
    lang = _language(request)
    return _render(
        request, "labels.html",
        {"user": user_json, "labels": labels, "fields": fields,
         "boot": {"strings": strings_for(lang), "lang": lang}},
    )  # fmt: skip


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request) -> Response:
    """The business's endpoints that receive events, with their delivery log (admins)."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        subscriptions = all_subscriptions(session)
        actions = [
            action_json(a, admin=True)
            for a in session.scalars(select(SendAction).order_by(SendAction.name))
        ]
    user_json = _signed_in_json(user)
    lang = _language(request)
    return _render(
        request, "webhooks.html",
        {"user": user_json, "webhooks": subscriptions, "actions": actions,
         "event_types": EVENT_TYPES[:-1],
         "boot": {"strings": strings_for(lang), "lang": lang, "event_types": EVENT_TYPES[:-1]}},
    )  # fmt: skip


@router.get("/admin/integrations", response_class=HTMLResponse)
def integrations_page(request: Request) -> Response:
    """The integration tokens: create one with scopes and an expiry, see when each was
    last used, revoke (admins)."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    with services(request).db.read() as session:
        tokens = integration_tokens(session)
    lang = _language(request)
    return _render(
        request, "integrations.html",
        {"user": _signed_in_json(user), "tokens": tokens, "scopes": list(SCOPES),
         "boot": {"strings": strings_for(lang), "lang": lang}},
    )  # fmt: skip


@router.get("/admin/queues", response_class=HTMLResponse)
def queues_page(request: Request) -> Response:
    """The queues: their members, numbers, business hours, messages and timers (admins)."""
    user = _page_user(request, ("admin",))
    if isinstance(user, Response):
        return user
    timezone = services(request).settings.timezone
    zone = ZoneInfo(timezone)
    with services(request).db.read() as session:
        queues = list(session.scalars(select(Queue).order_by(Queue.is_default.desc(), Queue.name)))
        shown = queues_json(session, queues, now=datetime.now(UTC), zone=zone)
        members = [
            {"id": u.id, "name": u.name, "role": u.role}
            for u in session.scalars(
                select(User)
                .where(User.is_active.is_(True), User.role != "integration")
                .order_by(User.name, User.id)
            )
        ]
        numbers = [channel_json(c) for c in session.scalars(select(Channel).order_by(Channel.id))]
    for queue in shown:
        queue["schedule"] = _schedule(queue["hours"])
        queue["summary"] = _summary(queue["hours"])
    user_json = _signed_in_json(user)
    return _render(
        request, "queues.html",
        {"user": user_json, "queues": shown, "members": members, "numbers": numbers,
         "timezone": timezone},
    )  # fmt: skip


def _schedule(hours: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A queue's week as the form's grid shows it: per day its ranges, at least two rows
    (empty ones to fill in). ``<input type="time">`` has no 24:00; 00:00 as an end means
    the same (a range past midnight ends there)."""
    weekly = (hours or {}).get("weekly") or {}
    grid = []
    for day in DAYS:
        ranges = [
            [start, "00:00" if end == "24:00" else end] for start, end in weekly.get(day) or []
        ]
        grid.append({"day": day, "ranges": ranges + [["", ""]] * max(0, 2 - len(ranges))})
    return grid


def _summary(hours: dict[str, Any] | None) -> list[dict[str, str]]:
    """The open days in runs of days with the same ranges: Monday–Friday 09:00–18:00."""
    weekly = (hours or {}).get("weekly") or {}
    runs: list[dict[str, str]] = []
    previous = ""
    for day in DAYS:
        ranges = ", ".join(f"{start}–{end}" for start, end in weekly.get(day) or [])
        if ranges and ranges == previous:
            runs[-1]["last"] = day
        elif ranges:
            runs.append({"first": day, "last": day, "ranges": ranges})
        previous = ranges
    return runs


# --- one-time sign-in links: a new user (or one who forgot) chooses their password ----------


def _invitee(request: Request, token: str) -> User | None:
    """The active user a sign-in link is for, while the link is still good (unexpired,
    and their password unchanged since it was issued)."""
    data = services(request).tokens.check_link(token)
    if data is None:
        return None
    user = load_user(services(request).db, data.get("uid"))
    return user if user is not None and still_bound(user, data) else None


def _welcome(request: Request, user: User | None, error: str | None, status: int) -> Response:
    invitee = None if user is None else {"name": user.name, "email": user.email}
    context = {"invitee": invitee, "error": error, "password_min": MIN_LENGTH}
    return _render(request, "welcome.html", context, status)


@router.get("/welcome/{token}", response_class=HTMLResponse)
def welcome_page(token: str, request: Request) -> Response:
    user = _invitee(request, token)
    return _welcome(request, user, None, 200 if user else 410)


@router.post("/welcome/{token}")
async def welcome(
    token: str,
    request: Request,
    password: str = Form(""),
    confirm: str = Form(""),
    csrf: str = Form("", alias="csrf_token"),
) -> Response:
    """Set the password the link was for, end the link (the password changed), sign in."""
    strings = strings_for(_language(request))
    user = await run_in_threadpool(_invitee, request, token)
    if user is None:
        return _welcome(request, None, None, 410)
    if not csrf or not secrets.compare_digest(csrf, str(request.session.get("csrf", ""))):
        return _welcome(request, user, strings["error_session_expired"], 403)
    if len(password) < MIN_LENGTH:
        return _welcome(
            request, user, strings["welcome_too_short"].replace("{min}", str(MIN_LENGTH)), 422
        )
    if password != confirm:
        return _welcome(request, user, strings["welcome_mismatch"], 422)

    def choose() -> str:
        with services(request).db.write() as session:
            # The invitee is the one acting (no session yet): the change and the sign-in
            # are theirs in the audit trail.
            if (origin := current_origin()) is not None:
                origin.act_as(user, "console")
            do_update_user(session, user.id, password=password)
            record_audit(
                session, "auth.sign_in", object_type="user", object_id=user.id, actor=user,
                detail={"with": "sign_in_link"},
            )  # fmt: skip
            # After the new password ended the user's old sessions: this one is new.
            return do_open_credential(session, user, "session")

    secret = await run_in_threadpool(choose)
    sign_in(request, user, secret)
    return RedirectResponse("/", status_code=303)
