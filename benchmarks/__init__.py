"""
Benchmarks of the template: what its session protections cost, measured.

Run ``./scripts/benchmark`` (``--quick`` for a short run); docs/benchmarks.md
explains every figure. driver.py runs inside the baked project's virtualenv;
everything else runs in the template's.
"""
