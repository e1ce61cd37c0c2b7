"""The whole stack as a shopper's browser sees it: ``ctp serve`` and two ``streamlit run`` processes
on free loopback ports over the session-built catalog, driven by Debian's Chromium via Playwright.

Playwright's own browser download cannot run on these machines, so the system binary is launched
through ``executable_path``; without it the browser tests skip and say how to install it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.ui.conftest import free_port

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{url} exited with {proc.returncode} before answering")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come up in {seconds:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def stack(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """{api, chat, console}: base URLs of the running processes."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium: run `apt-get install -y chromium`")
    logs = tmp_path_factory.mktemp("stack-logs")
    api_port, chat_port, console_port = free_port(), free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = {
        **os.environ,
        "CTP_VAR_DIR": str(settings.var_dir),
        "CTP_ENCODER": settings.encoder,  # the index was built with the session's encoder
        "CTP_DATA_DIR": str(settings.data_dir),
        "CTP_DATABASE_URL": settings.resolved_database_url,
        "CTP_REDIS_URL": settings.redis_url or "",
        "CTP_API_BASE_URL": api,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    procs: list[subprocess.Popen[bytes]] = []

    def start(name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        out = (logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    def streamlit(name: str, script: str, port: int) -> subprocess.Popen[bytes]:
        return start(
            name,
            [
                sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / script),
                "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            ],
        )  # fmt: skip

    try:
        api_proc = start(
            "api", [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(api_port)]
        )
        chat = streamlit("chat", "chat.py", chat_port)
        console = streamlit("console", "console.py", console_port)
        wait_until_up(api + "/readyz", api_proc)
        wait_until_up(f"http://127.0.0.1:{chat_port}/_stcore/health", chat)
        wait_until_up(f"http://127.0.0.1:{console_port}/_stcore/health", console)
        yield {
            "api": api,
            "chat": f"http://127.0.0.1:{chat_port}",
            "console": f"http://127.0.0.1:{console_port}",
        }
    finally:
        for proc in procs:
            stop(proc)


@pytest.fixture(scope="module")
def browser(stack: dict[str, str]) -> Iterator[object]:
    """Module-scoped on purpose: Playwright's sync API keeps an event loop running in this thread
    while it is open, and every later asyncio test would fail with "cannot be called from a
    running event loop" if it stayed open for the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    p = context.new_page()
    p.set_default_timeout(60_000)
    yield p
    context.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
