"""Triggers: invocations run on a schedule (cron) or on events, their receipts appended to the job stream.

Configured in ``config.toml`` (docs/invocations.md, "Triggers")::

    [[ipvm.triggers]]
    name = "nightly"
    cron = "0 3 * * *"                 # minute hour day-of-month month day-of-week (UTC)
    module = "bafk..."                 # a module CID or a task name of a pinned set
    function = "select"
    args = ['{"/": "bafy..."}', '"a/b"']  # DAG-JSON, in order

    [[ipvm.triggers]]
    name = "on-git"
    on = "block-stored"                # or "set-updated"
    codec = "git-raw"                  # block-stored only: which blocks (name or code; default any)
    module = "..."; function = "..."   # the new block comes first: {"ipvm/block": CID}, then args
                                       # (set-updated: the new trust generation number first)

Invariants:
- Cron fields accept ``*``, numbers, ranges ``a-b``, lists ``a,b`` and steps ``*/n``/``a-b/n``;
  a schedule fires at most once per matching minute, never twice for one minute, even when the
  clock steps back (it fires only in a minute after the last one it fired in, unless the clock
  stepped back more than ``CLOCK_RESET_MINUTES``), across a restart and across processes: the
  last minute each trigger name fired in is kept in the home's database (``_claim``), so two
  ``serve`` processes of one home fire a minute once between them. Day of month
  and weekday combine as in POSIX crontab (either, when both are restricted); a schedule that
  can never fire (``0 0 30 2 *``) is refused. Trigger names are unique (each keys its state).
- Events are found by polling (``poll_s``): new blocks in the home's store (from any process)
  after the runner started, and changes of the trust generation; a trigger never sees a block
  stored before it started, and one poll handles at most ``max_events`` blocks. New blocks are
  found by the store's block sequence (``BlockStore.numbered_since``), whose numbers are never
  reused: each block stored after the runner started fires once, whatever was removed
  between two polls (a block removed and stored again is new again). The number up to which
  each trigger name has taken blocks is kept in the home's database (``_claim_blocks``, one
  write transaction), so two ``serve`` processes of one home fire each block once between
  them: whichever polls first. Taken is fired: a process killed between the two loses those
  events (at most once, as cron minutes).
- Blocks IPVM writes itself (invocations, receipts, stream entries) never fire an event
  trigger, so a trigger cannot feed on its own output.
- A trigger's job runs on the home's ``Executor`` like any job (trusted modules only, limits,
  memoized); a failing job is an error receipt in the stream, a host error is logged and skipped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID
from ..errors import AutocodecError, ConfigError, InvalidInput
from ..log import get_logger

_log = get_logger("ipvm")
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
"""Each field's name and range; weekday 7 is Sunday as 0 is (Vixie cron's and cronie's reading: ``5-7``
is Friday to Sunday), folded into 0 by ``Cron.parse``."""
_EVENTS = ("block-stored", "set-updated")
_SCHEMA = ("CREATE TABLE IF NOT EXISTS ipvm_trigger_minutes (name TEXT PRIMARY KEY, minute INTEGER NOT NULL)",)
_BLOCKS_WING = "ipvm-trigger-blocks"  # a wing of its own: older releases, which do not know it, still open the home
_BLOCKS_SCHEMA = ("CREATE TABLE IF NOT EXISTS ipvm_trigger_blocks (name TEXT PRIMARY KEY, seq INTEGER NOT NULL)",)
CLOCK_RESET_MINUTES = 180
"""A clock stepped back by more than this is taken as reset, a new time (Vixie cron draws its line at 3 hours too)."""


@dataclass(frozen=True)
class Cron:
    """A parsed five-field cron schedule (UTC), read as POSIX crontab does: when both the day
    of the month and the weekday are restricted, either one matching is enough. A field that
    starts with ``*`` (``*/2`` too) is not restricted, as Vixie cron and cronie read it."""

    fields: tuple[frozenset[int], ...]
    either_day: bool = False

    @classmethod
    def parse(cls, text: str) -> Cron:
        if not isinstance(text, str):
            raise ConfigError(f"a cron schedule is text of 5 fields, not {type(text).__name__} {str(text)[:40]!r}",
                              hint="write it as cron = \"*/5 * * * *\" (minute hour day month weekday)")
        parts = text.split()
        if len(parts) != 5:
            raise ConfigError(f"cron schedule {text[:60]!r} needs 5 fields (minute hour day month weekday)")
        fields = tuple(_field(part, name, lo, hi) for part, (name, lo, hi) in zip(parts, _FIELDS, strict=True))
        weekdays = fields[4]
        fields = (*fields[:4], (weekdays - {7}) | ({0} if 7 in weekdays else set()))
        cron = cls(fields, either_day=not parts[2].startswith("*") and not parts[4].startswith("*"))
        days, months = fields[2], fields[3]
        if parts[4].startswith("*") and not any(d <= _MONTH_DAYS[m] for m in months for d in days):
            raise ConfigError(f"cron schedule {text[:60]!r} never fires (no month listed has those days)",
                              hint="check the day and month fields")
        return cron

    def matches(self, t: float) -> bool:
        tm = time.gmtime(t)
        minute, hour, day, month, weekday = self.fields
        if tm.tm_min not in minute or tm.tm_hour not in hour or tm.tm_mon not in month:
            return False
        day_ok, weekday_ok = tm.tm_mday in day, (tm.tm_wday + 1) % 7 in weekday
        return (day_ok or weekday_ok) if self.either_day else (day_ok and weekday_ok)


_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def _number(text: str) -> int:
    """A cron number: ASCII digits only (``int`` would also take ``+5``, `` 5`` or ``٣``)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return int(text)


def _field(text: str, name: str, lo: int, hi: int) -> frozenset[int]:
    out: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        try:
            step = _number(step_text) if step_text else 1
            if base == "*":
                start, stop = lo, hi
            elif "-" in base:
                a, b = base.split("-", 1)
                start, stop = _number(a), _number(b)
            else:
                start = stop = _number(base)
                if step_text:
                    stop = hi
        except ValueError:
            raise ConfigError(f"cron {name} field {text[:40]!r} is malformed") from None
        if step < 1 or not lo <= start <= stop <= hi:
            raise ConfigError(f"cron {name} field {text[:40]!r} is out of range {lo}-{hi}")
        out.update(range(start, stop + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Trigger:
    name: str
    module: str
    function: str
    args: tuple[Any, ...] = ()
    cron: Cron | None = None
    on: str | None = None
    codec: int | None = None


def load_triggers(doc: dict[str, Any]) -> list[Trigger]:
    """The triggers of a parsed config.toml (``[[ipvm.triggers]]``); ``ConfigError`` naming the bad key."""
    from ..builtin import decode
    from ..codes import codec_code

    section = doc.get("ipvm", {})
    if not isinstance(section, dict):
        raise ConfigError("ipvm must be a table ([ipvm])", hint="fix the ipvm entry of config.toml")
    items = section.get("triggers", [])
    if not isinstance(items, list):
        raise ConfigError("ipvm.triggers must be an array of tables ([[ipvm.triggers]])")
    out: list[Trigger] = []
    for i, item in enumerate(items):
        where = f"ipvm.triggers[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where} must be a table")
        name = item.get("name", f"trigger-{i}")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.name must be a non-empty string", hint="give each trigger a name")
        if any(t.name == name for t in out):  # a name keys its schedule's state and its stream source
            raise ConfigError(f"{where}.name {name[:60]!r} is used by another trigger", hint="give each trigger its own name")
        for key in ("module", "function"):
            if not isinstance(item.get(key), str):
                raise ConfigError(f"{where}.{key} must be a string")
        if ("cron" in item) == ("on" in item):
            raise ConfigError(f"{where} needs exactly one of cron = '...' or on = 'block-stored|set-updated'")
        if "on" in item and item["on"] not in _EVENTS:
            raise ConfigError(f"{where}.on must be one of {', '.join(_EVENTS)}")
        args_text = item.get("args", [])
        if not isinstance(args_text, list) or not all(isinstance(a, str) for a in args_text):
            raise ConfigError(f"{where}.args must be a list of DAG-JSON strings")
        try:
            args = tuple(decode(a.encode(), "dag-json") for a in args_text)
        except AutocodecError as exc:
            raise ConfigError(f"{where}.args: {exc.message}") from None
        codec = item.get("codec")
        try:
            code = None if codec is None else codec_code(codec)
        except AutocodecError as exc:
            raise ConfigError(f"{where}.codec: {exc.message}") from None
        out.append(Trigger(name, item["module"], item["function"], args,
                           cron=Cron.parse(item["cron"]) if "cron" in item else None,
                           on=item.get("on"), codec=code))
    return out


@dataclass
class TriggerRunner:
    """Runs ``triggers`` on ``executor`` in a background thread, appending receipts to ``stream``."""

    executor: Any
    stream: Any
    triggers: list[Trigger]
    poll_s: float = 1.0
    max_events: int = 256
    clock: Callable[[], float] = time.time
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _last_minute: dict[str, int] = field(default_factory=dict)
    _block_mark: int = 0
    _generation: int = 0
    _schema_ready: bool = False
    _blocks_ready: bool = False

    def __post_init__(self) -> None:
        """``poll_s`` in (0, 60] (a cron minute is never skipped; 0, negative or NaN would spin,
        a huge wait overflows the thread's timer) and ``max_events`` a whole number >= 1."""
        poll = self.poll_s
        if isinstance(poll, bool) or not isinstance(poll, (int, float)) or not 0 < poll <= 60:
            raise InvalidInput(f"TriggerRunner's poll_s is seconds in (0, 60], not {poll!r}"[:200],
                               hint="poll at least once a minute, or cron schedules miss their minutes")
        if isinstance(self.max_events, bool) or not isinstance(self.max_events, int) or self.max_events < 1:
            raise InvalidInput(f"TriggerRunner's max_events is a whole number >= 1, not {self.max_events!r}"[:200])

    def start(self) -> TriggerRunner:
        if not self.triggers or self._thread is not None:
            return self
        if any(t.on == "block-stored" for t in self.triggers):
            self._block_mark = self.executor.runtime.store.last_insert_mark()
        self._generation = self.executor.runtime.generation().number
        self._thread = threading.Thread(target=self._loop, name="autocodec-triggers", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        store = self.executor.runtime.store
        while not self._stop.wait(self.poll_s):
            if store.closed:  # the runtime closed under a runner nobody stopped: nothing can fire now
                _log.info("triggers.stopped", reason="the runtime's store is closed")
                return
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - a trigger loop survives anything, logs it
                if store.closed:
                    continue  # closed during the tick: said once, above
                _log.error("triggers.tick_failed", error=type(exc).__name__, detail=str(exc)[:300])

    def tick(self) -> int:
        """One round: due cron schedules, then events; how many jobs ran."""
        ran = 0
        now = self.clock()
        minute = int(now // 60)
        for trig in self.triggers:
            if trig.cron is not None and self._due(trig.name, minute) and trig.cron.matches(now):
                self._last_minute[trig.name] = minute
                if self._claim(trig.name, minute):
                    ran += self._fire(trig, (), f"cron:{trig.name}")
        event_triggers = [t for t in self.triggers if t.on == "block-stored"]
        if event_triggers:
            store = self.executor.runtime.store
            for cid, takers in self._claim_blocks([t.name for t in event_triggers]):
                if _is_ipvm_document(store, cid):
                    continue  # the executor's own invocations, receipts and stream entries: no feedback loop
                for trig in event_triggers:
                    if trig.name in takers and (trig.codec is None or trig.codec == cid.codec):
                        ran += self._fire(trig, ({"ipvm/block": cid},), f"event:{trig.name}")
        generation = self.executor.runtime.generation().number
        if generation != self._generation:
            self._generation = generation
            for trig in self.triggers:
                if trig.on == "set-updated":
                    ran += self._fire(trig, (generation,), f"event:{trig.name}")
        return ran

    def _due(self, name: str, minute: int) -> bool:
        """Whether ``name`` may fire in ``minute``: only after the last minute it fired in, so a
        clock stepped back (an NTP correction) does not fire a minute again; a step back of more
        than ``CLOCK_RESET_MINUTES`` is taken as the clock having been reset, and fires anew."""
        last = self._last_minute.get(name)
        return last is None or _due_after(last, minute)

    def _claim(self, name: str, minute: int) -> bool:
        """Record in the home's database that ``name`` fires in ``minute``; False when it may not
        (``_due`` read from the minute recorded there): another process of this home (a second
        ``serve``) or this runner before a restart already fired it. One write transaction, so of
        two processes claiming one minute exactly one wins."""
        store = self.executor.runtime.store
        if not self._schema_ready:
            store.ensure_schema("ipvm-triggers", 1, _SCHEMA)
            self._schema_ready = True
        with store.transaction() as conn:
            row = conn.execute("SELECT minute FROM ipvm_trigger_minutes WHERE name = ?", (name,)).fetchone()
            if row is not None and not _due_after(int(row[0]), minute):
                return False
            conn.execute("INSERT OR REPLACE INTO ipvm_trigger_minutes (name, minute) VALUES (?, ?)", (name, minute))
        return True

    def _claim_blocks(self, names: list[str]) -> list[tuple[CID, frozenset[str]]]:
        """The blocks stored since this runner's mark that no process of this home has taken
        yet for the trigger names ``names``, oldest first (at most ``max_events``), each with the
        names it was taken for; the home's database records them taken in the same write
        transaction. A poll that finds no block past the runner's mark takes no write lock."""
        store = self.executor.runtime.store
        if store.last_insert_mark() <= self._block_mark:
            return []
        if not self._blocks_ready:
            store.ensure_schema(_BLOCKS_WING, 1, _BLOCKS_SCHEMA)
            self._blocks_ready = True
        with store.transaction() as conn:
            newest = store.last_insert_mark()
            taken = dict(conn.execute(
                f"SELECT name, seq FROM ipvm_trigger_blocks WHERE name IN ({', '.join('?' * len(names))})", names))
            # a number past the newest block is not this sequence's (a home restored from an older copy)
            floors = {name: max(self._block_mark, 0 if taken.get(name, 0) > newest else taken.get(name, 0))
                      for name in names}
            mark, numbered = store.numbered_since(min(floors.values()), self.max_events)
            conn.executemany("INSERT OR REPLACE INTO ipvm_trigger_blocks (name, seq) VALUES (?, ?)",
                             [(name, mark) for name in names if mark > floors[name]])
        self._block_mark = max(self._block_mark, mark)
        return [(cid, frozenset(name for name in names if seq > floors[name])) for seq, cid in numbered]

    def _fire(self, trig: Trigger, extra: tuple[Any, ...], source: str) -> int:
        from ._invocation import Invocation
        from ._modules import resolve_module

        try:
            limits = self.executor.limits
            task = Invocation(resolve_module(self.executor.runtime, trig.module), trig.function,
                              [*extra, *trig.args], fuel=limits.fuel, memory=limits.memory_bytes)
            outcome = self.executor.run(task)
        except AutocodecError as exc:
            _log.warning("triggers.job_refused", trigger=trig.name, error=type(exc).__name__, detail=exc.message)
            return 0
        self.stream.append(outcome.receipt_cid, outcome.invocation, source=source)
        return 1


def _due_after(last: int, minute: int) -> bool:
    """Whether a schedule that last fired in ``last`` may fire in ``minute`` (``_due``)."""
    return minute > last or minute < last - CLOCK_RESET_MINUTES


def _is_ipvm_document(store: Any, cid: CID) -> bool:
    """True for the blocks IPVM itself writes (invocations, receipts, stream entries)."""
    from ..builtin import decode
    from ._receipt import TAG as RECEIPT_TAG
    from ._stream import TAG as STREAM_TAG

    if cid.codec != 0x71:
        return False
    try:
        value = decode(store.get(cid), "dag-cbor")
    except AutocodecError:
        return False
    if not isinstance(value, dict):
        return False
    keys = set(value)
    return keys in ({"rsc", "op", "input", "meta", "nnc"}, {"rsc", "op", "input", "meta", "nnc", "iss"},
                    {RECEIPT_TAG, "sig"}, {STREAM_TAG})

