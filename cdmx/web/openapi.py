"""The API's OpenAPI description tells the truth about errors.

FastAPI describes a refused request (422) as ``{"detail": [...]}``; this API answers every
refusal as ``{"error": {"code", "message"}}`` (``cdmx.web.errors``). ``describe_errors``
rewrites the generated description once, so clients and contract tests (schemathesis, in
``tests/web/test_schemathesis.py``) read the shape the server really sends.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object"},
            },
        }
    },
}
_REF = {"$ref": "#/components/schemas/Error"}


def describe_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe 422 answers as the error object the API sends."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                refused = operation.get("responses", {}).get("422")
                if refused is not None:
                    refused["description"] = "Refused: a parameter or the body is invalid."
                    refused["content"] = {"application/json": {"schema": _REF}}
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        components["Error"] = ERROR_SCHEMA
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
