"""Name a device from its User-Agent, well enough for a person to recognise it."""

import re

BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
]
SYSTEMS = [
    ("Android", re.compile(r"Android")),
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Mac OS X|Macintosh")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]


def first_match(candidates, user_agent):
    return next((name for name, pattern in candidates if pattern.search(user_agent)), None)


def describe_device(user_agent):
    """Return e.g. "Firefox on Linux", or "Unknown device"."""
    browser = first_match(BROWSERS, user_agent)
    system = first_match(SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"
