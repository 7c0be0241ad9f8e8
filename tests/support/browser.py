"""Headless Chromium (Debian's, installed by scripts/install-browser.sh) driven by Playwright, for the browser tests.

Playwright's own browser download cannot run here; it drives the system
Chromium instead. Every console error and uncaught page error, from the page
or any of its frames, is collected: a test fails on any.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
"""Without the background-networking flags Chromium keeps trying Google's hosts, which this closed network refuses."""
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
"""Screenshots of the browser tests (ignored by git; CI keeps the folder)."""


@dataclass
class Browser:
    page: Any
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), f"{CHROMIUM} missing: run `bash scripts/install-browser.sh` (Debian's chromium package)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": width, "height": height}).new_page()
            found = Browser(page)
            page.on("console", lambda message: found.errors.append(f"console {message.type}: {message.text} ({message.location})")
                    if message.type == "error" else None)
            page.on("pageerror", lambda error: found.errors.append(f"page error: {error}"))
            yield found
        finally:
            browser.close()
