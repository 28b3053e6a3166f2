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

from collections.abc import Callable

NS = 1_000_000_000
_DAY_NS = 86_400 * NS


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


_LAYOUT = "2006-01-02T15:04:05.999999999Z07:00"  # time.RFC3339Nano


def go_time_quote(value: bytes) -> str:
    r"""Go's ``time`` package ``quote`` (its errors' quoting): double quotes; ``"`` and ``\``
    escaped; each byte of a control character, a non-ASCII character or a byte that is not
    UTF-8 written ``\xNN``."""
    out, i = ['"'], 0
    while i < len(value):
        width = next((n for n in (1, 2, 3, 4) if _one_rune(value[i:i + n])), 0)
        c = value[i] if width == 1 else 0x80
        if width != 1 or c < 0x20:  # (DEL, 0x7f, is written as it is, as Go writes it)
            width = width or 1  # a byte that starts no rune: Go's RuneError of width 1
            out.extend(f"\\x{b:02x}" for b in value[i:i + width])
        else:
            out.append(("\\" if c in b'"\\' else "") + chr(c))
        i += width
    return "".join(out) + '"'


def _one_rune(piece: bytes) -> bool:
    try:
        return len(piece.decode("utf-8")) == 1
    except UnicodeDecodeError:
        return False


def _digits(value: bytes, fixed: bool) -> tuple[int, bytes] | None:
    """Go's ``getnum``: one or two leading digits (two when ``fixed``), and the rest."""
    if not value[:1].isdigit():
        return None
    if not value[1:2].isdigit():
        return None if fixed else (value[0] - 48, value[1:])
    return int(value[:2]), value[2:]


def parse_ipfs_time(text: str | bytes) -> int:
    """Nanoseconds since the epoch of a time as boxo reads an IPNS validity (Go's
    ``time.Parse(time.RFC3339Nano, ...)``, see the module invariants); else ``ValueError`` in Go's
    words (``parsing time "V" as "LAYOUT": cannot parse "REST" as "ELEM"``, ``...: month out of
    range``, ``...: extra text: "REST"``), the steps of Go's general parser for this layout in
    its order."""
    whole = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)

    def cannot(rest: bytes, element: str) -> ValueError:
        return ValueError(f'parsing time {go_time_quote(whole)} as "{_LAYOUT}": cannot parse '
                          f'{go_time_quote(rest)} as "{element}"')

    def out_of_range(what: str) -> ValueError:
        return ValueError(f"parsing time {go_time_quote(whole)}: {what} out of range")

    def literal(rest: bytes, char: bytes) -> bytes:
        if rest[:1] != char:
            raise cannot(rest, char.decode())
        return rest[1:]

    if len(whole) < 4 or not whole[:4].isdigit():
        raise cannot(whole, "2006")
    def number(rest: bytes, element: str, fixed: bool, in_range: Callable[[int], bool], what: str) -> tuple[int, bytes]:
        got = _digits(rest, fixed)
        if got is None:
            raise cannot(rest, element)
        if not in_range(got[0]):
            raise out_of_range(what)
        return got

    year = int(whole[:4])
    month, rest = number(literal(whole[4:], b"-"), "01", True, lambda value: 1 <= value <= 12, "month")
    day, rest = number(literal(rest, b"-"), "02", True, lambda value: True, "day")  # checked at the end
    hour, rest = number(literal(rest, b"T"), "15", False, lambda value: value < 24, "hour")
    minute, rest = number(literal(rest, b":"), "04", True, lambda value: value < 60, "minute")
    second, rest = number(literal(rest, b":"), "05", True, lambda value: value < 60, "second")
    nanos = 0
    if len(rest) >= 2 and rest[:1] in (b".", b",") and rest[1:2].isdigit():
        end = 1
        while rest[end:end + 1].isdigit():
            end += 1
        nanos = int(rest[1:min(end, 10)].ljust(9, b"0"))
        rest = rest[end:]
    offset = 0
    if rest[:1] == b"Z":
        rest = rest[1:]
    else:
        if len(rest) < 6 or rest[3:4] != b":":
            raise cannot(rest, "Z07:00")
        zone_hour, zone_minute = _digits(rest[1:3], True), _digits(rest[4:6], True)
        if zone_hour is not None and zone_hour[0] > 24:
            if zone_minute is not None and zone_minute[0] > 60:
                raise out_of_range("time zone offset minute")
            raise out_of_range("time zone offset hour")
        if zone_hour is not None and zone_minute is not None and zone_minute[0] > 60:
            raise out_of_range("time zone offset minute")
        if zone_hour is None or zone_minute is None or rest[:1] not in (b"+", b"-"):
            raise cannot(rest, "Z07:00")
        offset = (zone_hour[0] * 3600 + zone_minute[0] * 60) * (1 if rest[:1] == b"+" else -1)
        rest = rest[6:]
    if rest:
        raise ValueError(f"parsing time {go_time_quote(whole)}: extra text: {go_time_quote(rest)}")
    if not 1 <= day <= _month_days(year, month):
        raise ValueError(f"parsing time {go_time_quote(whole)}: day out of range")
    seconds = _days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    return seconds * NS + nanos


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


def parse_duration(text: str) -> int:
    """Nanoseconds of a Go duration (``time.ParseDuration``: ``48h``, ``1h30m``, ``1.5s``, ``0``,
    ``-1.5h``); ``ValueError`` with Go's words otherwise (``time: missing unit in duration "5"``,
    ``time: unknown unit "x" in duration "5x"``, ``time: invalid duration "x"``, the text quoted
    as Go's ``time`` package quotes it). Go's steps: a sign, then parts of digits with an optional
    fraction (a part needs a digit on one side of the dot) and a unit; the fraction's digits past
    uint64 are read and dropped, a fraction is added as Go's float64 sum; parts add up as Go's
    uint64 does, wrapping at 2^64; past 2^63 - 1 nanoseconds (2^63 for a negative one) is invalid."""
    invalid = ValueError(f"time: invalid duration {_time_quote(text)}")
    rest, negative = text, text[:1] == "-"
    if rest[:1] in ("+", "-"):
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise invalid
    total = 0
    while rest:
        if not (rest[0] == "." or "0" <= rest[0] <= "9"):
            raise invalid
        digits = _leading_digits(rest)
        whole, rest = digits, rest[len(digits):]
        if whole and int(whole) > 1 << 63:
            raise invalid
        value, fraction, scale = int(whole or "0"), 0, 1.0
        fraction_digits = ""
        if rest[:1] == ".":
            fraction_digits = _leading_digits(rest[1:])
            rest = rest[1 + len(fraction_digits):]
            fraction, scale = _leading_fraction(fraction_digits)
        if not whole and not fraction_digits:
            raise invalid
        unit_text = rest[:next((i for i, ch in enumerate(rest) if ch == "." or "0" <= ch <= "9"), len(rest))]
        if not unit_text:
            raise ValueError(f"time: missing unit in duration {_time_quote(text)}")
        rest = rest[len(unit_text):]
        unit = _UNITS.get(unit_text)
        if unit is None:
            raise ValueError(f"time: unknown unit {_time_quote(unit_text)} in duration {_time_quote(text)}")
        if value > (1 << 63) // unit:
            raise invalid
        value *= unit
        if fraction:
            value += int(float(fraction) * (float(unit) / scale))
            if value > 1 << 63:
                raise invalid
        total = (total + value) & ((1 << 64) - 1)  # Go's uint64 sum wraps: 2^63 + 2^63 parts are 0
        if total > 1 << 63:
            raise invalid
    if negative:
        return -total
    if total > (1 << 63) - 1:
        raise invalid
    return total


def _leading_digits(text: str) -> str:
    """The ASCII digits ``text`` starts with."""
    end = 0
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return text[:end]


def _leading_fraction(digits: str) -> tuple[int, float]:
    """Go's ``leadingFraction``: the digits as an integer until one more would pass 2^63, and
    the power of ten they were scaled by (the rest read, not counted)."""
    value, scale = 0, 1.0
    for ch in digits:
        if value > ((1 << 63) - 1) // 10:
            break
        bigger = value * 10 + ord(ch) - 48
        if bigger > 1 << 63:
            break
        value, scale = bigger, scale * 10
    return value, scale


def _time_quote(text: str) -> str:
    """Go's ``time`` package ``quote``: in double quotes, ``"`` and ``\\`` escaped, each byte of a
    character outside printable ASCII (a control character, any non-ASCII one, a byte that is
    no UTF-8, kept as a surrogate escape) written ``\\xhh``."""
    out = ['"']
    for ch in text:
        if " " <= ch < "\x80":
            out.append("\\" + ch if ch in '"\\' else ch)
        else:
            out.extend(f"\\x{byte:02x}" for byte in ch.encode("utf-8", "surrogateescape"))
    out.append('"')
    return "".join(out)
