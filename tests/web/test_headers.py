"""Security headers on the console's pages and the API's answers, and the API docs page
served with no third-party origin."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from cdmx.app import create_app
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.web.headers import content_security_policy, media_origins
from tests.conftest import bearer


def _directives(policy: str) -> dict[str, str]:
    pairs = (part.strip().partition(" ") for part in policy.split(";"))
    return {name: value for name, _, value in pairs}


def _assert_strict(response: httpx.Response) -> None:
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_the_login_page_the_console_and_the_api_carry_a_strict_policy(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    login = await client.get("/login")
    assert login.status_code == 200
    _assert_strict(login)
    console = await client.get("/")  # not signed in: sent to /login, with the headers too
    _assert_strict(console)
    auth = await bearer(client, make_user())
    api = await client.get("/api/v1/conversations", headers=auth)
    assert api.status_code == 200
    _assert_strict(api)
    refused = await client.get("/api/v1/conversations")
    assert refused.status_code == 401
    _assert_strict(refused)


async def test_a_signed_in_console_page_carries_the_policy(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    from tests.conftest import PASSWORD

    user = make_user()
    page = await client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    form = {"email": user.email, "password": PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    signed_in = await client.post("/login", data=form)
    assert signed_in.status_code in (302, 303), signed_in.text
    console = await client.get("/")
    assert console.status_code == 200
    assert 'id="conversation-list"' in console.text
    _assert_strict(console)
    # The page keeps to the policy: no inline script but the JSON data block.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", console.text, re.S)
    assert all('type="application/json"' in attrs or not body.strip() for attrs, body in scripts)
    assert " style=" not in console.text and " onclick=" not in console.text


async def test_hsts_only_when_the_base_url_is_https(settings: Settings, db: Any) -> None:
    for base_url, expected in (("http://127.0.0.1:8000", False), ("https://cc.example.mx", True)):
        app = create_app(settings.model_copy(update={"base_url": base_url}), run_workers=False)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            response = await http.get("/login")
        assert ("strict-transport-security" in response.headers) is expected
        if expected:
            assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_presigned_media_origins_are_allowed_for_images_and_sound(settings: Settings) -> None:
    local = media_origins(settings)
    assert local == ()
    s3 = settings.model_copy(update={"s3_bucket_media": "cdmx-media", "aws_region": "us-east-1"})
    assert "https://cdmx-media.s3.us-east-1.amazonaws.com" in media_origins(s3)
    cdn = s3.model_copy(update={"cloudfront_domain": "d111.cloudfront.net"})
    policy = _directives(content_security_policy(media_origins(cdn)))
    assert "https://d111.cloudfront.net" in policy["img-src"]
    assert "https://d111.cloudfront.net" in policy["media-src"]
    assert "cloudfront" not in policy["script-src"] and "cloudfront" not in policy["connect-src"]


async def test_the_api_docs_page_loads_nothing_from_another_origin(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/api/v1/docs")
    assert page.status_code == 200
    _assert_strict(page)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") or s == "data:," for s in sources), sources
    assert not re.search(r"<script>[^<]", page.text)  # no inline script
    for source in sources:
        if source.startswith("/"):
            asset = await client.get(source)
            assert asset.status_code == 200, source
    start = await client.get("/api/v1/docs/start.js")
    assert "/api/v1/openapi.json" in start.text and "validatorUrl: null" in start.text
    assert "https://" not in start.text
