"""What every benchmark row shares: timing, percentiles, the people it acts as, results.

A row is one line of the Performance table: a target and what was measured against it.
Times are wall-clock (``time.perf_counter``) of warm runs; p95 is nearest-rank, so with
twenty runs it is the 19th sorted time.
"""

from __future__ import annotations

import math
import resource
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB since it started its program.

    ``VmHWM`` from ``/proc/self/status``, not ``ru_maxrss``: Linux carries ``ru_maxrss``
    over an exec, so a child started from a large parent (the suite, with DuckDB's rows
    loaded) would report the parent's size instead of its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Timing:
    """Repeated measurements of one operation, in milliseconds."""

    samples: list[float]

    @property
    def p50(self) -> float:
        return percentile(self.samples, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95)

    def as_dict(self) -> dict:
        return {"runs": len(self.samples), "p50_ms": self.p50, "p95_ms": self.p95}


def timed(operation: Callable[[], object], runs: int, warmup: int = 1) -> Timing:
    """Run ``operation`` ``warmup`` times untimed, then ``runs`` times timed."""
    for _ in range(warmup):
        operation()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples)


@dataclass
class Row:
    """One line of the results table."""

    key: str
    what: str
    target: str
    #: The number compared with the target (ms, s, MB, KB or a ratio), None if not measured.
    value: float | None
    unit: str
    #: True/False against the target; None when the row has no pass mark or was not measured.
    passed: bool | None
    #: p50/p95, counts and anything else worth keeping.
    details: dict = field(default_factory=dict)
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def not_measured(key: str, what: str, target: str, unit: str, why: str) -> Row:
    return Row(key=key, what=what, target=target, value=None, unit=unit, passed=None, note=why)


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None or math.isnan(value) else value <= limit


def at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None or math.isnan(value) else value >= limit


@dataclass
class Options:
    """How much to measure: ``quick`` proves every row runs (CI), the default measures."""

    quick: bool = False
    #: Timed runs of in-process operations (dashboard, aggregates, live score).
    runs: int = 20
    #: Timed runs of slow operations (quarter close, report export, follow-up export).
    slow_runs: int = 3
    #: Seconds each API load level lasts (after a warm-up of a tenth of it).
    api_seconds: float = 20.0
    #: Rows of the follow-up export and the import.
    export_rows: int = 100_000
    import_rows: int = 50_000
    only: tuple[str, ...] = ()

    @classmethod
    def for_mode(cls, quick: bool, only: tuple[str, ...] = ()) -> Options:
        if quick:
            return cls(
                quick=True,
                runs=3,
                slow_runs=1,
                api_seconds=2.0,
                export_rows=2_000,
                import_rows=500,
                only=only,
            )
        return cls(only=only)
