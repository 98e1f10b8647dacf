"""Templates: variables parsed from Meta's components, values checked per field, the Graph
object built as Meta wants it, and the preview the customer will see."""

from __future__ import annotations

from typing import Any

import pytest

from cdmx.domain.errors import Invalid
from cdmx.simulator.templates import SAMPLE_TEMPLATES, check_and_render
from cdmx.whatsapp.templates import (
    TemplateInvalid,
    TemplateSpec,
    build_template,
    infer_parameter_format,
    parse_variables,
    render_preview,
    template_content,
)


def sample(name: str, language: str = "es_MX") -> TemplateSpec:
    raw = next(t for t in SAMPLE_TEMPLATES if t["name"] == name and t["language"] == language)
    return TemplateSpec(
        name=raw["name"], language=raw["language"], parameter_format=raw["parameter_format"],
        components=raw["components"], category=raw["category"], status=raw["status"],
    )  # fmt: skip


def fields_of(spec: TemplateSpec, values: Any) -> dict[str, str]:
    with pytest.raises(TemplateInvalid) as caught:
        build_template(spec, values)
    assert caught.value.code == "invalid_template"
    assert caught.value.status_code == 422
    return caught.value.fields


def test_positional_variables_with_text_header_and_quick_replies() -> None:
    spec = sample("recordatorio_cita")
    variables = parse_variables(spec.components, spec.parameter_format).to_json()
    assert variables["header"] == {"format": "TEXT", "text": "Tu cita en {{1}}", "params": ["1"]}
    assert variables["body"] == ["1", "2", "3"]
    assert [(b["index"], b["type"], b["text"], b["params"]) for b in variables["buttons"]] == [
        (0, "QUICK_REPLY", "Confirmar", []), (1, "QUICK_REPLY", "Cambiar cita", []),
    ]  # fmt: skip


def test_named_variables_and_url_button_suffix() -> None:
    spec = sample("estado_pedido")
    variables = parse_variables(spec.components, spec.parameter_format).to_json()
    assert variables["header"] == {"format": None, "text": None, "params": []}
    assert variables["body"] == ["first_name", "order_id"]
    url, phone = variables["buttons"]
    assert (url["type"], url["params"], url["url"]) == (
        "URL", ["1"], "https://tienda.example.com/rastreo/{{1}}",
    )  # fmt: skip
    assert (phone["type"], phone["phone_number"], phone["params"]) == (
        "PHONE_NUMBER", "+525550000000", [],
    )  # fmt: skip


def test_media_header_and_copy_code_button() -> None:
    spec = sample("promo_imagen")
    variables = parse_variables(spec.components, spec.parameter_format).to_json()
    assert variables["header"]["format"] == "IMAGE"
    assert [b["type"] for b in variables["buttons"]] == ["COPY_CODE", "URL"]
    assert variables["buttons"][0]["params"] == ["coupon_code"]
    assert variables["buttons"][1]["params"] == []  # a static URL needs nothing


def test_positional_placeholders_are_ordered_by_number_and_counted_once() -> None:
    components = [{"type": "BODY", "text": "{{2}} y {{1}}, otra vez {{2}}"}]
    assert parse_variables(components, "positional").body == ("1", "2")


def test_parameter_format_is_inferred_when_meta_leaves_it_out() -> None:
    assert infer_parameter_format([{"type": "BODY", "text": "Hola {{name}}"}]) == "named"
    assert infer_parameter_format([{"type": "BODY", "text": "Hola {{1}}"}]) == "positional"
    assert parse_variables([{"type": "BODY", "text": "Hola {{name}}"}]).named


@pytest.mark.parametrize(
    "components", [None, "x", [1, None], [{"type": "BUTTONS", "buttons": "no"}], [{"type": 5}]]
)
def test_odd_components_never_raise(components: Any) -> None:
    parse_variables(components, None).to_json()


def test_positional_template_builds_graph_object_and_preview() -> None:
    values = {"header": {"text": "Polanco"}, "body": {"1": "Ana", "2": "12 de marzo", "3": "10:00"}}
    outgoing = build_template(sample("recordatorio_cita"), values)
    assert outgoing.type == "template"
    assert outgoing.body == {
        "template": {
            "name": "recordatorio_cita",
            "language": {"code": "es_MX"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "Polanco"}]},
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "12 de marzo"},
                        {"type": "text", "text": "10:00"},
                    ],
                },
            ],
        }
    }
    assert outgoing.text == (
        "Tu cita en Polanco\nHola Ana, te recordamos tu cita el 12 de marzo a las 10:00. "
        "¿Nos confirmas?\nResponde con un botón\n[Confirmar]\n[Cambiar cita]"
    )
    assert outgoing.summary.startswith("📋 recordatorio_cita: Hola Ana, te recordamos")


def test_named_template_sends_parameter_names_and_url_suffix() -> None:
    values = {"body": {"first_name": "Ana", "order_id": "A-77"}, "buttons": {"0": "A-77"}}
    template = build_template(sample("estado_pedido"), values).body["template"]
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ana", "parameter_name": "first_name"},
                {"type": "text", "text": "A-77", "parameter_name": "order_id"},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "A-77"}],
        },  # fmt: skip
    ]


def test_language_code_is_sent_exactly() -> None:
    values = {"body": {"first_name": "Ann", "order_id": "1"}, "buttons": {"0": "1"}}
    template = build_template(sample("estado_pedido", "en_US"), values).body["template"]
    assert template["language"] == {"code": "en_US"}


def test_media_header_by_link_or_id_and_coupon_code() -> None:
    values: dict[str, Any] = {
        "header": {"link": "https://cdn.example.com/promo.jpg"},
        "body": {"1": "Ana", "2": "15%"},
        "buttons": {"0": "CDMX15"},
    }
    components = build_template(sample("promo_imagen"), values).body["template"]["components"]
    assert components[0] == {
        "type": "header",
        "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/promo.jpg"}}],
    }
    assert components[2] == {
        "type": "button", "sub_type": "copy_code", "index": "0",
        "parameters": [{"type": "coupon_code", "coupon_code": "CDMX15"}],
    }  # fmt: skip
    values["header"] = {"media_id": "998877"}
    components = build_template(sample("promo_imagen"), values).body["template"]["components"]
    assert components[0]["parameters"] == [{"type": "image", "image": {"id": "998877"}}]


def test_document_header_keeps_its_filename() -> None:
    values = {
        "header": {"link": "https://x.example.com/f.pdf", "filename": "F-1.pdf"},
        "body": {"1": "F-1"},
    }
    header = build_template(sample("factura"), values).body["template"]["components"][0]
    assert header["parameters"][0]["document"] == {
        "link": "https://x.example.com/f.pdf", "filename": "F-1.pdf",
    }  # fmt: skip


def test_template_without_variables_sends_no_components() -> None:
    outgoing = build_template(sample("hello_world", "en_US"), None)
    assert outgoing.body == {"template": {"name": "hello_world", "language": {"code": "en_US"}}}


def test_every_missing_value_is_reported_with_its_field() -> None:
    fields = fields_of(sample("recordatorio_cita"), {"body": {"2": "12 de marzo"}})
    assert fields == {"header": "Requerido", "body.1": "Requerido", "body.3": "Requerido"}


def test_first_problem_is_the_message_in_words() -> None:
    with pytest.raises(TemplateInvalid) as caught:
        build_template(sample("bienvenida"), {"body": {}})
    assert caught.value.message == "Variable {{1}} del cuerpo: Requerido."


def test_media_header_needs_a_link_or_id_and_an_https_link() -> None:
    values: dict[str, Any] = {"body": {"1": "Ana", "2": "15%"}, "buttons": {"0": "C"}}
    assert fields_of(sample("promo_imagen"), values) == {
        "header": "Falta el enlace (https://…) o el id del archivo"
    }
    values["header"] = {"link": "http://insecure.example.com/a.jpg"}
    assert "https://" in fields_of(sample("promo_imagen"), values)["header"]


def test_url_suffix_and_coupon_code_are_required_and_limited() -> None:
    named = {"body": {"first_name": "Ana", "order_id": "1"}}
    assert fields_of(sample("estado_pedido"), named) == {"buttons.0": "Requerido"}
    assert (
        "Sin espacios"
        in fields_of(sample("estado_pedido"), {**named, "buttons": {"0": "a b"}})["buttons.0"]
    )
    promo = {"header": {"media_id": "1"}, "body": {"1": "Ana", "2": "15%"}}
    long_code = fields_of(sample("promo_imagen"), {**promo, "buttons": {"0": "X" * 16}})
    assert long_code == {"buttons.0": "Máximo 15 caracteres (tiene 16)"}


def test_lengths_follow_meta_limits() -> None:
    too_long = {"header": {"text": "x" * 61}, "body": {"1": "a" * 1025, "2": "b", "3": "c"}}
    fields = fields_of(sample("recordatorio_cita"), too_long)
    assert fields == {
        "header": "Máximo 60 caracteres (tiene 61)",
        "body.1": "Máximo 1,024 caracteres (tiene 1,025)",
    }
    body_only = TemplateSpec("solo", "es_MX", "positional", [{"type": "BODY", "text": "{{1}}"}])
    assert build_template(body_only, {"body": {"1": "a" * 5000}}).text == "a" * 5000


def test_newlines_and_tabs_are_refused_in_a_parameter() -> None:
    fields = fields_of(sample("bienvenida"), {"body": {"1": "Ana\nMaría"}})
    assert fields["body.1"].startswith("Sin saltos de línea")


def test_values_the_template_does_not_have_are_reported() -> None:
    fields = fields_of(
        sample("bienvenida"), {"body": {"1": "Ana", "2": "extra"}, "buttons": {"0": "x"}}
    )
    assert fields == {
        "body.2": "No existe en esta plantilla",
        "buttons.0": "No existe en esta plantilla",
    }


def test_numbers_are_accepted_as_text() -> None:
    outgoing = build_template(sample("bienvenida"), {"body": {"1": 42}})
    assert outgoing.body["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "42"}
    ]


def test_template_with_unsupported_parts_is_refused_clearly() -> None:
    spec = TemplateSpec(
        "carrusel", "es_MX", "positional",
        [{"type": "BODY", "text": "Hola"}, {"type": "CAROUSEL", "cards": []}],
    )  # fmt: skip
    with pytest.raises(Invalid) as caught:
        build_template(spec, {})
    assert caught.value.code == "template_not_supported"


def test_preview_keeps_placeholders_until_filled() -> None:
    spec = sample("recordatorio_cita")
    variables = parse_variables(spec.components, spec.parameter_format)
    assert render_preview(variables).startswith("Tu cita en {{1}}\nHola {{1}}, te recordamos")
    partial = render_preview(variables, {"body": {"1": "Ana"}})
    assert "Hola Ana, te recordamos tu cita el {{2}}" in partial
    image = parse_variables(sample("promo_imagen").components, "positional")
    assert render_preview(image).startswith("[🖼️ Imagen]\n{{1}}, aprovecha")


def test_content_of_a_sent_template_names_its_values() -> None:
    values = {"body": {"first_name": "Ana", "order_id": "A-77"}, "buttons": {"0": "A-77"}}
    outgoing = build_template(sample("estado_pedido"), values)
    content = template_content(outgoing.payload(None))
    assert content == {
        "name": "estado_pedido", "language": "es_MX", "header": None,
        "body": {"first_name": "Ana", "order_id": "A-77"},
        "buttons": [{"index": "0", "sub_type": "url", "value": "A-77"}],
    }  # fmt: skip
    assert template_content({"template": "junk"})["name"] is None


@pytest.mark.parametrize(
    ("name", "language", "values"),
    [
        ("bienvenida", "es_MX", {"body": {"1": "Ana"}}),
        ("hello_world", "en_US", {}),
        ("recordatorio_cita", "es_MX",
         {"header": {"text": "Roma"}, "body": {"1": "A", "2": "lunes", "3": "9:00"}}),
        ("estado_pedido", "es_MX",
         {"body": {"first_name": "Ana", "order_id": "7"}, "buttons": {"0": "7"}}),
        ("estado_pedido", "en_US",
         {"body": {"first_name": "Ann", "order_id": "7"}, "buttons": {"0": "7"}}),
        ("promo_imagen", "es_MX",
         {"header": {"link": "https://x.example.com/a.jpg"}, "body": {"1": "A", "2": "5%"},
          "buttons": {"0": "C5"}}),
        ("factura", "es_MX", {"header": {"media_id": "55"}, "body": {"1": "F-1"}}),
    ],
)  # fmt: skip
def test_what_we_build_is_what_the_simulated_meta_accepts(
    name: str, language: str, values: dict[str, Any]
) -> None:
    outgoing = build_template(sample(name, language), values)
    text, _category = check_and_render(outgoing.body["template"])
    assert "{{" not in text
