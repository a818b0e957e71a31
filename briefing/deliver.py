"""Delivery: a published issue to a folder or a printer, once, with a ledger.

Delivery is its own step, after `briefing run --due`, so rebuilding never re-prints or re-copies
by itself. Each file delivered to a target is recorded in `<publication>/deliveries.json` with
its SHA-256; delivering again skips what the ledger has, unless forced.

    {kind: folder, path: /srv/share/周报}
    {kind: print, printer: office-1, copies: 2, duplex: true, media: A4, mono: true,
     editions: [office-gray]}
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from briefing.errors import InputError, PublishError, SourceRef
from briefing.load import Fields
from briefing.pipeline import write_atomic
from briefing.publish import MANIFEST, PublicationLock, sha256_file

LEDGER = "deliveries.json"
_TARGET_KEYS = {"kind", "path", "printer", "copies", "duplex", "media", "mono", "editions"}


@dataclass(frozen=True)
class Target:
    kind: str                           # "folder" or "print"
    path: Path | None = None            # folder
    printer: str | None = None          # print
    copies: int = 1
    duplex: bool = False
    media: str | None = None
    mono: bool = False
    editions: tuple[str, ...] = ()      # empty: every edition of the issue

    @property
    def key(self) -> str:
        """What the ledger knows the target by."""
        return f"folder:{self.path.resolve()}" if self.kind == "folder" else f"print:{self.printer}"


def parse_target(raw: Any, ref: SourceRef | None = None) -> Target:
    """A target mapping such as {kind: print, printer: P, copies: 2}."""
    f = Fields(raw, "delivery target", _TARGET_KEYS, ref or SourceRef("<delivery target>"))
    kind = f.str("kind")
    if kind not in ("folder", "print"):
        raise InputError(f"delivery target: kind must be folder or print, found {kind!r}", ref=f.key_ref("kind"))
    copies = f.num("copies", 1)
    if copies < 1 or copies != int(copies):
        raise InputError(f"delivery target: copies must be a whole number of 1 or more, found {copies:g}",
                         ref=f.key_ref("copies"))
    return Target(kind=kind,
                  path=Path(f.str("path")) if kind == "folder" else None,
                  printer=f.str("printer") if kind == "print" else None,
                  copies=int(copies), duplex=f.bool("duplex", False),
                  media=f.str("media") if "media" in f.data else None, mono=f.bool("mono", False),
                  editions=tuple(str(e) for e in f.list("editions")))


@dataclass
class DeliveryReport:
    target: str
    delivered: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def format_text(self) -> str:
        lines = [f"delivered {name} to {self.target}" for name in self.delivered]
        lines += [f"already delivered {name} to {self.target} (use --force to deliver again)"
                  for name in self.skipped]
        return "\n".join(lines)


def deliver(issue_dir: Path, target: Target | dict, *, force: bool = False, lp: str = "lp") -> DeliveryReport:
    """Deliver an issue's PDFs to `target`; what the ledger has is skipped unless `force`."""
    if not isinstance(target, Target):
        target = parse_target(target)
    issue = issue_dir.resolve()
    manifest = _manifest(issue)
    home = issue.parent.parent
    files = _files(manifest, target, issue)
    report = DeliveryReport(target.key)
    with PublicationLock(home / ".deliver.lock"):
        ledger = _read_ledger(home)
        where = issue.relative_to(home).as_posix()
        for name in files:
            entry = {"issue": where, "target": target.key, "file": name, "sha256": sha256_file(issue / name)}
            if not force and any(_same(entry, done) for done in ledger):
                report.skipped.append(name)
                continue
            _send(issue / name, target, manifest, lp)
            ledger.append({**entry, "delivered": datetime.now(timezone.utc).isoformat(timespec="seconds")})
            write_atomic(home / LEDGER, (json.dumps(ledger, ensure_ascii=False, indent=2) + "\n").encode())
            report.delivered.append(name)
    return report


def _same(entry: dict[str, str], done: dict[str, str]) -> bool:
    return all(done.get(key) == value for key, value in entry.items())


def _manifest(issue: Path) -> dict[str, Any]:
    path = issue / MANIFEST
    if not path.is_file():
        raise InputError(f"{issue} is not a published issue (it has no {MANIFEST})",
                         hint="deliver a folder written by `briefing run --due`, such as output/<publication>/latest")
    return json.loads(path.read_text(encoding="utf-8"))


def _files(manifest: dict[str, Any], target: Target, issue: Path) -> list[str]:
    files = sorted(manifest.get("files", {}))
    if not target.editions:
        return files
    chosen = [f"{name}.pdf" for name in target.editions]
    missing = [name for name in chosen if name not in files]
    if missing:
        raise InputError(f"issue {issue.name} has no {missing[0]}",
                         hint=f"its files: {', '.join(files)}")
    return chosen


def _read_ledger(home: Path) -> list[dict[str, str]]:
    path = home / LEDGER
    if not path.exists():
        return []
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise PublishError(f"{path} is damaged ({exc})", hint="fix or remove it; removing it forgets "
                                                               "what was delivered") from None
    return ledger


def _send(pdf: Path, target: Target, manifest: dict[str, Any], lp: str) -> None:
    if target.kind == "folder":
        _copy(pdf, target.path / f"{manifest['publication']}_{pdf.parent.name}_{pdf.name}")
    else:
        _print(pdf, target, f"{manifest['publication']} {manifest['issue_label']} {pdf.stem}", lp)


def _copy(pdf: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(pdf, tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def lp_command(pdf: Path, target: Target, title: str, lp: str = "lp") -> list[str]:
    """The CUPS `lp` command line that prints one PDF for a print target."""
    command = [lp, "-d", str(target.printer), "-n", str(target.copies), "-t", title]
    if target.duplex:
        command += ["-o", "sides=two-sided-long-edge"]
    if target.media:
        command += ["-o", f"media={target.media}"]
    if target.mono:
        command += ["-o", "print-color-mode=monochrome"]
    return command + [str(pdf)]


def _print(pdf: Path, target: Target, title: str, lp: str) -> None:
    command = lp_command(pdf, target, title, lp)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except FileNotFoundError:
        raise PublishError(f"cannot print: no {lp!r} command", hint="install CUPS (Debian: cups-client)") from None
    except subprocess.TimeoutExpired:
        raise PublishError(f"printing {pdf.name} on {target.printer}: lp did not answer in 120 s") from None
    if result.returncode:
        raise PublishError(f"printing {pdf.name} on {target.printer} failed: "
                           f"{(result.stderr or result.stdout).strip() or f'lp exited {result.returncode}'}")
