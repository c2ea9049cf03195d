"""
Tell each addition's share of a request, inside the generated project's process.

Loaded by driver.py, in the project's virtualenv, for ``--profile``. Separate
processes of the same code differ by more than a small middleware costs, so
the variants of the stack live in one process instead: one WSGI handler per
middleware list, context processors and ATOMIC_REQUESTS switched between
requests, and requests alternating between variants. The share of an
addition is the full stack's median less the median without it.
"""

import gc
import statistics
import time

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.template import engines

# What django-admin startproject's settings list.
STOCK_CONTEXT_PROCESSORS = {
    "django.template.context_processors.debug",
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
}
FULL = "full stack"
EVERYTHING = "without all of the above"


def build_handler(middleware):
    """A WSGI handler over this middleware list; settings read later stay the project's."""
    original = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return WSGIHandler()
    finally:
        settings.MIDDLEWARE = original


class Variant:
    def __init__(self, name, middleware, context_processors, atomic):
        self.name = name
        self.handler = build_handler(middleware)
        self.context_processors = context_processors
        self.atomic = atomic
        self.cpu, self.elapsed = [], []

    def apply(self, engine):
        """Switch the settings read per request to this variant's."""
        connections.settings["default"]["ATOMIC_REQUESTS"] = self.atomic
        if engine.context_processors != self.context_processors:
            engine.context_processors = self.context_processors
            # Django caches the imported processors: import this list instead.
            engine.__dict__.pop("template_context_processors", None)


def variants(stock_middleware):
    middleware = list(settings.MIDDLEWARE)
    engine = engines["django"].engine
    processors = list(engine.context_processors)
    atomic = connections.settings["default"].get("ATOMIC_REQUESTS", False)
    extra_middleware = [name for name in middleware if name not in stock_middleware]
    extra_processors = [name for name in processors if name not in STOCK_CONTEXT_PROCESSORS]
    found = [Variant(FULL, middleware, processors, atomic)]
    for name in extra_middleware:
        found.append(Variant(f"- {name}", [m for m in middleware if m != name], processors, atomic))
    for name in extra_processors:
        found.append(Variant(f"- {name}", middleware, [p for p in processors if p != name], atomic))
    if atomic:
        found.append(Variant("- ATOMIC_REQUESTS", middleware, processors, False))
    stock = [name for name in middleware if name in stock_middleware]
    found.append(Variant(EVERYTHING, stock, [p for p in processors if p in STOCK_CONTEXT_PROCESSORS], False))
    return engine, found


def attribute(client_class, cookies, page, requests, stock_middleware):
    """Return {variant: {cpu, elapsed, cpu_share, elapsed_share}} in µs, for one signed-in browser."""
    engine, found = variants(stock_middleware)
    clients = []
    for variant in found:
        client = client_class(variant.handler)
        # One browser, one session, whichever stack serves it.
        client.cookies = cookies
        clients.append((variant, client))
    original_atomic = connections.settings["default"].get("ATOMIC_REQUESTS", False)
    original_processors = list(engine.context_processors)
    try:
        for number in range(requests + 50):
            # The first 50 warm every variant up; then the order flips each time.
            order = clients if number % 2 == 0 else clients[::-1]
            for variant, client in order:
                variant.apply(engine)
                if number == 50:
                    gc.collect()
                start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
                status, _ = client.request("GET", page)
                cpu, elapsed = time.process_time_ns() - cpu_start, time.perf_counter_ns() - start
                if status != 200:
                    raise RuntimeError(f"{variant.name}: {page} answered {status}")
                if number >= 50:
                    variant.cpu.append(cpu / 1000)
                    variant.elapsed.append(elapsed / 1000)
    finally:
        connections.settings["default"]["ATOMIC_REQUESTS"] = original_atomic
        engine.context_processors = original_processors
        engine.__dict__.pop("template_context_processors", None)
    full = found[0]
    full_cpu, full_elapsed = statistics.median(full.cpu), statistics.median(full.elapsed)
    return {
        variant.name: {
            "cpu": statistics.median(variant.cpu),
            "elapsed": statistics.median(variant.elapsed),
            "cpu_share": full_cpu - statistics.median(variant.cpu),
            "elapsed_share": full_elapsed - statistics.median(variant.elapsed),
        }
        for variant in found
    }
