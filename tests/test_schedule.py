"""Schedules: parsing with file:line errors, catch-up policies, issue numbers, daylight saving."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.errors import InputError, SourceRef
from briefing.load import read_yaml
from briefing.schedule import (Schedule, due_slots, format_duration, issue_number, newest_slot,
                               next_slots, parse_duration, parse_schedule, slot_date)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def weekly(catch_up: str = "latest", max_lateness: timedelta | None = None) -> Schedule:
    return Schedule(cron="0 7 * * 1", timezone="Asia/Shanghai", first_issue=date(2026, 1, 5),
                    publication="weekly", catch_up=catch_up, max_lateness=max_lateness)


def monday(day: int, hour: int = 7, month: int = 1) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def parse(tmp_path: Path, text: str) -> Schedule:
    path = tmp_path / "briefing.yaml"
    path.write_text(text, encoding="utf-8")
    raw = read_yaml(path)
    return parse_schedule(raw["schedule"], ref=raw.ref, default_publication="folder-name")


# ------------------------------------------------------------------ parsing
def test_a_full_schedule_parses(tmp_path):
    schedule = parse(tmp_path, "schedule:\n  cron: '0 7 * * 1'\n  timezone: Asia/Shanghai\n"
                               "  catch_up: all\n  max_lateness: 1d12h\n  first_issue: 2026-01-05\n"
                               "  editions: [public, leadership]\n  publication: weekly-economy\n")
    assert schedule == Schedule(cron="0 7 * * 1", timezone="Asia/Shanghai", first_issue=date(2026, 1, 5),
                                publication="weekly-economy", catch_up="all",
                                max_lateness=timedelta(days=1, hours=12), editions=("public", "leadership"))


def test_publication_defaults_to_the_folder_name(tmp_path):
    schedule = parse(tmp_path, "schedule: {cron: '0 7 * * 1', first_issue: 2026-01-05}\n")
    assert schedule.publication == "folder-name"
    assert schedule.timezone == "UTC" and schedule.catch_up == "latest" and schedule.window is None


@pytest.mark.parametrize("line, message, column_key", [
    ("cron: '0 7 * *'", "is not a cron line", "cron"),
    ("cron: '0 25 * * 1'", "is not a cron line", "cron"),
    ("timezone: Asia/Shangai", "unknown time zone 'Asia/Shangai'", "timezone"),
    ("catch_up: sometimes", "catch_up must be one of latest, all, none", "catch_up"),
    ("max_lateness: two days", "expected a duration", "max_lateness"),
    ("first_issue: next monday", "first_issue must be a date", "first_issue"),
    ("publication: 'weekly economy/1'", "is not a folder name", "publication"),
    ("cadence: weekly", "unknown key 'cadence'", "cadence"),
])
def test_schedule_errors_name_the_line(tmp_path, line, message, column_key):
    defaults = {"cron": "cron: '0 7 * * 1'", "timezone": "timezone: Asia/Shanghai",
                "first_issue": "first_issue: 2026-01-05"}
    defaults[column_key] = line
    text = "title: t\nschedule:\n" + "".join(f"  {v}\n" for v in defaults.values())
    with pytest.raises(InputError) as err:
        parse(tmp_path, text)
    assert message in err.value.message
    expected_line = 3 + list(defaults).index(column_key)
    assert err.value.ref.file.endswith("briefing.yaml") and err.value.ref.line == expected_line


def test_durations():
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("1w 2d 3h 4m") == timedelta(days=9, hours=3, minutes=4)
    for text in ("2d", "1d12h", "1w2d3h4m", "90m"):
        assert format_duration(parse_duration(text)) == ("1h30m" if text == "90m" else text)
    for bad in ("", "2", "2x", "d2", "2d-1h"):
        with pytest.raises(ValueError):
            parse_duration(bad)


# ------------------------------------------------------------------ issue numbers
def test_issue_numbers_count_slots_from_the_first_issue():
    schedule = weekly()
    assert [issue_number(schedule, monday(d)) for d in (5, 12, 19, 26)] == [1, 2, 3, 4]
    assert issue_number(schedule, datetime(2026, 12, 28, 7, tzinfo=SHANGHAI)) == 52
    # the same slot given in another zone is the same issue
    assert issue_number(schedule, datetime(2026, 1, 11, 23, tzinfo=timezone.utc)) == 2
    with pytest.raises(ValueError, match="before the first issue"):
        issue_number(schedule, datetime(2025, 12, 29, 7, tzinfo=SHANGHAI))


def test_next_slots_and_issue_dates():
    schedule = weekly()
    slots = next_slots(schedule, monday(12, 7), 3)          # 07:00 itself is not "next"
    assert slots == [monday(19), monday(26), datetime(2026, 2, 2, 7, tzinfo=SHANGHAI)]
    assert slot_date(schedule, slots[0]) == date(2026, 1, 19)
    # before the first issue, the first slot is issue 1
    assert next_slots(schedule, datetime(2025, 11, 1, tzinfo=SHANGHAI), 1) == [monday(5)]


def test_the_issue_date_is_taken_in_the_schedules_zone():
    schedule = weekly()
    slot = newest_slot(schedule, datetime(2026, 1, 12, 0, 30, tzinfo=timezone.utc))  # 08:30 Monday in Shanghai
    assert slot == monday(12) and slot_date(schedule, slot) == date(2026, 1, 12)
    assert slot.utcoffset() == timedelta(hours=8)


# ------------------------------------------------------------------ catch-up policies
def test_on_time_run_publishes_the_current_slot_under_every_policy():
    for policy in ("latest", "all", "none"):
        assert due_slots(weekly(policy), monday(5), monday(12, 7)) == [monday(12)]


def test_nothing_due_between_slots():
    for policy in ("latest", "all", "none"):
        assert due_slots(weekly(policy), monday(12), datetime(2026, 1, 15, 9, tzinfo=SHANGHAI)) == []


def test_a_missed_week_under_each_policy():
    """The machine was off on Monday the 19th and is back on Tuesday: issue 3 was missed."""
    tuesday = datetime(2026, 1, 20, 9, tzinfo=SHANGHAI)
    assert due_slots(weekly("all"), monday(12), tuesday) == [monday(19)]
    assert due_slots(weekly("latest"), monday(12), tuesday) == [monday(19)]
    assert due_slots(weekly("none"), monday(12), tuesday) == []          # 26 hours late: not on time
    # max lateness cuts off catching up
    assert due_slots(weekly("latest", timedelta(hours=12)), monday(12), tuesday) == []


def test_two_missed_weeks_all_catches_up_each_latest_only_the_newest():
    back_on_time = monday(26, 7)
    assert due_slots(weekly("all"), monday(12), back_on_time) == [monday(19), monday(26)]
    assert due_slots(weekly("latest"), monday(12), back_on_time) == [monday(26)]
    assert due_slots(weekly("none"), monday(12), back_on_time) == [monday(26)]
    later = datetime(2026, 1, 27, 9, tzinfo=SHANGHAI)
    assert due_slots(weekly("all", timedelta(days=2)), monday(12), later) == [monday(26)]
    assert due_slots(weekly("none", timedelta(days=2)), monday(12), later) == [monday(26)]


def test_first_run_starts_at_the_first_issue():
    now = monday(19, 8)
    assert due_slots(weekly("all"), None, now) == [monday(5), monday(12), monday(19)]
    assert due_slots(weekly("latest"), None, now) == [monday(19)]
    assert due_slots(weekly("latest"), None, datetime(2026, 1, 4, tzinfo=SHANGHAI)) == []


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        due_slots(weekly(), None, datetime(2026, 1, 12, 7))


# ------------------------------------------------------------------ daylight saving
def test_a_slot_in_the_spring_forward_gap_runs_once_after_the_jump():
    """New York, Sunday 8 March 2026: 02:00 jumps to 03:00, so 02:30 does not exist that day."""
    schedule = Schedule(cron="30 2 * * *", timezone="America/New_York", first_issue=date(2026, 3, 1),
                        publication="p")
    slots = next_slots(schedule, datetime(2026, 3, 7, tzinfo=NEW_YORK), 3)
    assert [s.astimezone(timezone.utc) for s in slots] == [
        datetime(2026, 3, 7, 7, 30, tzinfo=timezone.utc),     # 02:30 EST
        datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc),      # 03:00 EDT, the end of the jump
        datetime(2026, 3, 9, 6, 30, tzinfo=timezone.utc)]     # 02:30 EDT
    assert [issue_number(schedule, s) for s in slots] == [7, 8, 9]
    before_jump = datetime(2026, 3, 8, 6, 59, tzinfo=timezone.utc)
    after_jump = datetime(2026, 3, 8, 7, 1, tzinfo=timezone.utc)
    last = slots[0]
    assert due_slots(schedule, last, before_jump) == []
    assert due_slots(schedule, last, after_jump) == [slots[1]]



def test_lateness_is_measured_in_real_hours_across_the_change():
    """01:30 EST to 03:20 EDT is 50 minutes, though the clock moved 1 h 50 min."""
    schedule = Schedule(cron="30 1 * * *", timezone="America/New_York", first_issue=date(2026, 3, 1),
                        publication="p", catch_up="none")          # on time: within 1 hour
    slot = datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)
    assert due_slots(schedule, slot - timedelta(days=1), datetime(2026, 3, 8, 3, 20, tzinfo=NEW_YORK)) == [slot]
    assert due_slots(schedule, slot - timedelta(days=1), datetime(2026, 3, 8, 3, 40, tzinfo=NEW_YORK)) == []


def test_the_repeated_autumn_hour_gives_one_slot():
    schedule = Schedule(cron="30 1 * * *", timezone="America/New_York", first_issue=date(2026, 10, 1),
                        publication="p")
    slots = next_slots(schedule, datetime(2026, 10, 31, 12, tzinfo=NEW_YORK), 2)
    assert [s.date() for s in slots] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert slots[0].utcoffset() == timedelta(hours=-4)     # first 01:30, still daylight time
    second_half_hour = datetime(2026, 11, 1, 6, 45, tzinfo=timezone.utc)   # 01:45 EST, the repeat
    assert due_slots(schedule, slots[0], second_half_hour) == []


def test_weekly_slots_keep_local_time_across_the_change_in_berlin():
    schedule = Schedule(cron="0 7 * * 1", timezone="Europe/Berlin", first_issue=date(2026, 3, 16),
                        publication="p")
    slots = next_slots(schedule, datetime(2026, 3, 16, tzinfo=BERLIN), 3)
    assert [(s.day, s.hour) for s in slots] == [(16, 7), (23, 7), (30, 7)]
    assert [s.astimezone(timezone.utc).hour for s in slots] == [6, 6, 5]
    assert [issue_number(schedule, s) for s in slots] == [1, 2, 3]
    assert due_slots(schedule, slots[1], datetime(2026, 3, 30, 5, 0, tzinfo=timezone.utc)) == [slots[2]]
    assert due_slots(schedule, slots[1], datetime(2026, 3, 30, 4, 59, tzinfo=timezone.utc)) == []


def test_schedule_errors_without_a_file_still_have_a_place():
    with pytest.raises(InputError) as err:
        parse_schedule({"cron": "0 7 * * 1"}, ref=SourceRef("content.yaml", 4), default_publication="p")
    assert "first_issue" in err.value.message and str(err.value.ref) == "content.yaml:4"
