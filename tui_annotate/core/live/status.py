"""The follower's running totals, and the one line of status they make."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui_annotate.render import plural


@dataclass
class LiveStatus:
    """Totals since the follower started, for the one-line status."""

    started: float
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    routed: int = 0
    files: int = 0
    behind_bytes: int = 0
    lag_seconds: float = 0.0
    waiting_for: str = ""
    #: Database errors survived (each poll's write is retried by the next), and the last.
    store_errors: int = 0
    store_error: str = ""
    recent: list[tuple[float, int]] = field(default_factory=list)

    def rate(self, at: float) -> float:
        """Items per second over the last ten seconds."""
        window = [(t, n) for t, n in self.recent if at - t <= 10.0]
        self.recent = window
        if not window:
            return 0.0
        span = max(1.0, at - min(t for t, _ in window))
        return sum(n for _, n in window) / span

    def line(self, at: float) -> str:
        waiting = f" · waiting for the import by {self.waiting_for}" if self.waiting_for else ""
        if self.store_error:
            waiting += f" · database error ({self.store_errors:,} so far): {self.store_error}"
        elif self.store_errors:  # survived, but not forgotten: the total stays in view
            waiting += f" · {plural(self.store_errors, 'database error')} survived"
        return (
            f"live: {self.imported:,} imported ({self.rate(at):.1f}/s) · "
            f"{self.duplicates:,} duplicates · {self.quarantined:,} quarantined · "
            f"{self.routed:,} sampled for people · {plural(self.files, 'file')} · "
            f"lag {self.lag_seconds:.1f} s ({self.behind_bytes:,} bytes){waiting}"
        )
