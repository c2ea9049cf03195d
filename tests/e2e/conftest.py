"""Fixtures the browser tests share."""

import pytest
from playwright.sync_api import sync_playwright


@pytest.fixture(scope="module")
def playwright():
    """Playwright for one test module, driving Debian's Chromium (tests/support/browser.py)."""
    with sync_playwright() as playwright:
        yield playwright
