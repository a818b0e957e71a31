"""Scheduled publication: `briefing run SOURCE --due` builds every issue that is due.

For each due slot, every scheduled edition is built into `<output>/.staging/`, with a
`manifest.json` that pins what went in (input and font hashes, resolved editions, versions,
slot and issue number: nothing that changes from one run to the next) and a `run.log.json`
with the run's own times. The folder is then renamed into place as a whole:

    <output>/<publication>/<YYYY>/<NNN>_<YYYY-MM-DD>/   edition PDFs, manifest.json, run.log.json
    <output>/<publication>/state.json                  the last published slot
    <output>/<publication>/latest -> <YYYY>/<NNN>_<YYYY-MM-DD>

A failed build leaves the published issues as they were, removes its staging folder, runs the
failure hook and raises PublishError. Re-running a slot rebuilds it: identical output is left
alone, different output is refused (published issues are never overwritten). One run at a time
per publication, by a lock file.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from briefing import __version__
from briefing.edition import BASE, Edition, describe, edition_names, resolve_edition
from briefing.errors import BriefingError, InputError, PublishError
from briefing.fonts import FONT_DIR, FONT_FILES
from briefing.pipeline import BuildRequest, build, write_atomic
from briefing.schedule import Schedule, due_slots, issue_number, next_slots, parse_schedule, slot_date
from briefing.sources import Loaded, content_path, load_source

log = logging.getLogger("briefing.publish")
BuildFn = Callable[[BuildRequest], Any]
MANIFEST = "manifest.json"
RUN_LOG = "run.log.json"
STATE = "state.json"


@dataclass(frozen=True)
class Issue:
    slot: datetime
    number: int
    path: Path
    files: tuple[str, ...]
    status: str                         # "published", or "unchanged" when it was there already

    @property
    def label(self) -> str:
        return issue_label(self.number)


@dataclass
class RunReport:
    publication: str
    issues: list[Issue] = field(default_factory=list)
    next_slot: datetime | None = None

    def format_text(self) -> str:
        lines = [f"{issue.status} {issue.label} ({issue.slot.isoformat()}): {issue.path} "
                 f"[{', '.join(issue.files)}]" for issue in self.issues]
        if not self.issues:
            lines.append(f"{self.publication}: nothing due")
        if self.next_slot:
            lines.append(f"next slot: {self.next_slot.isoformat()}")
        return "\n".join(lines)


def issue_label(number: int) -> str:
    return f"第{number}期"


# ------------------------------------------------------------------ run
def run_due(source: Path, *, now: datetime, output_root: Path = Path("output"),
            build_fn: BuildFn | None = None, failure_hook: str | None = None) -> RunReport:
    """Build and publish every issue of `source` that is due at `now` (an aware datetime)."""
    try:
        loaded = load_source(source)
        schedule = source_schedule(loaded, source)
        editions = scheduled_editions(loaded, schedule)
    except BriefingError as exc:
        run_failure_hook(failure_hook, exc)
        raise
    home = output_root / schedule.publication
    home.mkdir(parents=True, exist_ok=True)
    report = RunReport(schedule.publication)
    with PublicationLock(home / ".lock") as lock:
        job = _Job(source, loaded, schedule, editions, output_root, build_fn or build, now)
        for slot in due_slots(schedule, read_last_published(home), now):
            lock.say(f"slot {slot.isoformat()} of {schedule.publication} (pid {os.getpid()})")
            report.issues.append(job.publish(slot, failure_hook))
    report.next_slot = next_slots(schedule, now, 1)[0]
    return report


def source_schedule(loaded: Loaded, source: Path) -> Schedule:
    """The content's `schedule:`, checked; the publication defaults to the content's folder name."""
    path = content_path(source)
    if loaded.schedule is None:
        raise InputError(f"{path} has no schedule:", ref=loaded.briefing.ref,
                         hint="add a schedule: mapping with cron, timezone and first_issue (docs/schedules.md)")
    return parse_schedule(loaded.schedule, ref=loaded.briefing.ref, default_publication=path.parent.name)


def scheduled_editions(loaded: Loaded, schedule: Schedule) -> list[Edition]:
    """The editions the schedule names (default: all the content defines, or the base edition)."""
    defined = edition_names(loaded.editions)
    unknown = [name for name in schedule.editions if name not in defined]
    if unknown:
        raise InputError(f"schedule: no edition {unknown[0]!r}", ref=schedule.ref,
                         hint=f"editions: {', '.join(defined) or 'none are defined'}")
    names = list(schedule.editions) or defined or [BASE]
    return [resolve_edition(loaded.editions, name, ref=loaded.briefing.ref) for name in names]


@dataclass
class _Job:
    """One run's publication of its due slots."""

    source: Path
    loaded: Loaded
    schedule: Schedule
    editions: list[Edition]
    output_root: Path
    build_fn: BuildFn
    now: datetime

    @property
    def home(self) -> Path:
        return self.output_root / self.schedule.publication

    def publish(self, slot: datetime, failure_hook: str | None) -> Issue:
        number = issue_number(self.schedule, slot)
        target = self.home / f"{slot:%Y}" / f"{number:03d}_{slot:%Y-%m-%d}"
        staging = self.output_root / ".staging" / f"{self.schedule.publication}-{target.name}"
        try:
            files, status = self._stage_and_move(slot, number, staging, target)
        except Exception as exc:
            error = exc if isinstance(exc, PublishError) else \
                _failure(f"{self.schedule.publication} {issue_label(number)} ({slot.isoformat()})", exc)
            run_failure_hook(failure_hook, error, slot, number)
            if error is exc:
                raise
            raise error from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        write_state(self.home, slot, number, target)
        return Issue(slot, number, target, files, status)

    def _stage_and_move(self, slot: datetime, number: int, staging: Path,
                        target: Path) -> tuple[tuple[str, ...], str]:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        started = _wall_clock()
        timings = [self._build(edition, slot, number, staging) for edition in self.editions]
        files = tuple(f"{edition.name}.pdf" for edition in self.editions)
        manifest = self._manifest(slot, number, staging, files)
        write_atomic(staging / MANIFEST, _json_bytes(manifest))
        write_atomic(staging / RUN_LOG, _json_bytes({
            "now": self.now.isoformat(), "started": started, "finished": _wall_clock(),
            "pid": os.getpid(), "builds": timings}))
        return files, move_into_place(staging, target)

    def _build(self, edition: Edition, slot: datetime, number: int, staging: Path) -> dict[str, Any]:
        output = staging / f"{edition.name}.pdf"
        request = BuildRequest(source=self.source, output=output,
                               edition=None if edition.name == BASE else edition.name,
                               profile=edition.profile,
                               as_of=slot_date(self.schedule, slot), issue_label=issue_label(number))
        started = _wall_clock()
        self.build_fn(request)
        if not output.is_file():
            raise PublishError(f"the build of edition {edition.name!r} wrote no {output.name}")
        return {"edition": edition.name, "started": started, "finished": _wall_clock()}

    def _manifest(self, slot: datetime, number: int, staging: Path, files: tuple[str, ...]) -> dict[str, Any]:
        base = content_path(self.source).parent
        return {
            "publication": self.schedule.publication,
            "issue": number,
            "issue_label": issue_label(number),
            "slot": slot.isoformat(),
            "timezone": self.schedule.timezone,
            "date": slot_date(self.schedule, slot).isoformat(),
            "files": {name: sha256_file(staging / name) for name in files},
            "editions": {edition.name: describe(edition) for edition in self.editions},
            "inputs": {Path(os.path.relpath(p, base)).as_posix(): sha256_file(p)
                       for p in sorted(issue_inputs(self.loaded, self.editions))},
            "fonts": {name: sha256_file(FONT_DIR / name) for name in sorted(set(FONT_FILES.values()))},
            "versions": tool_versions(),
        }


def issue_inputs(loaded: Loaded, editions: list[Edition]) -> list[Path]:
    """The files an issue is built from: the content, its data and the layouts its editions use.
    A layout no edition uses is left out, so adding or editing one does not make a published
    issue look changed."""
    used = {page.layout for page in loaded.briefing.pages} | {e.layout for e in editions if e.layout}
    unused = {Path(layout.source) for name, layout in loaded.layouts.items() if name not in used}
    return [path for path in loaded.files if path not in unused]


def _failure(issue: str, exc: Exception) -> PublishError:
    """A build's error as the failure of an issue, keeping where it happened and its hint."""
    if isinstance(exc, BriefingError):
        what = f"{exc.ref}: {exc.message}" if exc.ref else exc.message
        hints = [exc.hint] if exc.hint else []
    else:
        what, hints = f"{type(exc).__name__}: {exc}", []
    return PublishError(f"{issue}: {what}",
                        hint="; ".join([*hints, "the issues already published were left as they were"]))


def tool_versions() -> dict[str, str]:
    return {"briefing": __version__, "python": platform.python_version(),
            "reportlab": metadata.version("reportlab"), "matplotlib": metadata.version("matplotlib")}


# ------------------------------------------------------------------ files
def move_into_place(staging: Path, target: Path) -> str:
    """Rename the staged issue to its place; an identical issue already there is left alone."""
    if target.exists():
        if same_issue(staging, target):
            return "unchanged"
        raise PublishError(f"{target} is already published with other content",
                           hint="published issues are not overwritten; move that folder away to "
                                "publish the slot again")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, target)
    return "published"


def same_issue(a: Path, b: Path) -> bool:
    """The same files with the same bytes, apart from the run log."""
    def contents(folder: Path) -> dict[str, str]:
        return {p.name: sha256_file(p) for p in folder.iterdir() if p.is_file() and p.name != RUN_LOG}
    return contents(a) == contents(b)


def sha256_file(path: Path) -> str:
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=256)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _wall_clock() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_last_published(home: Path) -> datetime | None:
    path = home / STATE
    if not path.exists():
        return None
    try:
        last = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["last_published"])
        if last.tzinfo is None:
            raise ValueError("the last published slot has no UTC offset")
        return last
    except (ValueError, KeyError, TypeError) as exc:
        raise PublishError(f"{path} is damaged ({exc})",
                           hint="fix it, or delete it: the next run then starts from the newest slot "
                                "(issues already published are recognised and left alone)") from None


def write_state(home: Path, slot: datetime, number: int, target: Path) -> None:
    """Record the last published slot and point `latest` at its folder."""
    where = target.relative_to(home).as_posix()
    write_atomic(home / STATE, _json_bytes({"last_published": slot.isoformat(), "issue": number,
                                            "path": where}))
    link = home / "latest"
    temporary = home / ".latest.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(where, target_is_directory=True)
    os.replace(temporary, link)


# ------------------------------------------------------------------ lock and failure hook
class PublicationLock:
    """An exclusive flock on a file that says who holds it; a second holder is refused at once."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def __enter__(self) -> "PublicationLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or f"the lock {self.path}"
            os.close(fd)
            raise PublishError(f"another run holds {holder}",
                               hint="wait for it to finish; runs of one publication never overlap") from None
        self.fd = fd
        self.say(f"the lock of {self.path.parent.name} (pid {os.getpid()})")
        return self

    def say(self, holder: str) -> None:
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, holder.encode("utf-8"), 0)

    def __exit__(self, *exc: object) -> None:
        assert self.fd is not None
        os.ftruncate(self.fd, 0)
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None


def run_failure_hook(command: str | None, error: BaseException, slot: datetime | None = None,
                     number: int | None = None) -> None:
    """Run the user's failure command with BRIEFING_SLOT, BRIEFING_ISSUE and BRIEFING_ERROR set."""
    if not command:
        return
    env = {**os.environ, "BRIEFING_SLOT": slot.isoformat() if slot else "",
           "BRIEFING_ISSUE": str(number or ""), "BRIEFING_ERROR": str(error)}
    try:
        result = subprocess.run(command, shell=True, env=env, check=False, timeout=300)  # noqa: S602
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("the failure hook %r could not run: %s", command, exc)
        return
    if result.returncode:
        log.error("the failure hook %r exited with %d", command, result.returncode)
