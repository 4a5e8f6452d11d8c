"""Print a locust run's final statistics as a Markdown table; exit 1 if any request failed.

Usage: ``python benchmarks/load/summary.py RESULTS.json`` where the file is what locust's
``--json-file RESULTS`` wrote. Percentiles are nearest-rank over locust's response-time buckets
(exact to the millisecond below 100 ms, to two significant figures above), as in locust's own
report; the overall row merges every request type's buckets.
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path


def percentile(buckets: Counter, fraction: float) -> int:
    """The smallest response time that at least ``fraction`` of the requests did not exceed."""
    total = sum(buckets.values())
    rank = max(1, math.ceil(round(total * fraction, 6)))
    seen = 0
    for milliseconds in sorted(buckets):
        seen += buckets[milliseconds]
        if seen >= rank:
            return milliseconds
    return 0


def row(name: str, requests: int, failures: int, buckets: Counter, longest: float) -> str:
    p50, p95, p99 = (percentile(buckets, f) for f in (0.50, 0.95, 0.99))
    return (
        f"| {name} | {requests} | {failures} | {p50} ms | {p95} ms | {p99} ms | {longest:.0f} ms |"
    )


def main(path: str) -> int:
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    print("| request | count | failures | p50 | p95 | p99 | max |")
    print("|---|---|---|---|---|---|---|")
    everything: Counter = Counter()
    requests = failures = 0
    longest = 0.0
    for entry in sorted(entries, key=lambda e: (e["name"], e["method"])):
        buckets = Counter({int(ms): count for ms, count in entry["response_times"].items()})
        print(
            row(
                f"{entry['method']} {entry['name']}",
                entry["num_requests"],
                entry["num_failures"],
                buckets,
                entry["max_response_time"] or 0,
            )
        )
        everything.update(buckets)
        requests += entry["num_requests"]
        failures += entry["num_failures"]
        longest = max(longest, entry["max_response_time"] or 0)
    print(row("**all requests**", requests, failures, everything, longest))
    started = min(entry["start_time"] for entry in entries)
    ended = max(entry["last_request_timestamp"] or started for entry in entries)
    rate = requests / (ended - started) if ended > started else 0.0
    print(
        f"\n{requests} requests in {ended - started:.0f} s, {failures} failures, "
        f"{rate:.1f} requests/s"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
