"""Command line for publishing: run --due, schedule show, config show, deliver.

Each handler returns the exit code; user errors are raised as BriefingError and printed by
briefing.cli.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

import yaml

from briefing.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="build and publish the issues a schedule has due")
    run.add_argument("source", type=Path, help="content folder or file with a schedule:")
    run.add_argument("--due", action="store_true", required=True,
                     help="publish every issue due now (the only mode; safe to call often)")
    _now_option(run)
    run.add_argument("--output-root", type=Path, default=Path("output"), help="default: output")
    run.add_argument("--on-failure", metavar="CMD",
                     help="shell command run when a build fails (env BRIEFING_SLOT, BRIEFING_ERROR)")
    run.set_defaults(handler=_run)

    schedule = subparsers.add_parser("schedule", help="show a schedule").add_subparsers(
        required=True, metavar="ACTION")
    show = schedule.add_parser("show", help="next issues, what is due, what was published")
    show.add_argument("source", type=Path)
    show.add_argument("-n", type=int, default=5, help="how many future slots (default 5)")
    _now_option(show)
    show.add_argument("--output-root", type=Path, default=Path("output"))
    show.set_defaults(handler=_schedule_show)

    config = subparsers.add_parser("config", help="show resolved settings").add_subparsers(
        required=True, metavar="ACTION")
    cshow = config.add_parser("show", help="an edition after extends: is merged, as YAML")
    cshow.add_argument("source", type=Path)
    cshow.add_argument("--edition", help="one edition (default: all)")
    cshow.set_defaults(handler=_config_show)

    deliver = subparsers.add_parser("deliver", help="copy or print a published issue, once")
    deliver.add_argument("issue_dir", type=Path, help="an issue folder, e.g. output/<publication>/latest")
    deliver.add_argument("--to", required=True, metavar="folder:PATH|print:PRINTER")
    deliver.add_argument("--copies", type=_count, default=1)
    deliver.add_argument("--duplex", action="store_true", help="print on both sides (long edge)")
    deliver.add_argument("--mono", action="store_true", help="print in black only")
    deliver.add_argument("--media", help="paper, e.g. A4")
    deliver.add_argument("--edition", action="append", default=[], help="only this edition (repeatable)")
    deliver.add_argument("--force", action="store_true", help="deliver again what the ledger has")
    deliver.set_defaults(handler=_deliver)


def _now_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", type=_aware_time, metavar="ISO-TIME",
                        help="the time to act as if it were, with its offset (2026-01-12T07:05+08:00)")


def _aware_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; write it like 2026-01-12T07:05+08:00")
    return moment


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, found {text!r}")
    return int(text)


def _now(args: argparse.Namespace) -> datetime:
    return args.now or datetime.now(timezone.utc)


def _run(args: argparse.Namespace) -> int:
    from briefing.publish import run_due

    report = run_due(args.source, now=_now(args), output_root=args.output_root,
                     failure_hook=args.on_failure)
    print(report.format_text())
    return 0


def _schedule_show(args: argparse.Namespace) -> int:
    from briefing.publish import issue_label, read_last_published, scheduled_editions, source_schedule
    from briefing.schedule import due_slots, format_duration, issue_number, next_slots
    from briefing.sources import load_source

    loaded = load_source(args.source)
    schedule = source_schedule(loaded, args.source)
    editions = scheduled_editions(loaded, schedule)
    now = _now(args)
    last = read_last_published(args.output_root / schedule.publication)
    lateness = format_duration(schedule.window) if schedule.window else "no limit"

    def line(slot: datetime) -> str:
        return f"  {issue_label(issue_number(schedule, slot))}  {slot:%Y-%m-%d %a %H:%M %z}"

    print(f"publication: {schedule.publication}")
    print(f"cron: {schedule.cron} ({schedule.timezone}); catch_up: {schedule.catch_up}; "
          f"max lateness: {lateness}")
    print(f"first issue: {schedule.first_issue}; editions: {', '.join(e.name for e in editions)}")
    print(f"last published: {last.isoformat() if last else 'none yet'}")
    due = due_slots(schedule, last, now)
    print("due now:" + ("" if due else " nothing"))
    for slot in due:
        print(line(slot))
    print("next:")
    for slot in next_slots(schedule, now, args.n):
        print(line(slot))
    return 0


def _config_show(args: argparse.Namespace) -> int:
    from briefing.edition import describe, edition_names, resolve_edition
    from briefing.sources import load_source

    loaded = load_source(args.source)
    names = [args.edition] if args.edition else edition_names(loaded.editions) or [None]
    resolved = {}
    for name in names:
        edition = resolve_edition(loaded.editions, name, ref=loaded.briefing.ref)
        resolved[edition.name] = describe(edition)
    print(yaml.safe_dump({"editions": resolved}, allow_unicode=True, sort_keys=False), end="")
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from briefing.deliver import deliver, parse_target

    kind, _, where = args.to.partition(":")
    if kind not in ("folder", "print") or not where:
        raise InputError(f"--to {args.to!r}: expected folder:PATH or print:PRINTER")
    options = {"media": args.media} if args.media else {}
    target = parse_target({"kind": kind, "path" if kind == "folder" else "printer": where,
                           "copies": args.copies, "duplex": args.duplex, "mono": args.mono,
                           "editions": args.edition, **options})
    print(deliver(args.issue_dir, target, force=args.force).format_text())
    return 0
