"""The Content-Security-Policy in real Chromium: the sign-in page, the console and the API
docs page work under it, and the browser reports nothing it blocked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cdmx.db.tables import User
from tests.browser.conftest import Stack
from tests.browser.test_poc import login

pytestmark = pytest.mark.browser


def test_the_console_and_the_api_docs_run_under_the_policy(
    browser: Any, stack: Stack, make_user: Callable[..., User], screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
        (stack.app_url, "data:", "blob:")) else None)  # fmt: skip
    login(page, stack.app_url, make_user(role="admin"))
    expect(page.locator("#conversation-list")).to_be_visible()
    page.goto(f"{stack.app_url}/api/v1/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=10000)
    expect(page.locator(".opblock-tag").first).to_be_visible()
    screenshot(page, "api-docs")
    assert problems == []
    assert outside == []
