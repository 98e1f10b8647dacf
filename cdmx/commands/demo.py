"""``cdmx demo`` and ``cdmx simulator``: the stand-in for Meta, with or without the app."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
from pathlib import Path
from typing import Any

from cdmx.commands.migrate import apply_migrations
from cdmx.commands.serve import console_server
from cdmx.settings import Settings, load_settings

DEMO_USERS = (
    ("admin@demo.cdmx", "Admin Demo", "admin", "admin-demo-1"),
    ("ana@demo.cdmx", "Ana López", "agent", "agente-demo-1"),
    ("beto@demo.cdmx", "Beto Ramírez", "agent", "agente-demo-2"),
    ("sofia@demo.cdmx", "Sofía Hernández", "supervisor", "supervisora-demo-1"),
)
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


def _ensure_demo_users(settings: Settings) -> None:
    from sqlalchemy import select

    from cdmx.actions.canned import do_create_canned
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
    finally:
        db.dispose()
