"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser),
the app and the simulator on real ports, screenshots kept under test-artifacts/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cdmx.app import create_app
from cdmx.settings import Settings
from cdmx.simulator import SimulatorConfig, create_simulator_app
from tests.conftest import ACCESS_TOKEN, APP_SECRET, DISPLAY_NUMBER, PHONE_NUMBER_ID, WABA_ID
from tests.servers import free_port, serving_in_thread

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # A fake microphone that needs no permission prompt, for the voice-note tests.
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
]  # fmt: skip

pytestmark = pytest.mark.browser


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("CDMX_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture
def browser() -> Iterator[Any]:
    # Per test, not per session: Playwright's sync API keeps an event loop running in this
    # thread while it is started, which would break every asyncio test that runs after it.
    executable = _chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI (apt-get install -y chromium)")
        pytest.skip("no Chromium on this machine (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Stack:
    """The app and the simulator, wired to each other over real HTTP."""

    def __init__(self, app_url: str, phone_url: str, simulator: Any) -> None:
        self.app_url = app_url
        self.phone_url = phone_url
        self.simulator = simulator


@pytest.fixture
def stack(settings: Settings, db: Any) -> Iterator[Stack]:
    app_port, sim_port = free_port(), free_port()
    simulator_app = create_simulator_app(
        SimulatorConfig(
            app_secret=APP_SECRET, access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID,
            display_phone_number=DISPLAY_NUMBER, waba_id=WABA_ID,
            webhook_url=f"http://127.0.0.1:{app_port}/webhooks/whatsapp",
        )
    )  # fmt: skip
    app = create_app(
        settings.model_copy(update={"graph_api_base_url": f"http://127.0.0.1:{sim_port}"})
    )
    with (
        serving_in_thread(simulator_app, sim_port) as sim_url,
        serving_in_thread(app, app_port) as app_url,
    ):
        yield Stack(app_url, f"{sim_url}/phone", simulator_app.state.simulator)


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Any:
    """Save a page's screenshot as test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    backend = "postgres" if os.environ.get("CDMX_TEST_DATABASE_URL") else "sqlite"

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{backend}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
