"""The console's words, templates and modules, checked without a browser or a server."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader

from cdmx.web.console.i18n import STRINGS, SUPPORTED, pick_language, strings_for

CONSOLE = Path(__file__).resolve().parents[2] / "cdmx" / "web" / "console"
TEMPLATES = CONSOLE / "templates"
STATIC = CONSOLE / "static"

TEMPLATE_FILES = sorted(TEMPLATES.glob("*.html"))
JS_FILES = sorted(STATIC.rglob("*.js"))  # the admin pages' modules in static/admin/ too
# The text ones: the notification chime (static/sounds/) is the one binary file.
BINARY = {".wav"}
STATIC_FILES = sorted(
    path for path in STATIC.rglob("*") if path.is_file() and path.suffix not in BINARY
)


def _render(name: str, **context: object) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template(name).render(**context)


def _console_context(role: str = "agent", name: str = "Ana López") -> dict[str, object]:
    strings = strings_for("es-MX")
    user = {
        "id": 7,
        "name": name,
        "email": "ana@example.mx",
        "role": role,
        "availability": "available",
    }
    timezone = "America/Mexico_City"
    return {
        "lang": "es-MX",
        "strings": strings,
        "csrf_token": "token-123",
        "timezone": timezone,
        "user": user,
        "boot": {"strings": strings, "user": user, "timezone": timezone, "lang": "es-MX"},
    }


# The words


def test_both_languages_have_the_same_keys() -> None:
    assert set(STRINGS) == set(SUPPORTED)
    assert set(STRINGS["es-MX"]) == set(STRINGS["en"])


def test_no_string_is_empty() -> None:
    for lang, strings in STRINGS.items():
        assert all(value.strip() for value in strings.values()), lang


def test_both_languages_use_the_same_placeholders() -> None:
    placeholder = re.compile(r"\{(\w+)\}")
    for key, spanish in STRINGS["es-MX"].items():
        english = STRINGS["en"][key]
        assert set(placeholder.findall(spanish)) == set(placeholder.findall(english)), key


@pytest.mark.parametrize(
    ("requested", "default", "expected"),
    [
        (None, "es-MX", "es-MX"),
        ("", "en", "en"),
        ("en", "es-MX", "en"),
        ("EN-us", "es-MX", "en"),
        ("es", "en", "es-MX"),
        ("es_MX", "en", "es-MX"),
        ("es-ES", "en", "es-MX"),
        ("fr", "en", "en"),
        ("fr", "de", "es-MX"),
        ("fr-CA,en;q=0.8,es;q=0.9", "en", "es-MX"),
        ("en-US,en;q=0.9", "es-MX", "en"),
        ("es;q=0,en;q=0.5", "es-MX", "en"),
        ("en;q=garbage", "es-MX", "es-MX"),
    ],
)
def test_pick_language(requested: str | None, default: str, expected: str) -> None:
    assert pick_language(requested, default) == expected


def test_strings_for_falls_back_to_spanish_and_returns_a_copy() -> None:
    assert strings_for("xx") == STRINGS["es-MX"]
    strings = strings_for("en")
    strings["send"] = "changed"
    assert STRINGS["en"]["send"] == "Send"


def test_required_labels_are_there() -> None:
    spanish = set(STRINGS["es-MX"].values())
    for label in [
        "Mías",
        "En cola",
        "Todas",
        "Disponible",
        "Ausente",
        "Desconectado",
        "Enviado",
        "Entregado",
        "Leído",
        "Falló",
        "Enviar",
        "Tomar",
        "Transferir",
        "Cerrar",
        "Correo o contraseña incorrectos",
        "Sin conexión — reconectando…",
        "Mensaje no compatible",
        "La ventana de 24 horas está cerrada; se necesita una plantilla",
    ]:
        assert label in spanish, label


def test_every_key_the_templates_and_modules_use_exists() -> None:
    keys = set(STRINGS["es-MX"])
    used: set[str] = set()
    for path in TEMPLATE_FILES:
        text = path.read_text()
        used |= set(re.findall(r"\bstrings\.(\w+)", text))
        used |= set(re.findall(r"\bstrings\[\"(\w+)\"\]", text))
    for path in JS_FILES:
        used |= set(re.findall(r"\bt\(\s*\"(\w+)\"", path.read_text()))
    assert used, "the pattern found nothing: it no longer matches the code"
    assert used - keys == set()


@pytest.mark.parametrize(
    ("prefix", "suffixes"),
    [
        ("tick_", ["queued", "sent", "delivered", "read", "played", "failed"]),
        ("status_", ["queued", "assigned", "closed"]),
        ("availability_", ["available", "away", "offline"]),
        ("empty_", ["mine", "queue", "all"]),
        ("role_", ["admin", "supervisor", "agent"]),
    ],
)
def test_keys_built_from_values_exist(prefix: str, suffixes: list[str]) -> None:
    for suffix in suffixes:
        assert f"{prefix}{suffix}" in STRINGS["es-MX"]


# Nothing from outside, nothing rendered as HTML


def test_no_template_or_static_file_references_an_external_url() -> None:
    external = re.compile(r"https?://|(?:src|href|action)\s*=\s*[\"']//|url\(\s*[\"']?//", re.I)
    for path in TEMPLATE_FILES + STATIC_FILES:
        match = external.search(path.read_text())
        assert match is None, f"{path.name}: {match.group(0) if match else ''}"


def test_no_module_assigns_inner_html_with_anything_but_an_empty_string() -> None:
    assignment = re.compile(r"\.innerHTML\s*\+?=\s*(?P<value>[^;\n]*)")
    for path in JS_FILES:
        for match in assignment.finditer(path.read_text()):
            assert match.group("value").strip() in ('""', "''", "``"), f"{path.name}: {match[0]}"


def test_no_module_uses_other_html_sinks() -> None:
    sinks = re.compile(r"outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(")
    for path in JS_FILES:
        match = sinks.search(path.read_text())
        assert match is None, f"{path.name}: {match.group(0) if match else ''}"


def test_module_imports_point_at_files_that_exist() -> None:
    for path in JS_FILES:
        for target in re.findall(r"from\s+\"(\.\.?/[\w./-]+)\"", path.read_text()):
            assert (path.parent / target).is_file(), f"{path.name} imports {target}"


# The pages


def test_console_page_has_the_hooks_the_browser_tests_use() -> None:
    html = _render("console.html", **_console_context())
    for hook in [
        'id="conversation-list"',
        'id="thread"',
        'id="composer"',
        'id="send-button"',
        'id="availability"',
        'id="take-button"',
        'id="close-button"',
        'id="transfer-select"',
        'id="tab-mine"',
        'id="tab-queue"',
        'id="connection-banner"',
        '<meta name="csrf-token" content="token-123">',
        'href="/static/console/tokens.css"',
        'src="/static/console/main.js"',
        'action="/logout"',
        'href="?lang=en"',
    ]:
        assert hook in html, hook
    assert 'id="tab-all"' not in html


CSS_ORDER = ["tokens", "layout", "admin", "inbox", "thread", "composer", "dialogs"]


def test_the_console_page_links_every_stylesheet_tokens_and_layout_first() -> None:
    assert sorted(path.stem for path in STATIC.glob("*.css")) == sorted(CSS_ORDER)
    html = _render("console.html", **_console_context())
    links = re.findall(r'<link rel="stylesheet" href="/static/console/([\w-]+)\.css">', html)
    assert links == CSS_ORDER


def test_the_shell_links_the_sheets_every_page_needs() -> None:
    html = _render("_base.html", lang="en", strings=strings_for("en"), csrf_token="t")
    links = re.findall(r'<link rel="stylesheet" href="/static/console/([\w-]+)\.css">', html)
    assert links == ["tokens", "layout", "admin"]


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_get_the_all_tab(role: str) -> None:
    assert 'id="tab-all"' in _render("console.html", **_console_context(role=role))


def test_boot_data_is_json_that_cannot_close_its_script_tag() -> None:
    name = "</script><script>alert(1)</script>"
    html = _render("console.html", **_console_context(name=name))
    start = html.index('<script type="application/json" id="boot">') + len(
        '<script type="application/json" id="boot">'
    )
    body = html[start : html.index("</script>", start)]
    boot = json.loads(body)
    assert boot["user"]["name"] == name
    assert set(boot) == {"strings", "user", "timezone", "lang"}


def test_login_page_shows_the_error_and_keeps_the_email() -> None:
    strings = strings_for("es-MX")
    html = _render(
        "login.html",
        lang="es-MX",
        strings=strings,
        csrf_token="token-123",
        error=strings["error_login_invalid"],
        email="ana@example.mx",
    )
    assert 'action="/login"' in html
    for hook in ['id="email"', 'id="password"', 'id="login-submit"', 'name="csrf_token"']:
        assert hook in html, hook
    assert "Correo o contraseña incorrectos" in html
    assert 'value="ana@example.mx"' in html


def test_login_page_without_error_has_no_alert() -> None:
    html = _render(
        "login.html",
        lang="en",
        strings=strings_for("en"),
        csrf_token="t",
        error=None,
        email="",
    )
    assert 'role="alert"' not in html
    assert '<html lang="en">' in html


def test_every_module_is_preloaded() -> None:
    html = _render("console.html", **_console_context())
    for path in JS_FILES:
        # main.js is the entry point; numbers.js, supervisor.js and admin/ belong to their
        # own pages.
        if path.parent == STATIC and path.name not in ("main.js", "numbers.js", "supervisor.js"):
            assert f'href="/static/console/{path.name}"' in html, path.name
