"""Scheduled runs with an injected clock and fake builds: publication, catch-up, idempotent
re-runs, failures that keep the last good issue, the lock, and the week's data."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.cli import main
from briefing.data import Table
from briefing.errors import DataError, InputError, PublishError
from briefing.period import latest_row, select_period
from briefing.publish import RUN_LOG, run_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTENT = """\
title: 测试周报
publication: 测试周报
pages:
  - layout: broadsheet
    regions:
      main:
        - section: {heading: 一, body: 正文, tags: [key]}
editions:
  public: {description: 全文}
  gray: {extends: public, colour: grayscale, profile: office}
schedule:
  cron: "0 7 * * 1"
  timezone: Asia/Shanghai
  catch_up: CATCH_UP
  first_issue: 2026-01-05
  publication: weekly-test
"""


def at(day: int, hour: int = 7, minute: int = 5) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=SHANGHAI)


class FakeBuild:
    """Writes a small file that depends only on the request, and remembers the requests."""

    def __init__(self, fail_edition: str | None = None):
        self.requests: list = []
        self.fail_edition = fail_edition

    def __call__(self, request):
        self.requests.append(request)
        if request.edition == self.fail_edition:
            raise InputError("chart data file 'missing.csv' not found")
        request.output.write_bytes(
            f"%PDF-fake {request.edition} {request.as_of} {request.issue_label} {request.profile}".encode())


@pytest.fixture
def content(tmp_path) -> Path:
    return write_content(tmp_path / "weekly", "latest")


def write_content(folder: Path, catch_up: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "briefing.yaml").write_text(CONTENT.replace("CATCH_UP", catch_up), encoding="utf-8")
    return folder


def tree(folder: Path) -> dict[str, str]:
    """Every file below a folder with its SHA-256."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


# ------------------------------------------------------------------ publishing
def test_an_on_time_run_publishes_every_edition_atomically(content, tmp_path):
    out = tmp_path / "output"
    fake = FakeBuild()
    report = run_due(content, now=at(12), output_root=out, build_fn=fake)

    issue = out / "weekly-test" / "2026" / "002_2026-01-12"
    assert [(i.number, i.path, i.status) for i in report.issues] == [(2, issue, "published")]
    assert sorted(p.name for p in issue.iterdir()) == ["gray.pdf", "manifest.json", "public.pdf", RUN_LOG]
    assert [(r.edition, r.as_of, r.issue_label, r.profile) for r in fake.requests] == [
        ("public", date(2026, 1, 12), "第2期", None), ("gray", date(2026, 1, 12), "第2期", "office")]
    assert not any((out / ".staging").iterdir())
    state = json.loads((out / "weekly-test" / "state.json").read_text())
    assert state == {"last_published": "2026-01-12T07:00:00+08:00", "issue": 2, "path": "2026/002_2026-01-12"}
    assert (out / "weekly-test" / "latest").resolve() == issue.resolve()
    assert "published 第2期 (2026-01-12T07:00:00+08:00)" in report.format_text()
    assert "next slot: 2026-01-19T07:00:00+08:00" in report.format_text()


def test_the_manifest_pins_inputs_and_holds_no_clock_time(content, tmp_path):
    out = tmp_path / "output"
    run_due(content, now=at(12), output_root=out, build_fn=FakeBuild())
    issue = out / "weekly-test" / "2026" / "002_2026-01-12"
    manifest = json.loads((issue / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["issue"] == 2 and manifest["issue_label"] == "第2期" and manifest["date"] == "2026-01-12"
    assert manifest["slot"] == "2026-01-12T07:00:00+08:00" and manifest["timezone"] == "Asia/Shanghai"
    content_hash = hashlib.sha256((content / "briefing.yaml").read_bytes()).hexdigest()
    assert manifest["inputs"]["briefing.yaml"] == content_hash
    assert any(name.endswith("layouts/broadsheet.yaml") for name in manifest["inputs"])
    assert manifest["files"]["gray.pdf"] == hashlib.sha256((issue / "gray.pdf").read_bytes()).hexdigest()
    assert "NotoSerifSC-Regular.ttf" in manifest["fonts"] and len(manifest["fonts"]["NotoSerifSC-Regular.ttf"]) == 64
    assert set(manifest["versions"]) == {"briefing", "python", "reportlab", "matplotlib"}
    assert manifest["editions"]["gray"]["extends"] == ["public"]
    assert manifest["editions"]["gray"]["colour"] == "grayscale"
    log = json.loads((issue / RUN_LOG).read_text())
    assert log["now"] == at(12).isoformat() and [b["edition"] for b in log["builds"]] == ["public", "gray"]


def test_a_rerun_gives_the_same_issue_number_and_identical_bytes(content, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    run_due(content, now=at(12), output_root=first, build_fn=FakeBuild())
    run_due(content, now=at(12, 9), output_root=second, build_fn=FakeBuild())
    published = {k: v for k, v in tree(first / "weekly-test").items() if not k.endswith(RUN_LOG)}
    assert published == {k: v for k, v in tree(second / "weekly-test").items() if not k.endswith(RUN_LOG)}

    # the same output root: nothing is due any more, and nothing is touched
    before = tree(first)
    assert run_due(content, now=at(12, 9), output_root=first, build_fn=FakeBuild()).issues == []
    assert tree(first) == before

    # with the state lost, the slot is rebuilt, found identical, and left alone
    (first / "weekly-test" / "state.json").unlink()
    report = run_due(content, now=at(12, 9), output_root=first, build_fn=FakeBuild())
    assert [(i.number, i.status) for i in report.issues] == [(2, "unchanged")]
    assert tree(first) == before


def test_a_published_issue_is_never_overwritten_with_other_content(content, tmp_path):
    out = tmp_path / "output"
    run_due(content, now=at(12), output_root=out, build_fn=FakeBuild())
    (out / "weekly-test" / "state.json").unlink()
    before = tree(out)
    with pytest.raises(PublishError, match="already published with other content"):
        run_due(content, now=at(12), output_root=out,
                build_fn=lambda r: r.output.write_bytes(b"%PDF-fake corrected data"))
    assert tree(out) == before


def test_a_layout_no_edition_uses_is_not_an_input_of_the_issue(content, tmp_path):
    """Adding or editing a layout the issue does not use leaves a published issue unchanged."""
    out = tmp_path / "output"
    run_due(content, now=at(12), output_root=out, build_fn=FakeBuild())
    manifest = json.loads((out / "weekly-test" / "2026" / "002_2026-01-12" / "manifest.json").read_text())
    assert not [name for name in manifest["inputs"] if name.endswith("layouts/tabloid.yaml")]
    (content / "layouts").mkdir()
    (content / "layouts" / "poster.yaml").write_text("name: poster\nstyles: {body: {size: 12pt}}\n",
                                                      encoding="utf-8")
    (out / "weekly-test" / "state.json").unlink()
    report = run_due(content, now=at(12, 9), output_root=out, build_fn=FakeBuild())
    assert [(i.number, i.status) for i in report.issues] == [(2, "unchanged")]


def test_a_state_file_without_a_utc_offset_is_damaged(content, tmp_path):
    out = tmp_path / "output"
    run_due(content, now=at(12), output_root=out, build_fn=FakeBuild())
    (out / "weekly-test" / "state.json").write_text('{"last_published": "2026-01-12T07:00:00"}')
    with pytest.raises(PublishError, match="state.json is damaged .*no UTC offset"):
        run_due(content, now=at(19), output_root=out, build_fn=FakeBuild())


@pytest.mark.parametrize("catch_up, now, issues", [
    ("all", at(26, 7, 30), [3, 4]),                  # 19 Jan was missed: publish it, then 26 Jan
    ("latest", at(26, 7, 30), [4]),                  # only the newest
    ("none", at(26, 7, 30), [4]),                    # 26 Jan is on time
    ("none", at(27, 9, 0), []),                      # a day late: not caught up
    ("latest", at(27, 9, 0), [4]),
])
def test_a_missed_week_under_each_catch_up_policy(tmp_path, catch_up, now, issues):
    content = write_content(tmp_path / "weekly", catch_up)
    out = tmp_path / "output"
    for monday in (5, 12):
        run_due(content, now=at(monday), output_root=out, build_fn=FakeBuild())
    report = run_due(content, now=now, output_root=out, build_fn=FakeBuild())
    assert [i.number for i in report.issues] == issues
    folders = sorted(p.name for p in (out / "weekly-test" / "2026").iterdir())
    assert folders == [f"{n:03d}_2026-01-{5 + 7 * (n - 1):02d}" for n in (1, 2, *issues)]


def test_a_failing_build_leaves_the_previous_issue_untouched(content, tmp_path):
    out = tmp_path / "output"
    run_due(content, now=at(12), output_root=out, build_fn=FakeBuild())
    before = tree(out)
    hook_log = tmp_path / "hook.txt"
    hook = f'printf "%s|%s|%s" "$BRIEFING_SLOT" "$BRIEFING_ISSUE" "$BRIEFING_ERROR" > {hook_log}'

    with pytest.raises(PublishError) as err:
        run_due(content, now=at(19), output_root=out, build_fn=FakeBuild(fail_edition="gray"), failure_hook=hook)
    assert "weekly-test 第3期 (2026-01-19T07:00:00+08:00)" in err.value.message
    assert "missing.csv" in err.value.message
    assert err.value.exit_code == 6
    assert tree(out) == before                                    # no 003, no staging, same state
    assert (out / "weekly-test" / "latest").resolve().name == "002_2026-01-12"
    slot, issue, error = hook_log.read_text().split("|", 2)
    assert (slot, issue) == ("2026-01-19T07:00:00+08:00", "3") and "missing.csv" in error

    # the next run retries the slot and publishes it
    report = run_due(content, now=at(19, 8), output_root=out, build_fn=FakeBuild())
    assert [i.number for i in report.issues] == [3]


def test_two_runs_of_one_slot_do_not_overlap(content, tmp_path):
    out = tmp_path / "output"
    inner_errors: list[PublishError] = []
    fake = FakeBuild()

    def build_while_another_run_starts(request):
        try:
            run_due(content, now=at(12), output_root=out, build_fn=fake)
        except PublishError as exc:
            inner_errors.append(exc)
        fake(request)

    report = run_due(content, now=at(12), output_root=out, build_fn=build_while_another_run_starts)
    assert [i.number for i in report.issues] == [2]
    assert len(inner_errors) == 2                       # once per edition built by the first run
    assert inner_errors[0].message.startswith("another run holds slot 2026-01-12T07:00:00+08:00 of weekly-test")
    # the lock is released afterwards
    assert run_due(content, now=at(19), output_root=out, build_fn=FakeBuild()).issues[0].number == 3


def test_the_cli_exits_non_zero_when_a_build_fails(content, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("briefing.publish.build", FakeBuild(fail_edition="public"))
    code = main(["run", str(content), "--due", "--now", "2026-01-12T07:05+08:00",
                 "--output-root", str(tmp_path / "output")])
    assert code == 6
    assert "error: weekly-test 第2期" in capsys.readouterr().err
    assert not (tmp_path / "output" / "weekly-test" / "2026").exists()


def test_the_cli_shows_the_schedule(content, tmp_path, capsys):
    assert main(["schedule", "show", str(content), "-n", "2", "--now", "2026-01-12T08:00+08:00",
                 "--output-root", str(tmp_path / "output")]) == 0
    out = capsys.readouterr().out
    assert "cron: 0 7 * * 1 (Asia/Shanghai); catch_up: latest" in out
    assert "editions: public, gray" in out and "last published: none yet" in out
    assert "due now:\n  第2期  2026-01-12 Mon 07:00 +0800" in out
    assert "next:\n  第3期  2026-01-19 Mon 07:00 +0800\n  第4期  2026-01-26 Mon 07:00 +0800" in out


def test_a_naive_now_is_refused_by_the_cli(content, capsys):
    with pytest.raises(SystemExit):
        main(["run", str(content), "--due", "--now", "2026-01-12T07:05"])
    assert "has no offset" in capsys.readouterr().err


def test_sources_without_a_schedule_or_with_unknown_editions(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "briefing.yaml").write_text(CONTENT.split("schedule:")[0], encoding="utf-8")
    hook_log = tmp_path / "hook.txt"
    with pytest.raises(InputError, match="has no schedule"):
        run_due(folder, now=at(12), output_root=tmp_path / "o", build_fn=FakeBuild(),
                failure_hook=f'printf "[%s] %s" "$BRIEFING_SLOT" "$BRIEFING_ERROR" > {hook_log}')
    assert hook_log.read_text().startswith("[] ") and "has no schedule" in hook_log.read_text()
    (folder / "briefing.yaml").write_text(CONTENT.replace("CATCH_UP", "latest") + "  editions: [public, grey]\n",
                                          encoding="utf-8")
    with pytest.raises(InputError, match="schedule: no edition 'grey'"):
        run_due(folder, now=at(12), output_root=tmp_path / "o", build_fn=FakeBuild())


# ------------------------------------------------------------------ the week's data
def weekly_table() -> Table:
    days = ["2025-12-21", "2025-12-28", "2026-01-04", "2026-01-11", "2026-01-18"]
    return Table("power.csv", ("date", "用电量"), tuple((d, float(i)) for i, d in enumerate(days)),
                 ("", "亿千瓦时"), (), (2, 3, 4, 5, 6))


def test_select_period_keeps_the_weeks_ending_at_the_issue_date():
    week = select_period(weekly_table(), "date", date(2026, 1, 12))
    assert week.rows == (("2026-01-11", 3.0),) and week.lines == (5,)
    assert week.skipped == ("4 rows dated outside 2026-01-06 – 2026-01-12",)
    month = select_period(weekly_table(), "date", date(2026, 1, 12), weeks=4)
    assert [r[0] for r in month.rows] == ["2025-12-21", "2025-12-28", "2026-01-04", "2026-01-11"]
    assert latest_row(weekly_table(), "date", date(2026, 1, 12)) == ("2026-01-11", 3.0)
    assert latest_row(weekly_table(), "date", date(2026, 1, 11)) == ("2026-01-11", 3.0)


def test_period_errors_point_at_the_cell():
    with pytest.raises(DataError, match="no row dated on or before 2025-01-01"):
        latest_row(weekly_table(), "date", date(2025, 1, 1))
    bad = Table("power.csv", ("date", "v"), (("2026-01-04", 1.0), ("last week", 2.0)), ("", ""), (), (2, 3))
    with pytest.raises(DataError, match="power.csv row 3.*expected a date like 2026-01-11, found 'last week'"):
        select_period(bad, "date", date(2026, 1, 12))
    with pytest.raises(DataError, match="no column 'day'"):
        select_period(bad, "day", date(2026, 1, 12))


def test_the_real_example_is_scheduled_weekly():
    """This test ensures that the shipped weekly example parses and numbers its issues."""
    from briefing.publish import scheduled_editions, source_schedule
    from briefing.schedule import issue_number, next_slots
    from briefing.sources import load_source

    source = Path(__file__).resolve().parent.parent / "data" / "weekly-economy"
    loaded = load_source(source)
    schedule = source_schedule(loaded, source)
    assert (schedule.cron, schedule.timezone, schedule.catch_up) == ("0 7 * * 1", "Asia/Shanghai", "latest")
    assert [e.name for e in scheduled_editions(loaded, schedule)][:4] == \
        ["public", "leadership", "large-print", "office-gray"]
    first = next_slots(schedule, datetime(2026, 1, 1, tzinfo=SHANGHAI), 1)[0]
    assert first.date() == schedule.first_issue and issue_number(schedule, first) == 1


def test_a_real_weekly_run_gives_identical_bytes_twice(tmp_path):
    """This test ensures that two real runs of one slot publish byte-identical issues."""
    from pypdf import PdfReader

    source = tmp_path / "weekly-economy"
    shutil.copytree(Path(__file__).resolve().parent.parent / "data" / "weekly-economy", source)
    with (source / "briefing.yaml").open("a", encoding="utf-8") as content:
        content.write("  editions: [leadership, large-print]\n")
    for root in ("a", "b"):
        report = run_due(source, now=at(12, 8), output_root=tmp_path / root)
        assert [(i.number, i.files) for i in report.issues] == [(2, ("leadership.pdf", "large-print.pdf"))]
    issue = Path("weekly-economy", "2026", "002_2026-01-12")
    first, second = tree(tmp_path / "a" / issue), tree(tmp_path / "b" / issue)
    del first[RUN_LOG], second[RUN_LOG]
    assert first == second
    for name in ("leadership.pdf", "large-print.pdf"):
        pages = PdfReader(tmp_path / "a" / issue / name).pages
        assert len(pages) == 1 and round(float(pages[0].trimbox.width) / 72 * 25.4) == 210
