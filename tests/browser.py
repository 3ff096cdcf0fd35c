"""What the Playwright tests share: how Chromium is started, and the test password."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, expect, sync_playwright

# Debian's Chromium, as root, on a machine with no network but loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery staple"
TIMEOUT_MS = 15_000  # generous: a loaded CI machine starts Chromium and daphne slowly

expect.set_options(timeout=TIMEOUT_MS)


# For voice messages: a microphone that needs no permission prompt and plays a tone, and
# media that play without a click (a test cannot reach the player's own buttons).
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


@contextmanager
def chromium(extra_args: list[str] | None = None) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS + (extra_args or [])
        )
        try:
            yield browser
        finally:
            browser.close()
