"""``cdmx serve`` and ``cdmx worker``: the long-running processes of a deployment."""

from __future__ import annotations

import argparse
import asyncio
import gc
from typing import Any

from cdmx.commands.migrate import apply_migrations
from cdmx.settings import Settings, SettingsError, load_settings


def register(subparsers: Any) -> None:
    """Add the ``serve`` and ``worker`` commands to the ``cdmx`` parser."""
    serve = subparsers.add_parser("serve", help="run the web app (and the workers)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-workers", action="store_true", help="run workers elsewhere")
    serve.add_argument(
        "--demo", action="store_true",
        help="allow CDMX_DEMO and the demo accounts (never on a real installation)",
    )  # fmt: skip
    serve.set_defaults(func=_serve)

    worker = subparsers.add_parser("worker", help="run only the inbox and outbox workers")
    worker.set_defaults(func=_worker)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cdmx.app import create_app

    settings = load_settings()
    if settings.demo and not args.demo:
        raise SettingsError(
            "CDMX_DEMO: set, but this is `cdmx serve`: unset it, or add --demo for a demo"
        )
    apply_migrations(settings)
    if not args.demo and (present := demo_accounts(settings)):
        raise SettingsError(
            f"demo accounts are active ({', '.join(present)}), with passwords anyone can read "
            "in the source: `cdmx users deactivate` each one, or add --demo for a demo"
        )
    app = create_app(settings, run_workers=not args.no_workers)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=5,
        log_config=None,  # uvicorn's lines go through the program's handler (CDMX_LOG_FORMAT)
        # The client's address (audit trail) comes from X-Forwarded-For only when the
        # connection is from one of these proxies; uvicorn would otherwise read its own
        # FORWARDED_ALLOW_IPS from the environment, which Settings alone reads.
        proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips,
    )  # fmt: skip
    freeze_startup_objects()
    console_server(config).run()
    return 0


def demo_accounts(settings: Settings) -> list[str]:
    """The e-mails of ``cdmx demo``'s accounts that are active in this database."""
    from sqlalchemy import select

    from cdmx.commands.demo_accounts import DEMO_USERS
    from cdmx.db.engine import Database
    from cdmx.db.tables import User

    db = Database(settings.database_url)
    try:
        with db.read() as session:
            found = session.scalars(
                select(User.email).where(
                    User.email.in_([email for email, *_ in DEMO_USERS]), User.is_active.is_(True)
                )
            ).all()
    finally:
        db.dispose()
    return sorted(found)


def freeze_startup_objects() -> None:
    """Leave what start-up made (modules, the schema, the app: ~120,000 objects) out of the
    garbage collector's full passes, which otherwise scan it all every few seconds under
    load and pause every thread while they do."""
    gc.collect()
    gc.freeze()


def console_server(config: Any) -> Any:
    """A uvicorn server that ends the console's event streams as it starts to stop: left
    open they hold the graceful shutdown until it times out and are then cancelled
    mid-write. Each tab reconnects (to another instance, or after the restart) and resumes."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            config.app.state.services.bus.end_streams()
            super().handle_exit(sig, frame)

    return Server(config)


def _worker(_: argparse.Namespace) -> int:
    from cdmx.app import create_app

    settings = load_settings()
    apply_migrations(settings)
    app = create_app(settings)
    freeze_startup_objects()

    async def run() -> None:
        async with app.router.lifespan_context(app):
            await asyncio.Event().wait()

    asyncio.run(run())
    return 0
