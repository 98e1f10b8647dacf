"""Message templates: the variables a template has, checking an agent's values for them, the
Graph ``template`` object that sends it, and the text the customer will see.

Pure: components in (Meta's JSON, as ``GET /{waba_id}/message_templates`` returns them),
values in (what the picker posts), an ``Outgoing`` or a ``TemplateInvalid`` naming every
field that is wrong out. Nothing here touches the database or the network.

Values, as the API takes them::

    {"header": {"text": "…"} | {"link": "https://…"} | {"media_id": "…"}
               | {"latitude": 19.4, "longitude": -99.1, "name": "…", "address": "…"},
     "body": {"1": "Ana", "2": "10:00"}          # positional, or {"first_name": "Ana"}
     "buttons": {"0": "ABC123"}}                 # URL suffix or coupon code, by button index
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cdmx.domain.errors import Invalid
from cdmx.whatsapp.lenient import as_dict as _dict
from cdmx.whatsapp.lenient import as_list as _list
from cdmx.whatsapp.outgoing import Outgoing

# Meta's limits for send-time parameters. Header text is at most 60 characters (template
# components reference, developers.facebook.com/documentation/business-messaging/whatsapp/
# templates/components). A body text parameter is at most 1,024 characters when the template
# has other components and 32,768 when the body is all it has (Messages API parameter object;
# whatsapp-api-js's BodyParameter enforces the same two numbers). A coupon code is at most 15
# characters (Meta's coupon code templates page). A URL button's URL is at most 2,000
# characters in all (components reference).
HEADER_PARAM_LIMIT = 60
BODY_PARAM_LIMIT = 1024
BODY_ONLY_PARAM_LIMIT = 32768
COUPON_CODE_LIMIT = 15
URL_LIMIT = 2000
# Meta refuses a parameter with a new line, a tab or more than four spaces in a row
# ("Param text cannot have new-line/tab characters or more than 4 consecutive spaces"),
# reported for body parameters in pywa's and other trackers.
_BAD_WHITESPACE = re.compile(r"[\n\r\t]| {5,}")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")

HEADER_FORMATS = ("TEXT", "IMAGE", "VIDEO", "DOCUMENT", "LOCATION")
MEDIA_FORMATS = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document"}
# Buttons whose send-time value this picker collects (URL, COPY_CODE) or that need none.
KNOWN_BUTTONS = ("QUICK_REPLY", "URL", "COPY_CODE", "PHONE_NUMBER", "FLOW", "VOICE_CALL")
MEDIA_LABELS = {"IMAGE": "🖼️ Imagen", "VIDEO": "🎬 Video", "DOCUMENT": "📄 Documento"}

REQUIRED = "Requerido"
UNKNOWN_FIELD = "No existe en esta plantilla"


class TemplateInvalid(Invalid):
    """Values that do not fit the template; ``fields`` maps each wrong field to its problem."""

    def __init__(self, fields: dict[str, str]) -> None:
        first, problem = next(iter(fields.items()))
        super().__init__("invalid_template", f"{_label(first)}: {problem}.")
        self.fields = fields


@dataclass(frozen=True)
class Header:
    format: str | None  # TEXT | IMAGE | VIDEO | DOCUMENT | LOCATION, None without a header
    text: str | None = None  # a TEXT header's text, placeholders included
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Button:
    index: int
    type: str  # QUICK_REPLY | URL | COPY_CODE | PHONE_NUMBER | … as Meta names it
    text: str
    url: str | None = None
    phone_number: str | None = None
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variables:
    """What an agent fills in for a template, and the texts around it."""

    header: Header
    body: tuple[str, ...]
    body_text: str
    footer_text: str | None
    buttons: tuple[Button, ...]
    named: bool
    body_only: bool
    unsupported: tuple[str, ...] = field(default=())  # pieces we cannot fill in

    def to_json(self) -> dict[str, Any]:
        """The ``variables`` object of the template JSON the picker reads."""
        return {
            "header": {
                "format": self.header.format,
                "text": self.header.text,
                "params": list(self.header.params),
            },
            "body": list(self.body),
            "buttons": [
                {
                    "index": b.index,
                    "type": b.type,
                    "text": b.text,
                    "url": b.url,
                    "phone_number": b.phone_number,
                    "params": list(b.params),
                }  # fmt: skip
                for b in self.buttons
            ],
        }


@dataclass(frozen=True)
class TemplateSpec:
    """A stored template, as much of it as sending needs."""

    name: str
    language: str
    parameter_format: str  # positional | named (any case)
    components: list[dict[str, Any]] | None
    category: str = ""
    status: str = "APPROVED"


def parse_variables(components: Any, parameter_format: str | None = None) -> Variables:
    """The variables of a template's components; odd or unknown pieces never raise."""
    items = [c for c in components if isinstance(c, dict)] if isinstance(components, list) else []
    texts = " ".join(_str(c.get("text")) for c in items if _upper(c.get("type")) != "BUTTONS")
    named = _is_named(parameter_format, texts)
    header, body_text, footer, buttons = Header(None), "", None, []
    unsupported: list[str] = []
    for component in items:
        kind = _upper(component.get("type"))
        if kind == "HEADER":
            header = _header(component, named, unsupported)
        elif kind == "BODY":
            body_text = _str(component.get("text"))
        elif kind == "FOOTER":
            footer = _str(component.get("text")) or None
        elif kind == "BUTTONS":
            raw = component.get("buttons")
            for index, button in enumerate(raw if isinstance(raw, list) else []):
                buttons.append(_button(index, button if isinstance(button, dict) else {}))
                if buttons[-1].type not in KNOWN_BUTTONS:
                    unsupported.append(f"buttons.{index}")
        else:
            unsupported.append(kind.lower() or "component")
    return Variables(
        header=header, body=_placeholders(body_text, named), body_text=body_text,
        footer_text=footer, buttons=tuple(buttons), named=named,
        body_only=not any(_upper(c.get("type")) != "BODY" for c in items),
        unsupported=tuple(unsupported),
    )  # fmt: skip


def infer_parameter_format(components: Any) -> str:
    """``named`` when the header or body uses ``{{name}}`` placeholders, else ``positional``."""
    items = [c for c in components if isinstance(c, dict)] if isinstance(components, list) else []
    texts = " ".join(_str(c.get("text")) for c in items if _upper(c.get("type")) != "BUTTONS")
    return "named" if _is_named(None, texts) else "positional"


def build_template(spec: TemplateSpec, values: Any) -> Outgoing:
    """The checked template message for these values, or ``TemplateInvalid`` per field."""
    variables = parse_variables(spec.components, spec.parameter_format)
    if variables.unsupported:
        pieces = ", ".join(variables.unsupported)
        raise Invalid(
            "template_not_supported",
            f"This template has parts the console cannot fill in yet ({pieces}).",
        )
    header, body, buttons = check_values(variables, values)
    components: list[dict[str, Any]] = []
    if header is not None:
        components.append({"type": "header", "parameters": [header]})
    if body:
        components.append({"type": "body", "parameters": body})
    components += buttons
    template: dict[str, Any] = {"name": spec.name, "language": {"code": spec.language}}
    if components:
        template["components"] = components
    filled = _values_by_name(values)
    rendered_body = fill(variables.body_text, filled["body"])
    text = render_preview(variables, values)
    summary = f"📋 {spec.name}: {rendered_body}".strip()
    return Outgoing("template", {"template": template}, text, summary)


def check_values(
    variables: Variables, values: Any
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]:
    """Graph parameters for the header, the body and the buttons; every problem at once."""
    given = values if isinstance(values, dict) else {}
    problems: dict[str, str] = {}
    header = _check_header(variables, given.get("header"), problems)
    body: list[dict[str, Any]] = []
    body_values = _dict(given.get("body"))
    limit = BODY_ONLY_PARAM_LIMIT if variables.body_only else BODY_PARAM_LIMIT
    for name in variables.body:
        value = _text(body_values.get(name))
        problem = _text_problem(value, limit)
        if problem:
            problems[f"body.{name}"] = problem
            continue
        parameter: dict[str, Any] = {"type": "text", "text": value}
        if variables.named:
            parameter["parameter_name"] = name
        body.append(parameter)
    for name in body_values:
        if str(name) not in variables.body:
            problems[f"body.{name}"] = UNKNOWN_FIELD
    buttons = _check_buttons(variables, _dict(given.get("buttons")), problems)
    if problems:
        raise TemplateInvalid(problems)
    return header, body, buttons


def render_preview(variables: Variables, values: Any = None) -> str:
    """What the customer sees: header, body, footer and buttons; unfilled ``{{…}}`` kept."""
    filled = _values_by_name(values)
    lines = []
    header = variables.header
    if header.format == "TEXT" and header.text:
        header_values = {name: filled["header"]["*"] for name in header.params if filled["header"]}
        lines.append(fill(header.text, header_values))
    elif header.format in MEDIA_LABELS:
        lines.append(f"[{MEDIA_LABELS[header.format]}]")
    elif header.format == "LOCATION":
        lines.append("[📍 Ubicación]")
    if variables.body_text:
        lines.append(fill(variables.body_text, filled["body"]))
    if variables.footer_text:
        lines.append(variables.footer_text)
    lines += [f"[{b.text or b.type.replace('_', ' ').title()}]" for b in variables.buttons]
    return "\n".join(lines)


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{{name}}`` replaced by its value; unknown ones left as they are."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), text)


def template_content(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``content`` of a template message in the API: name, language and the values sent."""
    template = _dict(raw.get("template"))
    content: dict[str, Any] = {
        "name": _str(template.get("name")) or None,
        "language": _str(_dict(template.get("language")).get("code")) or None,
        "header": None, "body": {}, "buttons": [],
    }  # fmt: skip
    components = template.get("components")
    for component in components if isinstance(components, list) else []:
        component = _dict(component)
        parameters = [_dict(p) for p in _list(component.get("parameters"))]
        kind = _str(component.get("type")).lower()
        if kind == "header" and parameters:
            first = parameters[0]
            kind_of = _str(first.get("type"))
            media = _dict(first.get(kind_of))
            content["header"] = {
                "type": kind_of or None,
                "text": _str(first.get("text")) or None,
                "link": _str(media.get("link")) or None,
                "media_id": _str(media.get("id")) or None,
            }
        elif kind == "body":
            for position, parameter in enumerate(parameters, start=1):
                key = _str(parameter.get("parameter_name")) or str(position)
                content["body"][key] = _str(parameter.get("text"))
        elif kind == "button":
            first = parameters[0] if parameters else {}
            content["buttons"].append(
                {
                    "index": _str(component.get("index")),
                    "sub_type": _str(component.get("sub_type")),
                    "value": _str(first.get("text"))
                    or _str(first.get("coupon_code"))
                    or _str(first.get("payload"))
                    or None,
                }  # fmt: skip
            )
    return content


# -- parsing -------------------------------------------------------------------------------


def _header(component: dict[str, Any], named: bool, unsupported: list[str]) -> Header:
    format_ = _upper(component.get("format")) or "TEXT"
    if format_ not in HEADER_FORMATS:
        unsupported.append("header")
        return Header(format_)
    if format_ == "TEXT":
        text = _str(component.get("text"))
        return Header("TEXT", text, _placeholders(text, named))
    return Header(format_)


def _button(index: int, raw: dict[str, Any]) -> Button:
    kind = _upper(raw.get("type")) or "UNKNOWN"
    url = _str(raw.get("url")) or None
    params: tuple[str, ...] = ()
    if kind == "URL" and url:
        params = _placeholders(url, named=False)
    elif kind == "COPY_CODE":
        params = ("coupon_code",)
    text = _str(raw.get("text")) or ("Copiar código" if kind == "COPY_CODE" else "")
    return Button(
        index=index, type=kind, text=text, url=url,
        phone_number=_str(raw.get("phone_number")) or None, params=params,
    )  # fmt: skip


def _placeholders(text: str, named: bool) -> tuple[str, ...]:
    names = list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text)))
    if named:
        return tuple(names)
    # Positional parameters are sent in their number's order, each once.
    return tuple(sorted((n for n in names if n.isdigit()), key=int))


def _is_named(parameter_format: str | None, texts: str) -> bool:
    if parameter_format:
        return parameter_format.strip().lower() == "named"
    return any(not m.group(1).isdigit() for m in PLACEHOLDER.finditer(texts))


# -- checking ------------------------------------------------------------------------------


def _check_header(
    variables: Variables, given: Any, problems: dict[str, str]
) -> dict[str, Any] | None:
    header = variables.header
    value = _dict(given)
    if header.format is None or (header.format == "TEXT" and not header.params):
        if value:
            problems["header"] = UNKNOWN_FIELD
        return None
    if header.format == "TEXT":
        text = _text(value.get("text"))
        problem = _text_problem(text, HEADER_PARAM_LIMIT)
        if problem:
            problems["header"] = problem
            return None
        parameter: dict[str, Any] = {"type": "text", "text": text}
        if variables.named:
            parameter["parameter_name"] = header.params[0]
        return parameter
    if header.format == "LOCATION":
        latitude, longitude = _number(value.get("latitude")), _number(value.get("longitude"))
        if latitude is None or longitude is None:
            problems["header"] = "Faltan latitud y longitud"
            return None
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            problems["header"] = "Latitud entre -90 y 90, longitud entre -180 y 180"
            return None
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        for key in ("name", "address"):
            if _text(value.get(key)):
                location[key] = _text(value.get(key))
        return {"type": "location", "location": location}
    kind = MEDIA_FORMATS[header.format]
    link, media_id = _text(value.get("link")), _text(value.get("media_id"))
    if not link and not media_id:
        problems["header"] = "Falta el enlace (https://…) o el id del archivo"
        return None
    if link and not link.lower().startswith("https://"):
        problems["header"] = "El enlace debe ser público y empezar con https://"
        return None
    media: dict[str, Any] = {"id": media_id} if media_id else {"link": link}
    if kind == "document" and _text(value.get("filename")):
        media["filename"] = _text(value.get("filename"))
    return {"type": kind, kind: media}


def _check_buttons(
    variables: Variables, given: dict[str, Any], problems: dict[str, str]
) -> list[dict[str, Any]]:
    built = []
    by_index = {str(b.index): b for b in variables.buttons}
    for key in given:
        button = by_index.get(str(key))
        if button is None or not button.params:
            problems[f"buttons.{key}"] = UNKNOWN_FIELD
    for button in variables.buttons:
        if not button.params:
            continue  # quick replies, phone numbers and static URLs need nothing at send
        where = f"buttons.{button.index}"
        value = _text(given.get(str(button.index)))
        if button.type == "COPY_CODE":
            problem = _text_problem(value, COUPON_CODE_LIMIT)
            parameter = {"type": "coupon_code", "coupon_code": value}
        else:
            prefix = PLACEHOLDER.sub("", button.url or "")
            problem = _text_problem(value, max(1, URL_LIMIT - len(prefix)))
            if not problem and any(ch.isspace() for ch in value):
                problem = "Sin espacios: es parte de un enlace"
            parameter = {"type": "text", "text": value}
        if problem:
            problems[where] = problem
            continue
        built.append(
            {
                "type": "button",
                "sub_type": button.type.lower(),
                "index": str(button.index),
                "parameters": [parameter],
            }  # fmt: skip
        )
    return built


def _text_problem(value: str, limit: int) -> str | None:
    if not value:
        return REQUIRED
    if len(value) > limit:
        return f"Máximo {limit:,} caracteres (tiene {len(value):,})"
    if _BAD_WHITESPACE.search(value):
        return "Sin saltos de línea, tabuladores ni más de 4 espacios seguidos"
    return None


def _values_by_name(values: Any) -> dict[str, dict[str, str]]:
    given = _dict(values)
    header_text = _text(_dict(given.get("header")).get("text"))
    return {
        # A text header has at most one variable, whatever its name.
        "header": {"*": header_text} if header_text else {},
        "body": {str(k): _text(v) for k, v in _dict(given.get("body")).items() if _text(v)},
    }


def _label(field_name: str) -> str:
    part, _, key = field_name.partition(".")
    if part == "body":
        return f"Variable {{{{{key}}}}} del cuerpo"
    if part == "buttons":
        return f"Botón {int(key) + 1 if key.isdigit() else key}"
    return "Encabezado" if part == "header" else field_name


# -- tolerant readers ----------------------------------------------------------------------


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value) if isinstance(value, str) and value.strip() else None
    except ValueError:
        return None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _upper(value: Any) -> str:
    return value.strip().upper() if isinstance(value, str) else ""
