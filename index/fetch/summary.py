"""What one fetch run did, per run and per source."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SourceResult:
    new: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"new": self.new, "updated": self.updated, "removed": self.removed,
                "unchanged": self.unchanged, "error": self.error}


@dataclass(slots=True)
class FetchSummary:
    sources: list[str]
    seen: int = 0  # distinct article URLs the sources listed
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    per_source: dict[str, SourceResult] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether the index needs an update."""
        return bool(self.new or self.updated or self.removed)

    def skip(self, url: str, reason: str) -> None:
        entry = {"url": url, "reason": reason}
        if entry not in self.skipped[-50:]:  # one link listed by two sources is reported once
            self.skipped.append(entry)

    def to_json(self) -> dict[str, object]:
        return {"sources": self.sources, "seen": self.seen, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "removed": self.removed, "skipped": self.skipped,
                "seconds": round(self.seconds, 3)}
