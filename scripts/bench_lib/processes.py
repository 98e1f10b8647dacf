"""The processes a run starts (server, bare app, generators) and the databases it makes.

Everything started is registered here and ended by ``Cleanup.close()`` — on normal exit, on
an error and on Ctrl+C — so a run never leaves a server or a database behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
APP_SECRET = "bench-app-secret"
ACCESS_TOKEN = "bench-access-token"
PHONE_NUMBER_ID = "100000000000001"
DISPLAY_NUMBER = "525550000000"
WABA_ID = "200000000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """``command`` under ``taskset -c cpu`` when pinning is on."""
    if cpu is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", str(cpu), *command]


def run_cleanly(name: str, run: Callable[[Cleanup], int]) -> int:
    """A benchmark's main: ``run`` with a ``Cleanup`` that always runs, also on Ctrl+C or
    SIGTERM (exit 130), and any other error as one line (exit 1)."""
    signal.signal(signal.SIGTERM, _interrupt)
    cleanup = Cleanup()
    try:
        return run(cleanup)
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        cleanup.close()


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


class Cleanup:
    """Owns the temp directory, the child processes and the PostgreSQL databases."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cdmx-bench-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pg_databases: list[tuple[str, str]] = []  # (admin url, name)
        self.closers: list[Callable[[], None]] = []  # e.g. the in-process simulator

    def spawn(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,  # Ctrl+C reaches the bench only; it stops them itself
            )  # fmt: skip
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 8.0) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if proc in self.procs:
            self.procs.remove(proc)

    def close(self) -> None:
        for closer in self.closers:
            closer()
        for proc in list(self.procs):
            try:
                self.stop(proc)
            except Exception:  # keep cleaning up the rest
                proc.kill()
        for admin_url, name in self.pg_databases:
            try:
                drop_pg_database(admin_url, name)
            except Exception as exc:
                print(f"bench: could not drop database {name}: {exc}", file=sys.stderr)
        self.pg_databases.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Wait until ``url`` answers 200, or fail with the tail of the process log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = log.read_text(errors="replace").strip().splitlines()[-15:]
    raise RuntimeError(f"{url} did not come up:\n  " + "\n  ".join(tail))


# -- PostgreSQL ------------------------------------------------------------------------


def _pg_connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    u = make_url(url)
    return psycopg.connect(
        host=u.host or "127.0.0.1", port=u.port or 5432, user=u.username or "postgres",
        password=u.password, dbname=u.database or "postgres", autocommit=True, connect_timeout=5,
    )  # fmt: skip


def admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def create_pg_database(url: str, name: str, template: str | None = None) -> str:
    """CREATE DATABASE name (optionally from a template); returns its URL."""
    with _pg_connect(admin_url(url)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        extra = f' TEMPLATE "{template}"' if template else ""
        conn.execute(f'CREATE DATABASE "{name}"{extra}')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str, name: str) -> None:
    with _pg_connect(admin_url(url)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_version(url: str) -> str:
    with _pg_connect(admin_url(url)) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"


def env_for(database_url: str, graph_port: int, tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of ``cdmx serve`` and ``cdmx users`` (see docs/settings.md)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDMX_", "WHATSAPP_"))}
    env.update(
        CDMX_DATABASE_URL=database_url,
        CDMX_SECRET_KEY="bench-secret-key-not-for-production",
        CDMX_MEDIA_ROOT=str(tmp / "media"),
        CDMX_LOG_LEVEL="WARNING",
        WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID,
        WHATSAPP_BUSINESS_ACCOUNT_ID=WABA_ID,
        WHATSAPP_DISPLAY_PHONE_NUMBER=DISPLAY_NUMBER,
        META_ACCESS_TOKEN=ACCESS_TOKEN,
        META_APP_SECRET=APP_SECRET,
        GRAPH_API_BASE_URL=f"http://127.0.0.1:{graph_port}",
        PATH=f"{VENV_BIN}:{os.environ.get('PATH', '')}",
    )
    env.update(extra)
    return env
