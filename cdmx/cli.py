"""The ``cdmx`` command: serve, worker, demo, simulator, migrate, users."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cdmx.settings import Settings, SettingsError, load_settings

log = logging.getLogger("cdmx")

DEMO_USERS = (
    ("admin@demo.cdmx", "Admin Demo", "admin", "admin-demo-1"),
    ("ana@demo.cdmx", "Ana López", "agent", "agente-demo-1"),
    ("beto@demo.cdmx", "Beto Ramírez", "agent", "agente-demo-2"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("CDMX_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"cdmx: setting error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdmx", description="WhatsApp CDMX contact center")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app (and the workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-workers", action="store_true", help="run workers elsewhere")
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="run only the inbox and outbox workers")
    worker.set_defaults(func=_worker)

    demo = sub.add_parser("demo", help="everything a newcomer needs, with no accounts")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--simulator-port", type=int, default=8001)
    demo.set_defaults(func=_demo)

    sim = sub.add_parser("simulator", help="the stand-in for Meta's Cloud API, alone")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8001)
    sim.add_argument("--webhook-url", required=True)
    sim.add_argument("--app-secret", required=True)
    sim.add_argument("--access-token", default="sim-token")
    sim.add_argument("--error-rate", type=float, default=0.0)
    sim.add_argument("--latency-ms", type=int, default=0)
    sim.add_argument("--throttle-per-second", type=float, default=0.0)
    sim.set_defaults(func=_simulator)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=_migrate)

    users = sub.add_parser("users", help="manage console users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=("admin", "supervisor", "agent"), default="agent")
    create.add_argument("--password", help="prompted for when not given")
    create.set_defaults(func=_users_create)

    channels = sub.add_parser("channels", help="connected WhatsApp numbers")
    channels_sub = channels.add_subparsers(dest="channels_command", required=True)
    channels_sub.add_parser("list", help="list the numbers").set_defaults(func=_channels_list)
    add = channels_sub.add_parser("add", help="connect a number")
    add.add_argument("--phone-number-id", required=True, help="Meta's id of the number")
    add.add_argument("--display", required=True, help="the number, e.g. 525550000000")
    add.add_argument("--waba-id", default="", help="the WhatsApp Business Account id")
    add.add_argument("--provider", choices=("meta", "aws"), default="meta")
    add.add_argument("--rate", type=float, help="sends per second (default CDMX_OUTBOUND_RATE)")
    add.add_argument("--token", help="the access token (prompted for when not given)")
    add.set_defaults(func=_channels_add)
    set_token = channels_sub.add_parser("set-token", help="replace a number's access token")
    set_token.add_argument("--phone-number-id", required=True)
    set_token.add_argument("--token", help="prompted for when not given")
    set_token.set_defaults(func=_channels_set_token)

    from cdmx.aws.cli import register as register_aws

    register_aws(sub)
    return parser


def _migrate(_: argparse.Namespace) -> int:
    settings = load_settings()
    _apply_migrations(settings)
    print("database is up to date")
    return 0


def _apply_migrations(settings: Settings) -> None:
    # Before the import: alembic logs its plugin set-up at INFO while it loads.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from cdmx.db.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:  # an unreachable or broken database is an operator's problem
        raise SettingsError(
            f"CDMX_DATABASE_URL: cannot migrate the database ({_first_line(exc)})"
        ) from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _users_create(args: argparse.Namespace) -> int:
    from cdmx.actions.users import do_create_user
    from cdmx.db.engine import Database
    from cdmx.domain.errors import ActionError

    settings = load_settings()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("cdmx: the passwords do not match", file=sys.stderr)
            return 1
    _apply_migrations(settings)
    db = Database(settings.database_url)
    try:
        with db.write() as session:
            user = do_create_user(
                session, email=args.email, name=args.name, role=args.role, password=password
            )
            print(f"created {user.role} {user.email} (id {user.id})")
    except ActionError as exc:
        print(f"cdmx: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    return 0


def _channels_list(_: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.actions.channels import channel_json
    from cdmx.db.tables import Channel

    with _database() as db, db.read() as session:
        for channel in session.scalars(select(Channel).order_by(Channel.id)):
            row = channel_json(channel)
            token = "own token" if row["has_own_token"] else "META_ACCESS_TOKEN"
            print(
                f"{row['id']:>3}  {row['display']:<18} id {row['phone_number_id']:<20} "
                f"{row['provider']:<5} {row['health']:<16} {token}"
            )
    return 0


def _channels_add(args: argparse.Namespace) -> int:
    from cdmx.actions.channels import do_add_channel
    from cdmx.domain.errors import ActionError
    from cdmx.domain.sealing import Sealer

    token = args.token
    if token is None and args.provider == "meta":
        token = getpass.getpass("Access token: ")
    with _database() as db:
        try:
            with db.write() as session:
                channel = do_add_channel(
                    session, Sealer(load_settings().secret_key),
                    phone_number_id=args.phone_number_id, display_phone_number=args.display,
                    business_account_id=args.waba_id, access_token=token,
                    provider=args.provider, rate_per_second=args.rate,
                )  # fmt: skip
                print(f"connected number {channel.display_phone_number} (id {channel.id})")
        except ActionError as exc:
            print(f"cdmx: {exc.message}", file=sys.stderr)
            return 1
    return 0


def _channels_set_token(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from cdmx.actions.channels import do_set_channel_token
    from cdmx.db.tables import Channel
    from cdmx.domain.errors import ActionError
    from cdmx.domain.sealing import Sealer

    token = args.token if args.token is not None else getpass.getpass("Access token: ")
    with _database() as db:
        try:
            with db.write() as session:
                channel_id = session.scalar(
                    select(Channel.id).where(Channel.phone_number_id == args.phone_number_id)
                )
                if channel_id is None:
                    print(f"cdmx: no number with id {args.phone_number_id}", file=sys.stderr)
                    return 1
                do_set_channel_token(session, Sealer(load_settings().secret_key), channel_id, token)
                print("token replaced; paused sends resume")
        except ActionError as exc:
            print(f"cdmx: {exc.message}", file=sys.stderr)
            return 1
    return 0


@contextmanager
def _database() -> Iterator[Any]:
    from cdmx.db.engine import Database

    settings = load_settings()
    _apply_migrations(settings)
    db = Database(settings.database_url)
    try:
        yield db
    finally:
        db.dispose()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cdmx.app import create_app

    settings = load_settings()
    _apply_migrations(settings)
    app = create_app(settings, run_workers=not args.no_workers)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5
    )
    _freeze_startup_objects()
    _console_server(config).run()
    return 0


def _freeze_startup_objects() -> None:
    """Leave what start-up made (modules, the schema, the app: ~120,000 objects) out of the
    garbage collector's full passes, which otherwise scan it all every few seconds under
    load and pause every thread while they do."""
    gc.collect()
    gc.freeze()


def _console_server(config: Any) -> Any:
    """A uvicorn server that ends the console's event streams as it starts to stop: left
    open they hold the graceful shutdown until it times out and are then cancelled
    mid-write. Each tab reconnects (to another instance, or after the restart) and resumes."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            config.app.state.bus.end_streams()
            super().handle_exit(sig, frame)

    return Server(config)


def _worker(_: argparse.Namespace) -> int:
    from cdmx.app import create_app

    settings = load_settings()
    _apply_migrations(settings)
    app = create_app(settings)
    _freeze_startup_objects()

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.Event().wait()

    asyncio.run(run())
    return 0


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
    _apply_migrations(settings)
    _ensure_demo_users(settings)

    async def run() -> None:
        servers = [
            _console_server(
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

    from cdmx.actions.users import do_create_user, do_set_availability
    from cdmx.db.engine import Database
    from cdmx.db.tables import User

    db = Database(settings.database_url)
    try:
        with db.write() as session:
            for email, name, role, password in DEMO_USERS:
                if session.scalar(select(User.id).where(User.email == email)) is None:
                    user = do_create_user(
                        session, email=email, name=name, role=role, password=password
                    )
                    if role == "agent":
                        do_set_availability(session, user.id, "available")
    finally:
        db.dispose()


if __name__ == "__main__":
    sys.exit(main())
