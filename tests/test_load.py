"""Loading content and layouts: errors point at file, line and column and say what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.errors import InputError
from briefing.load import load_layout, parse_inline, parse_length, read_yaml
from briefing.sources import load_source


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    """This test ensures that malformed YAML reports file, line, column and what was expected."""
    path = write(tmp_path, "briefing.yaml", "title: 周报\npages:\n  - layout: a4-digest\n   regions: {}\n")
    with pytest.raises(InputError) as err:
        read_yaml(path)
    assert err.value.ref.file == str(path)
    assert err.value.ref.line == 4
    assert err.value.ref.column is not None
    assert "expected" in str(err.value) or "mapping values" in str(err.value)


def test_unknown_block_key_lists_expected_keys(tmp_path):
    path = write(tmp_path, "briefing.yaml",
                 "title: 周报\npages:\n  - layout: a4-digest\n    regions:\n      body:\n"
                 "        - section:\n            heading: 一\n            bodyy: 正文\n")
    with pytest.raises(InputError) as err:
        load_source(path)
    message = str(err.value)
    assert "unknown key 'bodyy'" in message
    assert "body" in err.value.hint and "heading" in err.value.hint
    assert err.value.ref.line == 8


def test_unknown_block_kind_and_layout_are_errors(tmp_path):
    path = write(tmp_path, "a.yaml", "title: t\npages:\n  - layout: a4-digest\n    regions:\n"
                                      "      body:\n        - poem: {text: x}\n")
    with pytest.raises(InputError, match="unknown block kind 'poem'"):
        load_source(path)
    path = write(tmp_path, "b.yaml", "title: t\npages:\n  - layout: nosuch\n    regions: {}\n")
    with pytest.raises(InputError, match="unknown layout 'nosuch'"):
        load_source(path)


def test_inline_bold_becomes_strong_spans():
    spans = parse_inline("地区生产总值增长 **6%—7%**左右")
    assert [(s.text, s.role) for s in spans] == [("地区生产总值增长 ", "regular"),
                                                  ("6%—7%", "strong"), ("左右", "regular")]


def test_lengths():
    assert parse_length("25.4mm") == pytest.approx(72)
    assert parse_length("2em", em=10.5) == pytest.approx(21)
    with pytest.raises(ValueError):
        parse_length("wide")


def test_broadsheet_layout_is_a_chinese_daily_page():
    layout = load_layout("broadsheet")
    assert round(layout.width / 72 * 25.4) == 390 and round(layout.height / 72 * 25.4) == 540
    assert layout.columns == 6
    assert {"banner", "headline", "story", "lead"} <= set(layout.regions)


def test_markdown_digest_blocks(tmp_path):
    path = write(tmp_path, "n.md", "# 标题\n\n第一段**重点**。\n\n- 甲\n- 乙\n\n> 引文\n\n## 小节\n\n1. 一\n2. 二\n")
    loaded = load_source(path)
    blocks = loaded.briefing.pages[0].regions["body"]
    kinds = [type(b).__name__ for b in blocks]
    assert kinds == ["Heading", "Paragraphs", "ListBlock", "Paragraphs", "Heading", "ListBlock"]
    assert blocks[3].quote and blocks[5].ordered
    assert loaded.briefing.title == "标题"
    assert loaded.briefing.pages[0].layout == "a4-digest"


def test_layout_styles_carry_the_typographic_options(tmp_path):
    """This test ensures that punctuation style, hanging punctuation and the CJK–Latin gap
    are settings of a layout style, passed on to the typesetter."""
    path = write(tmp_path, "t.yaml", "name: t\npaper: A4\nbody: body\nstyles:\n"
                                     "  body: {size: 10pt, punct_style: kaiming, hanging: true, cjk_latin_gap_em: 0.125}\n")
    from briefing.load import parse_layout
    style = parse_layout(read_yaml(path), path).body.text_style()
    assert style.punct_style.value == "kaiming" and style.hanging and style.cjk_latin_gap_em == 0.125
