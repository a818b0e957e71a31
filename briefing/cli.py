"""Command line: briefing build | preview | check | run | schedule | config | deliver.

Exit codes: 0 success; 1 other error; 2 bad input (file, line, column given); 3 content does
not fit; 4 fonts; 5 preflight failed; 6 a scheduled run failed. User mistakes never print a
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from briefing import __version__
from briefing.errors import BriefingError, BriefingWarning


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s", stream=sys.stderr)
    warnings.simplefilter("always", BriefingWarning)
    warnings.showwarning = _show_warning
    try:
        return args.handler(args)
    except BriefingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefing", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each pipeline step")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    build = sub.add_parser("build", help="build a PDF from a folder, a .yaml or a .md file")
    build.add_argument("source", type=Path)
    build.add_argument("-o", "--output", type=Path, help="PDF file (or folder with --all-editions)")
    build.add_argument("--layout", help="use this layout for every page")
    build.add_argument("--spread", action="store_true", help="put facing pages side by side on one sheet")
    build.add_argument("--tile", choices=("A4", "A3"),
                       help="tile the pages onto office sheets with overlap and marks (office profile)")
    build.add_argument("--profile", default=None,
                       help="output profile: press, newsprint, office (default), screen")
    build.add_argument("--edition", help="audience edition to build")
    build.add_argument("--all-editions", action="store_true", help="build every edition into -o DIR")
    build.add_argument("--keep-punctuation", action="store_true",
                       help="do not normalise half-width punctuation in Chinese text")
    build.add_argument("--no-check", action="store_true", help="skip the preflight of the output")
    build.set_defaults(handler=_build)

    preview = sub.add_parser("preview", help="write PNG pages of a PDF (or build first)")
    preview.add_argument("source", type=Path)
    preview.add_argument("-o", "--output", type=Path, help="folder for the PNG files")
    preview.add_argument("--dpi", type=int, default=80)
    preview.add_argument("--sheet", action="store_true", help="the whole sheet with bleed and marks, not the trimmed page")
    preview.set_defaults(handler=_preview)

    check = sub.add_parser("check", help="preflight a finished PDF against an output profile")
    check.add_argument("pdf", type=Path)
    check.add_argument("--profile", default="office")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_check)

    from briefing import cli_publish

    cli_publish.register(sub)
    return parser


def _build(args: argparse.Namespace) -> int:
    from briefing.pipeline import BuildRequest, build, build_all_editions

    request = BuildRequest(source=args.source, output=args.output, layout=args.layout,
                           spread=args.spread, tile=args.tile, profile=args.profile, edition=args.edition,
                           normalise_punctuation=not args.keep_punctuation, check=not args.no_check)
    results = build_all_editions(request) if args.all_editions else [build(request)]
    for result in results:
        for note in result.notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"wrote {result.output} ({result.pages} pages)")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from briefing.pipeline import BuildRequest, build
    from briefing.preview import write_pngs

    pdf = args.source
    if pdf.suffix.lower() != ".pdf":
        pdf = build(BuildRequest(source=args.source)).output
    for path in write_pngs(pdf, args.output or pdf.parent / f"{pdf.stem}-preview", dpi=args.dpi,
                           sheet=args.sheet):
        print(f"wrote {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from briefing.preflight import main_check

    argv = [str(args.pdf), "--profile", args.profile] + (["--json"] if args.json else [])
    return main_check(argv)
