"""``cdmx demo`` and ``cdmx simulator``: the stand-in for Meta, with or without the app."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

from cdmx.commands.demo_accounts import DEMO_USERS
from cdmx.commands.migrate import apply_migrations
from cdmx.commands.serve import console_server
from cdmx.settings import Settings, load_settings

# Two teams: the number feeds Ventas (the default queue); Soporte keeps office hours.
# Shared quick replies: type "/" in the composer.
DEMO_QUICK_REPLIES = (
    ("saludo", "¡Hola {{contact.first_name}}! Soy {{agent.name}}, ¿en qué le puedo ayudar?"),
    ("horario", "Atendemos de lunes a viernes de 9 a 18 h y sábados de 10 a 14 h."),
    ("gracias", "Gracias por escribirnos, {{contact.first_name}}. ¡Que tenga buen día!"),
)
DEMO_SUPPORT_HOURS = {
    "weekly": {
        **{day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
        "sat": [["10:00", "14:00"]], "sun": [],
    },
    "holidays": "MX", "closed_dates": [],
}  # fmt: skip


def register(subparsers: Any) -> None:
    """Add the ``demo`` and ``simulator`` commands to the ``cdmx`` parser."""
    demo = subparsers.add_parser("demo", help="everything a newcomer needs, with no accounts")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--simulator-port", type=int, default=8001)
    demo.set_defaults(func=_demo)

    sim = subparsers.add_parser("simulator", help="the stand-in for Meta's Cloud API, alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8001)
    sim.add_argument("--webhook-url", required=True)
    sim.add_argument("--app-secret", required=True)
    sim.add_argument("--access-token", default="sim-token")
    sim.add_argument("--error-rate", type=float, default=0.0)
    sim.add_argument("--latency-ms", type=int, default=0)
    sim.add_argument("--throttle-per-second", type=float, default=0.0)
    sim.set_defaults(func=_simulator)


def _simulator(args: argparse.Namespace) -> int:
    import uvicorn

    from cdmx.simulator import SimulatorConfig, create_simulator_app

    config = SimulatorConfig(
        app_secret=args.app_secret,
        webhook_url=args.webhook_url,
        access_token=args.access_token,
        error_rate=args.error_rate,
        latency_ms=args.latency_ms,
        throttle_per_second=args.throttle_per_second,
    )
    uvicorn.run(
        create_simulator_app(config), host=args.host, port=args.port, log_level="warning",
        timeout_graceful_shutdown=3,
    )  # fmt: skip
    return 0


def _demo(args: argparse.Namespace) -> int:
    """The app and the simulator in one process, wired together, with demo users."""
    import uvicorn

    from cdmx.app import create_app
    from cdmx.simulator import SimulatorConfig, create_simulator_app

    data = Path("./data")
    data.mkdir(exist_ok=True)
    secret_file = data / "secret_key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
    app_secret = "demo-app-secret"
    sim_config = SimulatorConfig(
        app_secret=app_secret,
        webhook_url=f"http://{args.host}:{args.port}/webhooks/whatsapp",
    )
    env = {
        "CDMX_DEMO": "true",
        "CDMX_SECRET_KEY": secret_file.read_text().strip(),
        "CDMX_BASE_URL": f"http://{args.host}:{args.port}",
        "WHATSAPP_PHONE_NUMBER_ID": sim_config.phone_number_id,
        "WHATSAPP_BUSINESS_ACCOUNT_ID": sim_config.waba_id,
        "WHATSAPP_DISPLAY_PHONE_NUMBER": sim_config.display_phone_number,
        "META_ACCESS_TOKEN": sim_config.access_token,
        "META_APP_SECRET": app_secret,
        "WEBHOOK_VERIFICATION_TOKEN": "demo-verify-token",
        "GRAPH_API_BASE_URL": f"http://{args.host}:{args.simulator_port}",
        "GRAPH_API_VERSION": sim_config.version,
    }
    for key, value in env.items():
        os.environ.setdefault(key, value)
    settings = load_settings()
    apply_migrations(settings)
    _ensure_demo_users(settings)
    _ensure_demo_customer(settings)
    _ensure_demo_rating(settings)

    async def run() -> None:
        servers = [
            console_server(
                uvicorn.Config(
                    create_app(settings),
                    host=args.host,
                    port=args.port,
                    log_level="warning",
                    timeout_graceful_shutdown=3,
                )  # fmt: skip
            ),
            uvicorn.Server(
                uvicorn.Config(
                    create_simulator_app(sim_config),
                    host=args.host,
                    port=args.simulator_port,
                    log_level="warning",
                    timeout_graceful_shutdown=3,
                )  # fmt: skip
            ),
        ]
        await asyncio.gather(*(server.serve() for server in servers))

    base = f"http://{args.host}"
    print(
        "\nWhatsApp CDMX demo is running\n"
        f"  console:        {base}:{args.port}/\n"
        f"  customer phone: {base}:{args.simulator_port}/phone\n"
        "  logins (e-mail / password):\n"
        + "".join(f"    {role:<6} {email} / {pw}\n" for email, _, role, pw in DEMO_USERS)
        + "  Ctrl+C stops it; data stays in ./data\n",
        flush=True,
    )
    asyncio.run(run())
    return 0


# One customer who wrote from two numbers (work and personal): two contacts, not merged, so
# the demo can show "Unir con otro contacto" (search "Gabriela" in the inbox).
DEMO_TWO_NUMBERS = (
    ("5215511112222", "Gabriela Torres", "demo-merge-1", "Hola, ¿tienen envío a Puebla?"),
    ("5215533334444", "Gaby T.", "demo-merge-2", "Les escribo de mi otro número por el pedido."),
)


DEMO_LABELS = (
    ("Venta", "#1F8A4C"), ("Reclamo", "#C62828"), ("Factura", "#1565C0"),
    ("VIP", "#8E24AA"), ("Urgente", "#EF6C00"),
)  # fmt: skip


# The business's own details on each customer's profile (Etiquetas › Campos del cliente).
DEMO_CONTACT_FIELDS = (("numero_cliente", "Número de cliente"), ("ciudad", "Ciudad"))


def _ensure_demo_customer(settings: Settings) -> None:
    """The customer of DEMO_TWO_NUMBERS, once (their messages recorded as if received)."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from cdmx.actions.channels import do_ensure_channel
    from cdmx.actions.inbound import do_record_inbound_message
    from cdmx.actions.labels import do_set_conversation_labels
    from cdmx.actions.profile import do_update_profile
    from cdmx.db.engine import Database
    from cdmx.db.tables import Contact, Label, User
    from cdmx.domain.states import MessageType
    from cdmx.whatsapp.payload import InboundMessage, Sender

    db = Database(settings.database_url)
    try:
        with db.write() as session:
            wa_ids = [wa_id for wa_id, *_ in DEMO_TWO_NUMBERS]
            if session.scalar(select(Contact.id).where(Contact.wa_id.in_(wa_ids)).limit(1)):
                return
            channel = do_ensure_channel(
                session, phone_number_id=settings.phone_number_id,
                display_phone_number=settings.display_phone_number,
                business_account_id=settings.business_account_id, provider=settings.provider,
            )  # fmt: skip
            venta = session.scalar(select(Label.id).where(Label.name == "Venta"))
            admin = session.scalar(select(User).where(User.role == "admin").limit(1))
            for wa_id, name, wamid, text in DEMO_TWO_NUMBERS:
                inbound = InboundMessage(
                    phone_number_id=settings.phone_number_id,
                    display_phone_number=settings.display_phone_number, wamid=wamid,
                    sender=Sender(wa_id=wa_id, user_id=None, name=name),
                    type=MessageType.TEXT, text=text, summary=text,
                    timestamp=datetime.now(UTC), errors=(), raw={},
                )  # fmt: skip
                recorded = do_record_inbound_message(session, channel, inbound)
                if venta is not None and admin is not None and recorded is not None:
                    do_set_conversation_labels(session, admin, recorded.conversation_id, [venta])
                    if wa_id == DEMO_TWO_NUMBERS[0][0]:  # her profile, filled in by the team
                        contact = select(Contact.id).where(Contact.wa_id == wa_id)
                        do_update_profile(
                            session, admin, session.scalars(contact).one(),
                            {"attributes": {"numero_cliente": "C-10482", "ciudad": "Puebla"}},
                        )  # fmt: skip
    finally:
        db.dispose()


# A customer whose conversation was closed and rated 5 in the satisfaction survey (filter
# the inbox by "Cerradas" to see "Calificación: 5/5").
DEMO_RATED = ("5215544445555", "Lucía Ramírez", "¿Ya salió mi pedido 4471?", 5)


def _ensure_demo_rating(settings: Settings) -> None:
    """DEMO_RATED's conversation, once: her message, closed by the admin (the survey goes),
    and her answer, recorded as if she had tapped the list's first row."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from cdmx.actions.channels import do_ensure_channel
    from cdmx.actions.closing import do_close_conversation
    from cdmx.actions.inbound import do_record_inbound_message
    from cdmx.db.engine import Database
    from cdmx.db.tables import Contact, User
    from cdmx.domain.csat import CHOICES, answer_id
    from cdmx.domain.states import MessageType
    from cdmx.whatsapp.payload import InboundMessage, Sender

    wa_id, name, text, score = DEMO_RATED
    db = Database(settings.database_url)
    try:
        with db.write() as session:
            if session.scalar(select(Contact.id).where(Contact.wa_id == wa_id)):
                return
            admin = session.scalar(select(User).where(User.role == "admin").limit(1))
            if admin is None:
                return
            channel = do_ensure_channel(
                session, phone_number_id=settings.phone_number_id,
                display_phone_number=settings.display_phone_number,
                business_account_id=settings.business_account_id, provider=settings.provider,
            )  # fmt: skip
            sender = Sender(wa_id=wa_id, user_id=None, name=name)
            first = do_record_inbound_message(session, channel, InboundMessage(
                phone_number_id=settings.phone_number_id,
                display_phone_number=settings.display_phone_number, wamid="demo-rated-1",
                sender=sender, type=MessageType.TEXT, text=text, summary=text,
                timestamp=datetime.now(UTC), errors=(), raw={},
            ))  # fmt: skip
            if first is None:
                return
            conversation = do_close_conversation(session, admin, first.conversation_id)
            if conversation.csat_sent_at is None:
                return  # the queue's survey is off
            title = dict(CHOICES)[score]
            reply = {"id": answer_id(conversation.id, score), "title": title}
            do_record_inbound_message(session, channel, InboundMessage(
                phone_number_id=settings.phone_number_id,
                display_phone_number=settings.display_phone_number, wamid="demo-rated-2",
                sender=sender, type=MessageType.INTERACTIVE, text=None, summary=f"↩ {title}",
                timestamp=datetime.now(UTC), errors=(),
                raw={"type": "interactive",
                     "interactive": {"type": "list_reply", "list_reply": reply}},
            ))  # fmt: skip
    finally:
        db.dispose()


def _demo_saved_view(session: Any, supervisor_id: int) -> None:
    """The supervisor's own view of the customers waiting longest in the queue."""
    from cdmx.actions.views import do_create_view
    from cdmx.db.tables import User

    supervisor = session.get(User, supervisor_id)
    assert supervisor is not None
    do_create_view(
        session, supervisor, name="Reclamos sin responder",
        filters={"view": "all", "status": "queued", "order": "waiting"},
    )  # fmt: skip


def _ensure_demo_users(settings: Settings) -> None:
    from sqlalchemy import select

    from cdmx.actions.canned import do_create_canned
    from cdmx.actions.labels import do_create_label
    from cdmx.actions.profile import do_create_contact_field
    from cdmx.actions.queues import do_create_queue, do_ensure_default_queue, do_update_queue
    from cdmx.actions.users import do_create_user, do_set_availability
    from cdmx.db.engine import Database
    from cdmx.db.tables import Queue, User

    db = Database(settings.database_url)
    try:
        with db.write() as session:
            ids = {}
            for email, name, role, password in DEMO_USERS:
                found = session.scalar(select(User.id).where(User.email == email))
                if found is None:
                    user = do_create_user(
                        session, email=email, name=name, role=role, password=password,
                        capacity=3 if email.startswith("ana@") else None,
                    )  # fmt: skip
                    if role == "agent":
                        do_set_availability(session, user.id, "available")
                    found = user.id
                ids[email] = found
            default_id = do_ensure_default_queue(session)
            if session.scalar(select(Queue.id).where(Queue.is_default.is_(False))) is None:
                do_update_queue(
                    session, default_id, name="Ventas",
                    greeting_message="¡Hola! Gracias por escribir a Ventas. "
                    "En un momento le atendemos.",
                    csat_enabled=True, csat_template_name="encuesta_csat",
                    csat_template_language="es_MX",  # the simulator's, for a shut window
                )  # fmt: skip
                admin = session.get(User, ids["admin@demo.cdmx"])
                assert admin is not None
                for shortcut, text in DEMO_QUICK_REPLIES:
                    do_create_canned(session, admin, shortcut=shortcut, text=text)
                do_create_queue(
                    session, name="Soporte", hours=DEMO_SUPPORT_HOURS,
                    member_ids=[ids["beto@demo.cdmx"], ids["sofia@demo.cdmx"]],
                    closed_message="Nuestro horario de soporte es de lunes a viernes de 9 a 18 h "
                    "y sábados de 10 a 14 h. Le respondemos en cuanto abramos.",
                )  # fmt: skip
                _demo_saved_view(session, ids["sofia@demo.cdmx"])
                for name, color in DEMO_LABELS:
                    do_create_label(session, admin, name=name, color=color)
                for key, label in DEMO_CONTACT_FIELDS:
                    do_create_contact_field(session, admin, key, label)
    finally:
        db.dispose()
