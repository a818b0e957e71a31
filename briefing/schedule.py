"""When issues are due: a cron line in a time zone, a catch-up policy and stable issue numbers.

    schedule:
      cron: "0 7 * * 1"          # minute hour day month weekday, in `timezone`
      timezone: Asia/Shanghai    # IANA zone; the issue date is the slot's date there
      catch_up: latest           # latest | all | none
      max_lateness: 2d           # a slot later than this is skipped (w, d, h, m)
      first_issue: 2026-01-05    # the date of issue 1 (第1期)
      editions: [public, leadership]
      publication: weekly-economy

A slot is one time the cron line names. Cron lines are read in local wall-clock time and
then placed in the zone, so daylight saving never doubles or drops a slot: a slot in the
spring-forward gap (02:30 on the day clocks jump from 02:00 to 03:00) falls at the end of the
jump (03:00), as cron runs it, and one in the repeated autumn hour is taken once, at its first
occurrence. Times are compared in UTC, never as wall-clock times. Issue N is the N-th slot on or after `first_issue`, so a re-run of a slot always
gets the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from briefing.errors import InputError, SourceRef
from briefing.load import Fields

CATCH_UP = ("latest", "all", "none")
ON_TIME = timedelta(hours=1)        # how late a run may be under catch_up: none, unless max_lateness says
_SCHEDULE_KEYS = {"cron", "timezone", "catch_up", "max_lateness", "first_issue", "editions", "publication"}
_DURATION = re.compile(r"(\d+)\s*(w|d|h|m)")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str
    first_issue: date
    publication: str
    catch_up: str = "latest"
    max_lateness: timedelta | None = None
    editions: tuple[str, ...] = ()      # empty: every edition the content defines
    ref: SourceRef = field(default=SourceRef("<memory>"), compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def window(self) -> timedelta | None:
        """How late a slot may be and still be published; None is no limit."""
        if self.max_lateness is not None:
            return self.max_lateness
        return ON_TIME if self.catch_up == "none" else None


# ------------------------------------------------------------------ parsing
def parse_schedule(raw: Any, *, ref: SourceRef, default_publication: str) -> Schedule:
    """The `schedule:` mapping of a content file, checked."""
    f = Fields(raw, "schedule", _SCHEDULE_KEYS, ref)
    cron = f.str("cron")
    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise InputError(f"schedule: cron {cron!r} is not a cron line", ref=f.key_ref("cron"),
                         hint='five fields: minute hour day-of-month month weekday, e.g. "0 7 * * 1" '
                              "for Mondays at 07:00")
    zone = f.str("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"schedule: unknown time zone {zone!r}", ref=f.key_ref("timezone"),
                         hint="use an IANA name such as Asia/Shanghai or Europe/Berlin") from None
    catch_up = f.str("catch_up", "latest")
    if catch_up not in CATCH_UP:
        raise InputError(f"schedule: catch_up must be one of {', '.join(CATCH_UP)}, found {catch_up!r}",
                         ref=f.key_ref("catch_up"))
    publication = f.str("publication", default_publication)
    if not _SLUG.fullmatch(publication):
        raise InputError(f"schedule: publication {publication!r} is not a folder name",
                         ref=f.key_ref("publication"), hint="use letters, digits, '.', '_' and '-'")
    return Schedule(cron=cron, timezone=zone, first_issue=_first_issue(f), publication=publication,
                    catch_up=catch_up, max_lateness=_lateness(f),
                    editions=tuple(str(e) for e in f.list("editions")), ref=f.ref)


def _first_issue(f: Fields) -> date:
    value = f.data.get("first_issue")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(f.str("first_issue"))
    except ValueError:
        raise InputError(f"schedule: first_issue must be a date (YYYY-MM-DD), found {value!r}",
                         ref=f.key_ref("first_issue")) from None


def _lateness(f: Fields) -> timedelta | None:
    if f.data.get("max_lateness") is None:
        return None
    text = f.str("max_lateness")
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InputError(f"schedule: max_lateness: {exc}", ref=f.key_ref("max_lateness")) from None


def parse_duration(text: str) -> timedelta:
    """'2d', '36h', '1d12h', '90m', '1w' -> timedelta."""
    compact = text.replace(" ", "")
    parts = _DURATION.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"expected a duration such as 2d, 36h or 1d12h, found {text!r}")
    return sum((int(n) * _UNITS[u] for n, u in parts), timedelta())


def format_duration(span: timedelta) -> str:
    """The inverse of parse_duration: timedelta(days=1, hours=12) -> '1d12h'."""
    minutes = int(span.total_seconds() // 60)
    parts = []
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0m"


# ------------------------------------------------------------------ slots
def due_slots(schedule: Schedule, last_published: datetime | None, now: datetime) -> list[datetime]:
    """Slots to publish now, oldest first, after the catch-up policy and max lateness.

    Slots after `last_published` (or from the first issue on) up to `now` are owed. `all`
    publishes each; `latest` and `none` only the newest, and `none` only when on time."""
    now = _utc(now, "now")
    after = _before_first(schedule)
    if last_published is not None:
        after = max(after, _utc(last_published, "last_published"))
    window = schedule.window
    if schedule.catch_up == "all":
        start = after if window is None else max(after, now - window - _MINUTE)
        owed = list(_until(_slots_after(schedule, start), now))
    else:
        newest = newest_slot(schedule, now)
        owed = [newest] if newest is not None and newest > after else []
    return [slot for slot in owed if window is None or now - slot <= window]


def newest_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The last slot at or before `now`, or None before the first issue."""
    now = _utc(now, "now")
    local = now.astimezone(schedule.tz).replace(tzinfo=None, second=0, microsecond=0) + _MINUTE
    it = croniter(schedule.cron, local)
    slot = _place(it.get_prev(datetime), schedule.tz)
    while slot > now:                   # a gap slot placed after the jump
        slot = _place(it.get_prev(datetime), schedule.tz)
    return slot if slot > _before_first(schedule) else None


def next_slots(schedule: Schedule, now: datetime, n: int = 5) -> list[datetime]:
    """The next `n` slots after `now` (none before the first issue)."""
    slots = _slots_after(schedule, max(_utc(now, "now"), _before_first(schedule)))
    return [next(slots) for _ in range(n)]


def issue_number(schedule: Schedule, slot: datetime) -> int:
    """第N期: how many slots there are from the first issue's day up to and including `slot`."""
    slot = _utc(slot, "slot")
    if slot <= _before_first(schedule):
        raise ValueError(f"{slot.isoformat()} is before the first issue ({schedule.first_issue})")
    return sum(1 for _ in _until(_slots_after(schedule, _before_first(schedule)), slot))


def slot_date(schedule: Schedule, slot: datetime) -> date:
    """The issue date of a slot: its date in the schedule's time zone."""
    return slot.astimezone(schedule.tz).date()


def _slots_after(schedule: Schedule, after: datetime) -> Iterator[datetime]:
    """Slots strictly after `after`, in order, each once, as times in the schedule's zone."""
    tz = schedule.tz
    it = croniter(schedule.cron, after.astimezone(tz).replace(tzinfo=None) - _MINUTE)
    last = after
    while True:
        slot = _place(it.get_next(datetime), tz)
        if slot > last:
            last = slot
            yield slot


def _until(slots: Iterator[datetime], end: datetime) -> Iterator[datetime]:
    for slot in slots:
        if slot > end:
            return
        yield slot


def _place(wall: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock minute in a zone, made real: a time in a spring-forward gap does not exist
    and moves to the first minute after the jump; a repeated autumn time is its first occurrence."""
    while True:
        placed = wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc).astimezone(tz)
        if placed.replace(tzinfo=None) == wall:
            return placed
        wall += _MINUTE


def _before_first(schedule: Schedule) -> datetime:
    """The last minute before the first issue's day, in UTC (slots are whole minutes)."""
    start = _place(datetime.combine(schedule.first_issue, time()), schedule.tz)
    return start.astimezone(timezone.utc) - _MINUTE


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone, found {moment.isoformat()}")
    return moment.astimezone(timezone.utc)
