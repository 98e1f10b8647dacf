"""Recovery time: how long a lost server takes to come back from a backup.

    .venv/bin/python scripts/bench_restore.py                      # SQLite, temporary directory
    .venv/bin/python scripts/bench_restore.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python scripts/bench_restore.py --messages 100000 --files 500 --file-kb 150

Seeds a corpus (scripts/bench_lib/search_corpus.py) of --messages messages, with --files of
its media rows backed by real files of --file-kb in a local media store, then times, each
as an operator runs it (a separate ``cdmx`` process): ``cdmx backup``, ``cdmx backup
verify``, ``cdmx restore`` into a database not yet created and an empty media folder, and
``cdmx serve`` on the restored database until /readyz answers. With --db the databases
``cdmx_bench_restore_src`` and ``cdmx_bench_restore_dst`` are made beside the named one and
dropped at the end. docs/operations.md records the result.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

import httpx  # noqa: E402
from bench_lib import search_corpus as corpus_lib  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from cdmx.storage import LocalStore, new_key  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a PostgreSQL server URL (default: SQLite files)")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--file-kb", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cdmx-bench-restore-") as scratch:
        folder = Path(scratch)
        source, target = _urls(args.db, folder)
        try:
            return _run(args, folder, source, target)
        finally:
            if args.db:
                for url in (source, target):
                    _drop(url)


def _urls(server: str | None, folder: Path) -> tuple[str, str]:
    if not server:
        return f"sqlite:///{folder / 'source.db'}", f"sqlite:///{folder / 'restored' / 'cdmx.db'}"
    base = make_url(server)
    names = ("cdmx_bench_restore_src", "cdmx_bench_restore_dst")
    urls = tuple(base.set(database=n).render_as_string(hide_password=False) for n in names)
    for url in urls:
        _drop(url)
    _admin(urls[0], f'CREATE DATABASE "{names[0]}"')
    return urls[0], urls[1]


def _run(args: argparse.Namespace, folder: Path, source: str, target: str) -> int:
    print(f"seeding {args.messages} messages and {args.files} files of {args.file_kb} KB")
    corpus_lib.build(source, args.messages)
    media = folder / "media"
    _files(source, LocalStore(media, "bench-secret-key-0123456789"), args.files, args.file_kb)
    env = {
        **os.environ, "CDMX_SECRET_KEY": "bench-secret-key-0123456789",
        "CDMX_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    source_env = {**env, "CDMX_DATABASE_URL": source, "CDMX_MEDIA_ROOT": str(media)}
    target_env = {
        **env, "CDMX_DATABASE_URL": target, "CDMX_MEDIA_ROOT": str(folder / "restored-media")
    }  # fmt: skip
    backup = folder / "backup"
    timings = {
        "cdmx backup": _timed(["backup", "--to", str(backup)], source_env),
        "cdmx backup verify": _timed(["backup", "verify", "--from", str(backup)], source_env),
        "cdmx restore": _timed(["restore", "--from", str(backup)], target_env),
        "cdmx serve until /readyz": _ready(target_env),
    }
    size = sum(f.stat().st_size for f in backup.rglob("*") if f.is_file())
    print(f"backup: {size / 1e6:.1f} MB in {backup}")
    for step, seconds in timings.items():
        print(f"  {step:<26} {seconds:6.1f} s")
    recovery = timings["cdmx restore"] + timings["cdmx serve until /readyz"]
    print(f"recovery (restore + start): {recovery:.1f} s")
    return 0


def _files(url: str, store: LocalStore, count: int, kb: int) -> None:
    """Real files for ``count`` media rows; the others are marked expired (no file)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        first = text("SELECT id FROM media ORDER BY id LIMIT :n")
        ids = list(connection.scalars(first, {"n": count}))
        connection.execute(
            text("UPDATE media SET status = 'expired', storage_key = NULL, thumbnail_key = NULL")
        )
        for media_id in ids:
            key = new_key(".jpg")
            store.put_stream(key, _Random(kb * 1024), "image/jpeg")  # type: ignore[arg-type]
            connection.execute(
                text("UPDATE media SET status = 'stored', storage_key = :k WHERE id = :i"),
                {"k": key, "i": media_id},
            )
    engine.dispose()


class _Random:
    """``size`` bytes that do not compress, read in chunks."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return os.urandom(n)


def _timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "cdmx.cli", *args], env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"cdmx {' '.join(args)} failed with {done.returncode}")
    return time.perf_counter() - started


def _ready(env: dict[str, str]) -> float:
    port = 8765
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "cdmx.cli", "serve", "--port", str(port)], env=env, cwd=ROOT
    )
    try:
        while time.perf_counter() - started < 120:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("the restored server did not become ready in 120 s")
    finally:
        server.terminate()
        server.wait(timeout=20)


def _admin(url: str, statement: str) -> None:
    engine = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def _drop(url: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
