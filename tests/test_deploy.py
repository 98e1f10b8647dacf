"""The install files name only what exists: Dockerfile, compose.yaml and the systemd units.

The images cannot be built on the project's machine (it reaches no container registry), so
this is what checks them: every ``cdmx`` command line parses with the real parser, every
variable handed to the program is a setting that loads, every port is the one the server
is told to listen on, and every path taken from the repository is in it.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cdmx.cli import _parser
from cdmx.settings import Settings, load_settings

ROOT = Path(__file__).parent.parent
SETTINGS = {field.alias for field in Settings.model_fields.values() if field.alias}
# Read by boto3 itself (MinIO's credentials), not by cdmx/settings.py.
READ_BY_BOTO3 = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# The image's own: Python's and pip's behaviour while it is built and run.
PYTHON_AND_PIP = {
    "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}  # fmt: skip


def cdmx_command(args: list[str]) -> argparse.Namespace:
    """``args`` as the ``cdmx`` command parses them; the test fails when it refuses them."""
    try:
        return _parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"`cdmx {' '.join(args)}` is not a cdmx command line")


def env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {key: value for key, value in pairs}


def loads(env: dict[str, str]) -> Settings:
    """The settings these variables make, as the program would load them."""
    return load_settings(**{k: v for k, v in env.items() if k in SETTINGS})


# -- Dockerfile --------------------------------------------------------------------------


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments), with continued lines joined and comments left out."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        current += line.rstrip().removesuffix("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
            current = ""
    return instructions


def instruction(name: str) -> list[str]:
    return [args for word, args in dockerfile() if word == name]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in instruction("ENV"):
        env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def test_the_image_starts_from_a_pinned_slim_python_and_runs_as_a_user_it_creates() -> None:
    (base,) = instruction("FROM")
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-[a-z]+", base), base  # x.y.z: pinned
    user = instruction("USER")[-1]
    assert user not in ("root", "0")
    assert any("useradd" in run and run.split()[-1] == user for run in instruction("RUN"))


def test_the_image_copies_only_what_the_repository_has() -> None:
    copies = instruction("COPY")
    assert copies
    for args in copies:
        *sources, _target = args.split()
        for source in sources:
            assert (ROOT / source).exists(), source
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and "data" in ignored  # no local state goes into the image


async def test_the_image_runs_cdmx_serve_on_the_port_it_exposes_and_checks_readyz(
    client: httpx.AsyncClient,
) -> None:
    assert json.loads(instruction("ENTRYPOINT")[0]) == ["cdmx"]
    command = cdmx_command(json.loads(instruction("CMD")[0]))
    assert command.command == "serve" and command.host == "0.0.0.0"
    assert instruction("EXPOSE") == [str(command.port)]
    (check,) = instruction("HEALTHCHECK")
    found = re.search(r"http://127\.0\.0\.1:(\d+)(/\w+)", check)
    assert found and int(found.group(1)) == command.port
    assert found.group(2) == "/readyz"
    assert (await client.get(found.group(2))).status_code == 200  # the app answers it


def test_the_image_sets_only_settings_and_keeps_its_data_in_its_volume() -> None:
    env = image_env()
    assert set(env) <= SETTINGS | PYTHON_AND_PIP
    (volume,) = json.loads(instruction("VOLUME")[0])
    assert env["CDMX_MEDIA_ROOT"].startswith(volume + "/")
    assert env["CDMX_DATABASE_URL"].removeprefix("sqlite:///").startswith(volume + "/")
    loads({**env, "CDMX_SECRET_KEY": "x" * 32})
    # pg_dump for backups of PostgreSQL: the client tools are installed.
    assert any("postgresql-client" in run for run in instruction("RUN"))


# -- compose.yaml ------------------------------------------------------------------------

COMPOSE_TEXT = (ROOT / "compose.yaml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
EXAMPLE_ENV = env_file(ROOT / "deploy" / "compose.env.example")
APP_IMAGE = next(s["image"] for s in COMPOSE["services"].values() if "build" in s)
APP_SERVICES = {n: s for n, s in COMPOSE["services"].items() if s.get("image") == APP_IMAGE}


def interpolated(value: str) -> str:
    """``${VAR:?…}`` and ``${VAR:-…}`` as compose fills them from the example .env."""
    return re.sub(r"\$\{(\w+)[^}]*\}", lambda m: EXAMPLE_ENV[m.group(1)], value)


def test_compose_has_the_app_the_worker_postgresql_and_an_s3_store_each_documented() -> None:
    commands = {n: cdmx_command(s["command"]) for n, s in APP_SERVICES.items()}
    assert any(c.command == "serve" and c.no_workers for c in commands.values())
    assert any(c.command == "worker" for c in commands.values())
    images = [s.get("image", "") for s in COMPOSE["services"].values()]
    assert any(i.startswith("postgres:") for i in images)
    assert any(i.startswith("minio/minio:") for i in images)
    lines = COMPOSE_TEXT.splitlines()
    for name in COMPOSE["services"]:
        at = lines.index(f"  {name}:")
        assert lines[at - 1].strip().startswith("#"), f"service {name} has no comment"
    for service in COMPOSE["services"].values():
        for needed in service.get("depends_on", {}):
            assert needed in COMPOSE["services"]
    assert (ROOT / APP_SERVICES["app"]["build"] / "Dockerfile").exists()


def test_compose_gives_the_program_only_settings_that_load_and_names_its_services() -> None:
    for service in APP_SERVICES.values():
        env = {k: interpolated(str(v)) for k, v in service["environment"].items()}
        assert set(env) <= SETTINGS | READ_BY_BOTO3, set(env) - SETTINGS - READ_BY_BOTO3
        settings = loads(env)
        assert settings.database_url.startswith("postgresql+psycopg://")
        host = re.search(r"@([\w-]+):", settings.database_url)
        assert host and host.group(1) in COMPOSE["services"]
        s3 = re.fullmatch(r"http://([\w-]+):9000", settings.s3_endpoint_url)
        assert s3 and s3.group(1) in COMPOSE["services"] and settings.s3_bucket_media
    variables = set(re.findall(r"(?<!\$)\$\{(\w+)", COMPOSE_TEXT))
    assert variables <= set(EXAMPLE_ENV), variables - set(EXAMPLE_ENV)


def test_compose_publishes_the_port_the_server_listens_on() -> None:
    published = 0
    for service in APP_SERVICES.values():
        command = cdmx_command(service["command"])
        for mapping in service.get("ports", []):
            assert command.command == "serve"
            assert int(str(mapping).rsplit(":", 1)[1]) == command.port
            published += 1
    assert published == 1


# -- systemd -----------------------------------------------------------------------------

SYSTEMD = ROOT / "deploy" / "systemd"


def unit(name: str) -> dict[str, list[str]]:
    """Each key of a unit file with its values (a key may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def cdmx_in(exec_line: str) -> argparse.Namespace:
    """The cdmx command line an Exec…= line runs (directly, or through ``sh -c``)."""
    words = shlex.split(exec_line.replace("%%", "%"))
    if words[:2] == ["/bin/sh", "-c"]:
        words = shlex.split(words[2])
    words = [w for w in words if w != "exec"]
    assert words[0] == "/opt/cdmx/.venv/bin/cdmx", words[0]
    return cdmx_command(words[1:])


def test_the_systemd_units_run_cdmx_commands_as_a_user_with_settings_that_load() -> None:
    service = unit("cdmx.service")
    assert service["User"] == ["cdmx"]
    assert cdmx_in(service["ExecStartPre"][0]).command == "migrate"
    serve = cdmx_in(service["ExecStart"][0])
    assert serve.command == "serve" and not serve.no_workers
    backup = unit("cdmx-backup.service")
    assert backup["User"] == ["cdmx"]
    taken = cdmx_in(backup["ExecStart"][0])
    assert taken.command == "backup" and taken.to.startswith(
        backup["ReadWritePaths"][0].split()[-1]
    )
    assert (SYSTEMD / "cdmx-backup.timer").exists()  # it starts cdmx-backup.service
    for values in (service, backup):
        assert values["EnvironmentFile"] == ["/etc/cdmx/cdmx.env"]
    example = env_file(SYSTEMD / "cdmx.env.example")
    assert set(example) <= SETTINGS
    loads(example)
    documentation = service["Documentation"][0].removeprefix("file:///opt/cdmx/")
    assert (ROOT / documentation).exists()
