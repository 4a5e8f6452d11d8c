"""The benchmark suite: every row of the Performance table, on the configured database.

Run it as ``make bench`` or ``pathscore bench`` (see docs/benchmarks.md). It lives outside
``tests/`` so pytest never collects it; tests/benchmarks/test_bench_runs.py runs it in its
quick mode to prove it still works.
"""
