"""Fixtures of the browser tests: Debian's Chromium, headless, through Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.serve_support import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """`/usr/bin/chromium` (installed by scripts/services.sh); missing fails under CI."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} missing (run scripts/services.sh)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()
