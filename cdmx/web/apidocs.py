"""The API's documentation page, ``/api/v1/docs``, served entirely from this server.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; neither
passes the console's Content-Security-Policy nor works on a closed network. Here Swagger UI's
files come from the ``fastapi-offline`` package (Swagger UI 5, which reads OpenAPI 3.1), and
the page starts it with a script of its own (``/api/v1/docs/start.js``).
Wiring: ``app.include_router(router)`` and ``mount(app)``.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)

ASSETS = "/api/v1/docs/assets"
ASSET_FILES = Path(fastapi_offline.__file__).parent / "static"
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>WhatsApp CDMX API</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/start.js"></script>
</body>
</html>
"""
# validatorUrl null: Swagger UI would otherwise send the schema to an outside validator.
START = """window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
"""


@router.get("/api/v1/docs")
def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE)


@router.get("/api/v1/docs/start.js")
def docs_start() -> Response:
    return Response(START, media_type="text/javascript")


def mount(app: FastAPI) -> None:
    """Serve Swagger UI's files from the installed package."""
    app.mount(ASSETS, StaticFiles(directory=ASSET_FILES), name="api-docs-assets")
