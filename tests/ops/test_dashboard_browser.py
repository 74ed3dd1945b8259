"""The dashboard in a real headless Chromium: it loads, draws its charts once traffic has
flowed, and logs no console error. Skipped where Chromium or playwright is not installed
(``uv run --with playwright pytest tests/ops/test_dashboard_browser.py``)."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.fakes.upstream import FakeUpstream
from tests.ops.helpers import base_env, running

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH")
KEY = "dash-key-123456"


def test_dashboard_renders_charts_after_traffic_without_console_errors(
        upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running(base_env(upstream.url, tmp_path, LYNKR_API_KEY=KEY)) as (url, _app):
        for stream in (False, True, False):
            httpx.post(f"{url}/v1/messages", headers={"x-api-key": KEY}, json={
                "model": "m", "max_tokens": 20, "stream": stream,
                "messages": [{"role": "user", "content": "hello"}]})
        httpx.post(f"{url}/v1/messages", headers={"x-api-key": KEY}, json={"model": "m"})
        problems: list[str] = []
        with sync_api.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{url}/dashboard?key={KEY}")
            assert page.url == f"{url}/dashboard"  # the key left the address bar
            page.wait_for_selector("body[data-rendered='1']", timeout=10_000)
            assert page.get_attribute("body", "data-requests") == "4"
            assert page.locator("#chart-saved path.line").count() == 1
            assert page.locator("#chart-tiers rect.bar").count() >= 1
            assert page.locator("#chart-latency rect.bar").count() == 3
            assert page.locator("#recent tr").count() == 4
            assert "openai:gpt-fake" in page.inner_text("#recent")
            html = page.content()
            browser.close()
        assert problems == []
        assert KEY not in html
