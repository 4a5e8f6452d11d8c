"""A text progress bar for long generation phases.

On a terminal the bar redraws in place (phase, count/total, rate, time left) a few times a
second; otherwise (a log file, CI) it stays quiet and prints one line when each phase ends.
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class Phase:
    """One phase of the work: advance it as rows are made, end it when done."""

    WIDTH = 24
    REDRAW_EVERY = 0.2

    def __init__(self, progress: Progress, label: str, total: int):
        self.progress = progress
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.started = time.monotonic()
        self._drawn = 0.0
        self.seconds = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.progress.live:
            now = time.monotonic()
            if now - self._drawn >= self.REDRAW_EVERY:
                self._drawn = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self.started
        share = min(self.done / self.total, 1.0) if self.total else 1.0
        filled = round(share * self.WIDTH)
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate and self.total else 0.0
        line = (
            f"\r  {self.label:<22} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"{self.done:>11,}/{self.total:,}  {rate:>9,.0f}/s  ETA {_clock(left)}  "
        )
        self.progress.stream.write(line)
        self.progress.stream.flush()

    def end(self) -> None:
        self.seconds = time.monotonic() - self.started
        rate = self.done / self.seconds if self.seconds > 0 else 0.0
        line = f"  {self.label:<22} {self.done:>11,} in {self.seconds:6.1f} s ({rate:,.0f}/s)"
        if self.progress.live:
            self.progress.stream.write("\r" + line + " " * 30 + "\n")
        else:
            self.progress.stream.write(line + "\n")
        self.progress.stream.flush()
        self.progress.phases.append((self.label, self.done, self.seconds))

    def __enter__(self) -> Phase:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.end()
        elif self.progress.live:
            self.progress.stream.write("\n")


class Progress:
    """Where the phases report to. ``stream=None`` makes every phase silent."""

    def __init__(self, stream=sys.stderr, *, live: bool | None = None):
        self.stream = stream
        self.enabled = stream is not None
        is_tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.live = self.enabled and (is_tty if live is None else live)
        self.phases: list[tuple[str, int, float]] = []

    def phase(self, label: str, total: int) -> Phase:
        if not self.enabled:
            return _SilentPhase(self, label, total)
        return Phase(self, label, total)


class _SilentPhase(Phase):
    def advance(self, count: int = 1) -> None:
        self.done += count

    def end(self) -> None:
        self.seconds = time.monotonic() - self.started
        self.progress.phases.append((self.label, self.done, self.seconds))

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.end()
