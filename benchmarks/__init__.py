"""
Benchmarks of the template: what its session protections cost, measured.

Run ``./scripts/benchmark`` (``--quick`` for a short run); docs/benchmarks.md
explains every figure. The in-process figures come from the generated
project's own benchmarks/per_request.py, run in the baked project's
virtualenv; this package bakes, serves, loads with wrk and plots.
"""
