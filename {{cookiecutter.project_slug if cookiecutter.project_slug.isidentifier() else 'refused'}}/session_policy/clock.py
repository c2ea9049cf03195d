"""The policy's only source of time, so that tests can move it."""

import time


def now():
    """Return the current time in seconds since the epoch."""
    return time.time()
