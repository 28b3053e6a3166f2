"""Go's time forms where IPFS formats carry them (IPNS validity, Kubo's printed durations).

Facts from Go's ``time`` package: boxo writes and reads an IPNS record's validity with
``RFC3339Nano`` (``2006-01-02T15:04:05.999999999Z07:00``: trailing fraction zeros dropped),
and Kubo prints it so too; a ``time.Duration`` prints with ``Duration.String`` (``1h0m0s``,
``1.5s``, ``300ms``) and parses with ``time.ParseDuration``.

Invariants: times are integers of nanoseconds since the Unix epoch (UTC), so years 0 to 9999
and instants before 1970 need no ``datetime``; ``parse_ipfs_time`` takes what Go's
``time.Parse(RFC3339Nano, ...)`` takes, its fast path and the general parser it falls back to
(four-digit year, a one- or two-digit hour, the other fields two digits and in range, an optional
``.`` or ``,`` and any number of digits of which the first nine count, ``Z`` or ``+hh:mm`` with
hh <= 24 and mm <= 60, as Go's range checks allow; checked against Kubo v0.43.1) and raises
``ValueError`` otherwise.
"""

from __future__ import annotations

import re

NS = 1_000_000_000
_DAY_NS = 86_400 * NS
_IPFS_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:\d{2})\Z",
                        re.ASCII)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_ipfs_time(text: str) -> int:
    """Nanoseconds since the epoch of an RFC 3339 time as boxo reads it (see the module invariants)."""
    match = _IPFS_TIME.match(text)
    if match is None:
        raise ValueError(f'parsing time "{text[:64]}" as RFC 3339 failed')
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not 1 <= month <= 12:
        raise ValueError("month out of range")
    if not 1 <= day <= _month_days(year, month):
        raise ValueError("day out of range")
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("hour, minute or second out of range")
    zone = match.group(8)
    offset = 0
    if zone != "Z":
        zh, zm = int(zone[1:3]), int(zone[4:6])
        if zh > 24 or zm > 60:  # Go's bounds (time.Parse), not the clock's
            raise ValueError("time zone offset out of range")
        offset = (zh * 3600 + zm * 60) * (1 if zone[0] == "+" else -1)
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    fraction = (match.group(7) or "")[:9]
    return seconds * NS + (int(fraction.ljust(9, "0")) if fraction else 0)


def format_rfc3339nano(ns: int) -> str:
    """``ns`` as Go's ``Format(time.RFC3339Nano)`` of a UTC time (fraction zeros dropped)."""
    days, rest = divmod(ns, _DAY_NS)
    year, month, day = _civil_from_days(days)
    seconds, fraction = divmod(rest, NS)
    hour, seconds = divmod(seconds, 3600)
    minute, second = divmod(seconds, 60)
    frac = f"{fraction:09d}".rstrip("0")
    dot = f".{frac}" if frac else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{dot}Z"


def format_unix_time(seconds: int) -> str:
    """Whole ``seconds`` since the Unix epoch as RFC 3339 in UTC (``2026-12-05T00:45:02Z``), for
    messages about expiry times; any integer has its (proleptic Gregorian) date."""
    return format_rfc3339nano(seconds * NS)


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String`` of ``ns`` nanoseconds."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < NS:
        for unit, size in (("ns", 1), ("µs", 1_000), ("ms", 1_000_000)):
            if u < size * 1000:
                return sign + _fraction(u, size) + unit
    text = _fraction(u % (60 * NS), NS) + "s"
    minutes = u // (60 * NS)
    if minutes:
        text = f"{minutes % 60}m" + text
        hours = minutes // 60
        if hours:
            text = f"{hours}h" + text
    return sign + text


def _fraction(value: int, unit: int) -> str:
    """``value / unit`` with the fraction's trailing zeros dropped, as Go prints it."""
    whole, part = divmod(value, unit)
    if not part:
        return str(whole)
    digits = len(str(unit)) - 1
    return f"{whole}." + f"{part:0{digits}d}".rstrip("0")


_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": NS, "m": 60 * NS, "h": 3600 * NS}
_DURATION_PART = re.compile(r"(\d*)(?:\.(\d*))?([^\d.]+)")


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration (``time.ParseDuration``: ``48h``, ``1h30m``, ``1.5s``, ``0``)."""
    body = text[1:] if text[:1] in ("+", "-") else text
    sign = -1 if text.startswith("-") else 1
    if body == "0":
        return 0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    total, pos = 0, 0
    while pos < len(body):
        match = _DURATION_PART.match(body, pos)
        if match is None or not (match.group(1) or match.group(2)) or match.group(3) not in _UNITS:
            raise ValueError(f"invalid duration {text!r} (units: ns, us, ms, s, m, h)")
        unit = _UNITS[match.group(3)]
        whole, frac = match.group(1) or "0", match.group(2) or ""
        total += int(whole) * unit + (int(frac) * unit // 10 ** len(frac) if frac else 0)
        pos = match.end()
    if total >= 1 << 63:
        raise ValueError(f"invalid duration {text!r}: out of range")
    return sign * total
