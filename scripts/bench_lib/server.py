"""One ``cdmx serve`` under test: a fresh database per case, users signed in and available."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench_lib import processes as p

USERS = (
    ("admin", "bench-admin@bench.cdmx", "Admin Bench"),
    ("supervisor", "bench-watch@bench.cdmx", "Supervisora Bench"),
    *(("agent", f"bench-agent{i}@bench.cdmx", f"Agente {i}") for i in range(1, 5)),
)
PASSWORD = "bench-password-1"


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base_url: str
    log: Path
    worker: subprocess.Popen[bytes] | None = None  # ``cdmx worker``, with --split
    tokens: dict[str, str] = field(default_factory=dict)  # email -> bearer token
    user_ids: dict[int, str] = field(default_factory=dict)  # id -> email

    @property
    def pid(self) -> int:
        return self.proc.pid

    def headers(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[email]}"}


class Databases:
    """A template database with the users, copied for every case (fast, and each case
    starts empty)."""

    def __init__(self, cleanup: p.Cleanup, url: str | None, graph_port: int) -> None:
        self.cleanup = cleanup
        self.pg_url = url
        self.graph_port = graph_port
        self.kind = "postgresql" if url else "sqlite"
        if url:
            self.template_name = p.make_url(url).database or "cdmx_bench"
            self.template_url = p.create_pg_database(url, self.template_name)
            cleanup.pg_databases.append((url, self.template_name))
        else:
            self.template_path = cleanup.tmp / "template.db"
            self.template_url = f"sqlite:///{self.template_path}"
        self._create_users()

    def _create_users(self) -> None:
        env = p.env_for(self.template_url, self.graph_port, self.cleanup.tmp)
        cdmx = str(p.VENV_BIN / "cdmx")

        def command(role: str, email: str, name: str) -> list[str]:
            return [cdmx, "users", "create", "--email", email, "--name", name, "--role", role,
                    "--password", PASSWORD]  # fmt: skip

        # The first one migrates the empty database; the rest may then run side by side.
        first, *rest = USERS
        subprocess.run(command(*first), env=env, check=True, capture_output=True, cwd=p.ROOT)
        procs = [
            subprocess.Popen(
                command(*u), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=p.ROOT
            )  # fmt: skip
            for u in rest
        ]
        for proc in procs:
            _, err = proc.communicate(60)
            if proc.returncode:
                raise RuntimeError(f"cdmx users create failed: {err.decode().strip()}")

    def fresh(self, case: str) -> str:
        """A new database for ``case`` with the users in it; its URL."""
        if self.pg_url:
            name = f"{self.template_name}_{case}"
            self.cleanup.pg_databases.append((self.pg_url, name))
            return p.create_pg_database(self.pg_url, name, template=self.template_name)
        target = self.cleanup.tmp / f"{case}.db"
        for suffix in ("", "-wal"):
            source = Path(f"{self.template_path}{suffix}")
            if source.exists():
                shutil.copy(source, f"{target}{suffix}")
        return f"sqlite:///{target}"


def start_server(
    cleanup: p.Cleanup,
    dbs: Databases,
    case: str,
    port: int,
    cpu: int | None,
    graph_port: int | None = None,
    *,
    split: bool = False,
    worker_cpu: int | None = None,
    **env: str,
) -> Server:
    """``cdmx serve`` on a fresh database, every bench user signed in and available; with
    ``split`` the workers run as ``cdmx worker`` (on ``worker_cpu``) instead."""
    url = dbs.fresh(case)
    log = cleanup.tmp / f"server-{case}.log"
    environment = p.env_for(url, graph_port or dbs.graph_port, cleanup.tmp, **env)
    command = [str(p.VENV_BIN / "cdmx"), "serve", "--port", str(port)]
    proc = cleanup.spawn(p.pinned(command + ["--no-workers"] * split, cpu), environment, log)
    worker = None
    if split:
        worker_log = cleanup.tmp / f"worker-{case}.log"
        worker = cleanup.spawn(
            p.pinned([str(p.VENV_BIN / "cdmx"), "worker"], worker_cpu), environment, worker_log
        )
    base = f"http://127.0.0.1:{port}"
    p.wait_http(f"{base}/healthz", proc, log)
    server = Server(proc, base, log, worker)
    with httpx.Client(base_url=base, timeout=30) as client:
        for _, email, _ in USERS:
            r = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
            r.raise_for_status()
            server.tokens[email] = r.json()["access_token"]
            me = client.put(
                "/api/v1/me/availability", json={"availability": "available"},
                headers=server.headers(email),
            )  # fmt: skip
            me.raise_for_status()
            server.user_ids[int(me.json()["id"])] = email
    return server


def stop_server(cleanup: p.Cleanup, server: Server) -> None:
    if server.worker is not None:
        cleanup.stop(server.worker)
    cleanup.stop(server.proc)
    killed = server.proc.returncode == -9
    if killed:
        print("bench: the server still had queued requests after 8 s; killed", file=sys.stderr)
    elif server.proc.returncode not in (0, -15, None):
        tail = server.log.read_text(errors="replace").strip().splitlines()[-5:]
        print(f"bench: server exited with {server.proc.returncode}: {tail}", file=sys.stderr)
    errors = [line for line in server.log.read_text(errors="replace").splitlines()
              if " ERROR " in line or line.startswith("Traceback")]  # fmt: skip
    if errors:
        kept = p.ROOT / "bench" / "results" / f"{server.log.stem}-{server.proc.pid}.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(server.log, kept)
        print(f"bench: the server logged {len(errors)} error(s), log kept in {kept}; first: "
              f"{errors[0][:200]}", file=sys.stderr)  # fmt: skip
    if killed:  # its figures were taken from a server that could not finish: not a result
        raise RuntimeError("the server had to be killed (requests still queued after 8 s)")
