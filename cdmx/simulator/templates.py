"""The simulated business account's message templates, and Meta's checks when one is sent.

The catalog covers what a contact center meets: positional and named body parameters, a
text header with a variable, image and document headers, quick-reply, URL (with a variable
suffix), copy-code and phone buttons, the same name in es_MX and en_US, and one PAUSED.

Checks mirror Meta's answers (reference §4.1, §4.4): 132001 when the name does not exist in
that exact language, 132015 when paused, 132000 when a component's parameter count is off,
(#100) "Parameter name is missing or empty" when a named template gets a parameter without
``parameter_name``, 132012 when a media header gets the wrong kind of parameter.
"""

from __future__ import annotations

import re
from typing import Any

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class TemplateRejected(Exception):
    """Meta's error for a template send: code, message and ``error_data.details``."""

    def __init__(self, code: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def _body(text: str, *examples: str) -> dict[str, Any]:
    return {"type": "BODY", "text": text, "example": {"body_text": [list(examples)]}}


def _named_body(text: str, **examples: str) -> dict[str, Any]:
    named = [{"param_name": k, "example": v} for k, v in examples.items()]
    return {"type": "BODY", "text": text, "example": {"body_text_named_params": named}}


SAMPLE_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "bienvenida",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "id": "300000000000001",
        "components": [
            _body("¡Hola {{1}}! Gracias por escribirnos. ¿En qué podemos ayudarte hoy?", "Ana"),
            {"type": "FOOTER", "text": "WhatsApp CDMX"},
        ],
    },
    {
        "name": "hello_world",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "id": "300000000000002",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {
                "type": "BODY",
                "text": "Welcome and congratulations!! This message demonstrates your ability "
                "to send a WhatsApp message notification from the Cloud API, hosted by Meta. "
                "Thank you for taking the time to test with us.",
            },
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"},
        ],
    },
    {
        "name": "recordatorio_cita",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "id": "300000000000003",
        "components": [
            {
                "type": "HEADER",
                "format": "TEXT",
                "text": "Tu cita en {{1}}",
                "example": {"header_text": ["Polanco"]},
            },
            _body(
                "Hola {{1}}, te recordamos tu cita el {{2}} a las {{3}}. ¿Nos confirmas?",
                "Ana",
                "12 de marzo",
                "10:00",
            ),
            {"type": "FOOTER", "text": "Responde con un botón"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "Confirmar"},
                    {"type": "QUICK_REPLY", "text": "Cambiar cita"},
                ],
            },
        ],
    },
    {
        "name": "estado_pedido",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "id": "300000000000004",
        "components": [
            _named_body(
                "Hola {{first_name}}, tu pedido {{order_id}} va en camino.",
                first_name="Ana",
                order_id="A-1024",
            ),
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Rastrear pedido",
                        "url": "https://tienda.example.com/rastreo/{{1}}",
                        "example": ["https://tienda.example.com/rastreo/A-1024"],
                    },
                    {"type": "PHONE_NUMBER", "text": "Llamar", "phone_number": "+525550000000"},
                ],
            },
        ],
    },
    {
        "name": "estado_pedido",
        "language": "en_US",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "id": "300000000000005",
        "components": [
            _named_body(
                "Hi {{first_name}}, your order {{order_id}} is on its way.",
                first_name="Ann",
                order_id="A-1024",
            ),
            {
                "type": "BUTTONS",
                "buttons": [
                    {
                        "type": "URL",
                        "text": "Track order",
                        "url": "https://tienda.example.com/track/{{1}}",
                        "example": ["https://tienda.example.com/track/A-1024"],
                    },
                ],
            },
        ],
    },
    {
        "name": "promo_imagen",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "id": "300000000000006",
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1n"]}},
            _body("{{1}}, aprovecha {{2}} de descuento con el código de abajo.", "Ana", "15%"),
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "COPY_CODE", "example": "CDMX15"},
                    {"type": "URL", "text": "Ver tienda", "url": "https://tienda.example.com"},
                ],
            },
        ],
    },
    {
        "name": "factura",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "id": "300000000000007",
        "components": [
            {"type": "HEADER", "format": "DOCUMENT", "example": {"header_handle": ["4::cGRm"]}},
            _body("Adjuntamos tu factura {{1}}. Gracias por tu compra.", "F-2031"),
        ],
    },
    {
        "name": "oferta_pausada",
        "language": "es_MX",
        "status": "PAUSED",
        "category": "MARKETING",
        "parameter_format": "POSITIONAL",
        "id": "300000000000008",
        "components": [_body("¡{{1}}, solo hoy 2x1 en toda la tienda!", "Ana")],
    },
    {
        # The satisfaction survey for a customer whose 24-hour window has shut (a queue's
        # csat_template_name): each button's number is its score.
        "name": "encuesta_csat",
        "language": "es_MX",
        "status": "APPROVED",
        "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "id": "300000000000009",
        "components": [
            {"type": "BODY", "text": "¿Cómo calificarías la atención que recibiste?"},
            {
                "type": "BUTTONS",
                "buttons": [
                    {"type": "QUICK_REPLY", "text": "5 Excelente"},
                    {"type": "QUICK_REPLY", "text": "3 Regular"},
                    {"type": "QUICK_REPLY", "text": "1 Mala"},
                ],
            },
        ],
    },
]


def find_template(name: str, language: str) -> dict[str, Any] | None:
    """The sample template with this name and exact locale."""
    for template in SAMPLE_TEMPLATES:
        if template["name"] == name and template["language"] == language:
            return template
    return None


def check_and_render(obj: dict[str, Any]) -> tuple[str, str]:
    """The text the customer sees and the pricing category, or ``TemplateRejected``."""
    name, language = obj.get("name"), obj.get("language")
    if not isinstance(name, str) or not name:
        raise TemplateRejected(100, "(#100) The parameter template['name'] is required.")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str) or not code:
        raise TemplateRejected(
            100, "(#100) The parameter template['language']['code'] is required."
        )
    template = find_template(name, code)
    if template is None:
        raise TemplateRejected(
            132001, "(#132001) Template name does not exist in the translation",
            f"template name ({name}) does not exist in {code}",
        )  # fmt: skip
    if template["status"] == "PAUSED":
        raise TemplateRejected(132015, "(#132015) Template is Paused", f"{name} is paused")
    if template["status"] != "APPROVED":
        raise TemplateRejected(132016, "(#132016) Template is disabled", f"{name} is disabled")
    named = template["parameter_format"] == "NAMED"
    sent = _sent_components(obj.get("components"))
    parts: dict[str, str] = {}
    for component in template["components"]:
        kind = component["type"]
        if kind == "HEADER":
            parts["header"] = _header(component, sent.get("header", []), named)
        elif kind == "BODY":
            parts["body"] = _fill("body", component["text"], sent.get("body", []), named)
        elif kind == "FOOTER":
            parts["footer"] = component["text"]
        elif kind == "BUTTONS":
            parts["buttons"] = _buttons(component["buttons"], sent)
    text = "\n".join(p for k in ("header", "body", "footer", "buttons") if (p := parts.get(k)))
    return text, str(template["category"]).lower()


def quick_replies(obj: dict[str, Any]) -> list[dict[str, str]]:
    """A template message's quick-reply buttons, for the phone to tap: each one's index,
    text and payload (the one sent with it, as Meta returns it; else its text)."""
    language = obj.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    template = find_template(str(obj.get("name")), str(code))
    if template is None:
        return []
    sent = _sent_components(obj.get("components"))
    replies = []
    for component in template["components"]:
        if component["type"] != "BUTTONS":
            continue
        for index, button in enumerate(component["buttons"]):
            if button["type"] != "QUICK_REPLY":
                continue
            payload = next(
                (p["payload"] for p in sent.get(f"button.{index}", [])
                 if p.get("type") == "payload" and isinstance(p.get("payload"), str)),
                button["text"],
            )  # fmt: skip
            replies.append({"index": str(index), "text": button["text"], "payload": payload})
    return replies


def _sent_components(components: Any) -> dict[str, list[dict[str, Any]]]:
    sent: dict[str, list[dict[str, Any]]] = {}
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            raise TemplateRejected(100, "(#100) Invalid parameter", "components must be objects")
        kind = str(component.get("type", "")).lower()
        parameters = component.get("parameters")
        parameters = [p for p in parameters if isinstance(p, dict)] if isinstance(
            parameters, list
        ) else []  # fmt: skip
        if kind == "button":
            kind = f"button.{component.get('index')}"
        sent[kind] = parameters
    return sent


def _fill(where: str, text: str, parameters: list[dict[str, Any]], named: bool) -> str:
    expected = list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(text)))
    if len(parameters) != len(expected):
        raise TemplateRejected(
            132000, "(#132000) Number of parameters does not match the expected number of params",
            f"{where}: number of localizable_params ({len(parameters)}) does not match the "
            f"expected number of params ({len(expected)})",
        )  # fmt: skip
    values: dict[str, str] = {}
    for position, parameter in enumerate(parameters, start=1):
        value = parameter.get("text")
        if parameter.get("type") != "text" or not isinstance(value, str) or not value:
            raise TemplateRejected(
                131008, "(#131008) Required parameter is missing",
                f"{where}: parameter {position} needs type text and a text",
            )  # fmt: skip
        if named:
            key = parameter.get("parameter_name")
            if not isinstance(key, str) or not key:
                raise TemplateRejected(
                    100, "(#100) Invalid parameter", "Parameter name is missing or empty"
                )
            if key not in expected:
                raise TemplateRejected(
                    100, "(#100) Invalid parameter",
                    f"Parameter name '{key}' does not exist in the template {where}",
                )  # fmt: skip
        else:
            key = str(position)
        values[key] = value
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _header(component: dict[str, Any], parameters: list[dict[str, Any]], named: bool) -> str:
    kind = component.get("format", "TEXT")
    if kind == "TEXT":
        return _fill("header", component["text"], parameters, named)
    wanted = str(kind).lower()
    got = parameters[0] if len(parameters) == 1 else {}
    media = got.get(wanted)
    if got.get("type") != wanted or not isinstance(media, dict):
        received = str(got.get("type") or "UNKNOWN").upper()
        raise TemplateRejected(
            132012, "(#132012) Parameter format does not match format in the created template",
            f"header: Format mismatch, expected {kind}, received {received}",
        )  # fmt: skip
    if not media.get("id") and not media.get("link"):
        raise TemplateRejected(100, f"(#100) Param {wanted} must contain either id or link.")
    label = media.get("filename") or media.get("link") or media.get("id")
    return f"[{kind.title()}: {label}]"


def _buttons(buttons: list[dict[str, Any]], sent: dict[str, list[dict[str, Any]]]) -> str:
    labels = []
    for index, button in enumerate(buttons):
        parameters = sent.get(f"button.{index}", [])
        kind = button["type"]
        if kind == "URL" and "{{" in button["url"]:
            value = parameters[0].get("text") if len(parameters) == 1 else None
            if not isinstance(value, str) or not value:
                raise TemplateRejected(
                    132000, "(#132000) Number of parameters does not match the expected number "
                    "of params", f"button at index {index}: a URL suffix parameter is required",
                )  # fmt: skip
            labels.append(f"[{button['text']}: {PLACEHOLDER.sub(value, button['url'])}]")
        elif kind == "COPY_CODE":
            value = parameters[0].get("coupon_code") if len(parameters) == 1 else None
            if not isinstance(value, str) or not value:
                raise TemplateRejected(
                    131008, "(#131008) Required parameter is missing",
                    f"button at index {index}: coupon_code is required",
                )  # fmt: skip
            labels.append(f"[Copiar código: {value}]")
        else:
            labels.append(f"[{button.get('text', '')}]")
    return "\n".join(labels)
