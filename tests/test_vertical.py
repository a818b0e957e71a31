"""Vertical headlines (竖排): drawn top to bottom, kicker to the right, read back from the PDF."""

from __future__ import annotations

import pdfplumber

from briefing.pipeline import BuildRequest, build

CONTENT = """title: 竖排测试
pages:
  - layout: a4-digest
    regions:
      body:
        - headline: {kicker: 二〇二三年, title: 启航新征程, vertical: true}
        - text:
            body: 这是一段正文，用来确认竖排标题之后的正文仍然落在基线网格上，并且两端对齐。
"""


def chars_of(pdf, text):
    with pdfplumber.open(pdf) as doc:
        chars = doc.pages[0].chars
    return [next(c for c in chars if c["text"] == ch) for ch in text]


def test_vertical_title_runs_top_to_bottom_in_one_column(tmp_path):
    src = tmp_path / "v.yaml"
    src.write_text(CONTENT, encoding="utf-8")
    out = tmp_path / "v.pdf"
    build(BuildRequest(source=src, output=out))
    title = chars_of(out, "启航新征程")
    xs = {round(c["x0"], 1) for c in title}
    tops = [c["top"] for c in title]
    assert len(xs) == 1, "an upright vertical title keeps one x"
    assert tops == sorted(tops) and len(set(round(t, 1) for t in tops)) == len(tops)
    steps = {round(b - a, 1) for a, b in zip(tops, tops[1:])}
    assert steps == {round(title[0]["size"], 1)}, "one em per character"
    kicker = chars_of(out, "二〇二三年")
    assert kicker[0]["x0"] > title[0]["x0"], "the kicker is read first, so it stands to the right"
