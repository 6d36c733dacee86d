"""Publication times as ISO 8601 with their offset; the paper's times are Vietnam time (+07:00)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

VIETNAM = timezone(timedelta(hours=7))

# "2025-08-30T08:07:33+0700", "2025-08-30 08:07", "2025-08-30T01:07:33Z", "2025-08-30"
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                  r"\s*(Z|[+-]\d{2}:?\d{2})?)?")
# Display dates are day first: "Thứ Bảy, 30/08/2025 08:07 (GMT+7)", "30/8/2025 - 08:07"
_DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\D{1,4}(\d{1,2})[:h](\d{2}))?")


def _offset(raw: str | None) -> timezone:
    if not raw:
        return VIETNAM
    if raw == "Z":
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_published(raw: str | None) -> str | None:
    """An ISO datetime with offset (naive times taken as Vietnam time), a bare ISO date when
    only the day is known, or None when nothing parses."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        if m := _ISO.search(raw):
            y, mo, d, h, mi, s, tz = m.groups()
            if h is None:
                return datetime(int(y), int(mo), int(d)).date().isoformat()
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=_offset(tz)).isoformat()
        if m := _DAY_FIRST.search(raw):
            d, mo, y, h, mi = m.groups()
            if h is None:
                return datetime(int(y), int(mo), int(d)).date().isoformat()
            return datetime(int(y), int(mo), int(d), int(h), int(mi), tzinfo=VIETNAM).isoformat()
    except ValueError:
        return None
    try:  # RSS pubDate (RFC 822)
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=VIETNAM)).isoformat()


def to_epoch(iso: str | None) -> float | None:
    """Epoch seconds of an ISO date or datetime (a bare date is midnight Vietnam time)."""
    if not iso:
        return None
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=VIETNAM)).timestamp()
