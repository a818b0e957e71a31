"""Delivery: to a folder or through `lp`, once per file and target, with a ledger."""

from __future__ import annotations

import json
import stat
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefing.cli import main
from briefing.deliver import Target, deliver, parse_target
from briefing.errors import InputError, PublishError
from briefing.publish import run_due

from test_publish import FakeBuild, write_content


@pytest.fixture
def issue(tmp_path) -> Path:
    """A published issue (第2期) of the test publication, built with a fake build."""
    content = write_content(tmp_path / "weekly", "latest")
    run_due(content, now=datetime(2026, 1, 12, 7, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
            output_root=tmp_path / "output", build_fn=FakeBuild())
    return tmp_path / "output" / "weekly-test" / "2026" / "002_2026-01-12"


@pytest.fixture
def fake_lp(tmp_path) -> Path:
    """An `lp` that logs its arguments, one call a line; it fails while a file `lp-broken` exists."""
    script = tmp_path / "lp"
    script.write_text(f"""#!/bin/sh
if [ -e {tmp_path}/lp-broken ]; then echo "lp: The printer or class does not exist." >&2; exit 1; fi
printf '%s\\n' "$*" >> {tmp_path}/lp.log
echo "request id is office-1-17 (1 file(s))"
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def lp_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "lp.log"
    return log.read_text().splitlines() if log.exists() else []


def ledger(issue: Path) -> list[dict]:
    return json.loads((issue.parent.parent / "deliveries.json").read_text(encoding="utf-8"))


def test_folder_delivery_copies_once(issue, tmp_path):
    share = tmp_path / "share"
    report = deliver(issue, {"kind": "folder", "path": str(share)})
    assert report.delivered == ["gray.pdf", "public.pdf"]
    copied = sorted(p.name for p in share.iterdir())
    assert copied == ["weekly-test_002_2026-01-12_gray.pdf", "weekly-test_002_2026-01-12_public.pdf"]
    assert (share / copied[0]).read_bytes() == (issue / "gray.pdf").read_bytes()
    assert [(e["issue"], e["target"], e["file"]) for e in ledger(issue)] == [
        ("2026/002_2026-01-12", f"folder:{share.resolve()}", "gray.pdf"),
        ("2026/002_2026-01-12", f"folder:{share.resolve()}", "public.pdf")]

    (share / copied[0]).unlink()
    again = deliver(issue, Target("folder", path=share))
    assert again.delivered == [] and again.skipped == ["gray.pdf", "public.pdf"]
    assert "already delivered gray.pdf" in again.format_text()
    assert not (share / copied[0]).exists()

    forced = deliver(issue, Target("folder", path=share), force=True)
    assert forced.delivered == ["gray.pdf", "public.pdf"] and (share / copied[0]).exists()
    assert len(ledger(issue)) == 4


def test_print_delivery_runs_lp_with_the_options(issue, tmp_path, fake_lp):
    target = {"kind": "print", "printer": "office-1", "copies": 2, "duplex": True, "media": "A4",
              "mono": True, "editions": ["gray"]}
    report = deliver(issue, target, lp=str(fake_lp))
    assert report.delivered == ["gray.pdf"]
    assert lp_calls(tmp_path) == [
        f"-d office-1 -n 2 -t weekly-test 第2期 gray -o sides=two-sided-long-edge -o media=A4 "
        f"-o print-color-mode=monochrome {issue / 'gray.pdf'}"]
    assert deliver(issue, target, lp=str(fake_lp)).skipped == ["gray.pdf"]
    assert len(lp_calls(tmp_path)) == 1                       # not printed twice
    # a re-run through the `latest` link is the same issue
    assert deliver(issue.parent.parent / "latest", target, lp=str(fake_lp)).skipped == ["gray.pdf"]
    # another printer is another target
    assert deliver(issue, {**target, "printer": "office-2"}, lp=str(fake_lp)).delivered == ["gray.pdf"]


def test_plain_print_has_no_extra_options(issue, tmp_path, fake_lp):
    deliver(issue, Target("print", printer="p", editions=("public",)), lp=str(fake_lp))
    assert lp_calls(tmp_path) == [f"-d p -n 1 -t weekly-test 第2期 public {issue / 'public.pdf'}"]


def test_a_failed_print_is_not_recorded_and_is_retried(issue, tmp_path, fake_lp):
    (tmp_path / "lp-broken").touch()
    target = Target("print", printer="office-9")
    with pytest.raises(PublishError, match="printing gray.pdf on office-9 failed: lp: The printer"):
        deliver(issue, target, lp=str(fake_lp))
    assert not (issue.parent.parent / "deliveries.json").exists()
    (tmp_path / "lp-broken").unlink()
    assert deliver(issue, target, lp=str(fake_lp)).delivered == ["gray.pdf", "public.pdf"]


def test_missing_lp_names_the_package(issue, tmp_path):
    with pytest.raises(PublishError) as err:
        deliver(issue, Target("print", printer="p"), lp=str(tmp_path / "no-such-lp"))
    assert "cups-client" in err.value.hint


def test_only_published_issues_and_known_editions(issue, tmp_path):
    with pytest.raises(InputError, match="is not a published issue"):
        deliver(tmp_path, Target("folder", path=tmp_path / "x"))
    with pytest.raises(InputError, match="has no grey.pdf"):
        deliver(issue, Target("folder", path=tmp_path / "x", editions=("grey",)))


@pytest.mark.parametrize("raw, message", [
    ({"kind": "email"}, "kind must be folder or print"),
    ({"kind": "print", "printer": "p", "copies": 0}, "copies must be a whole number"),
    ({"kind": "print", "printer": "p", "colour": False}, "unknown key 'colour'"),
    ({"kind": "folder"}, "missing key 'path'"),
])
def test_target_errors(raw, message):
    with pytest.raises(InputError, match=message):
        parse_target(raw)


def test_the_cli_delivers_the_latest_issue_to_a_folder(issue, tmp_path, capsys):
    latest = issue.parent.parent / "latest"
    args = ["deliver", str(latest), "--to", f"folder:{tmp_path / 'share'}", "--edition", "public"]
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("delivered public.pdf to folder:")
    assert main(args) == 0
    assert "already delivered public.pdf" in capsys.readouterr().out
    assert main(["deliver", str(latest), "--to", "fax:123"]) == 2
    assert "expected folder:PATH or print:PRINTER" in capsys.readouterr().err
