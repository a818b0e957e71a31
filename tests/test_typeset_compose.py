"""The composer, rule by rule (W3C clreq, https://www.w3.org/TR/clreq/; rule ids R1–R12 are
those of the shared CJK-RULES.md the PDF checker measures). Lines are read as data: glyph x
positions and advances in pt. A fake font with round widths makes the arithmetic exact;
the real Noto fonts check that the same holds with real metrics."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from briefing.fonts import FontBook
from briefing.typeset import (Align, Line, PunctStyle, Span, TextStyle, VGlyph, compose,
                              compose_vertical, natural_width, normalise_punctuation)
from briefing.typeset.classes import (CLOSING, NO_LINE_END, NO_LINE_START, OPENING, is_han,
                                      is_wide)

EM = 10.0
SEED = Path("/work/shared/reference/seed-spread.plain.txt")


class FakeMetrics:
    """Full-width characters 1 em, Latin letters and digits ½ em, space ¼ em; the "bold"
    font is wider for Latin; "tofu" is in the fallback font only."""

    def advance(self, font: str, char: str) -> float:
        if char == " ":
            return 0.25
        if char in "—":
            return 0.9
        if char == "·":
            return 0.3
        if is_wide(char) or char in CLOSING or char in OPENING or char in "…":
            return 1.0
        return 0.6 if font == "bold" else 0.5

    def font_for(self, font: str, char: str) -> str:
        return "fallback" if char == "〄" else font


FAKE = FakeMetrics()


def setl(text: str, measure_em: float = 10, **style: object) -> list[Line]:
    return compose([Span(text)], TextStyle(size=EM, **style), measure_em * EM, FAKE)


def chars(line: Line) -> str:
    return "".join(g.char for g in line.glyphs)


def right_edge(line: Line) -> float:
    last = line.glyphs[-1]
    return last.x + last.advance


def han_gaps(line: Line) -> list[float]:
    g = line.glyphs
    return [g[i + 1].x - g[i].x - g[i].advance for i in range(len(g) - 1)
            if is_han(g[i].char) and is_han(g[i + 1].char)]


# ---------------------------------------------------------------- R5 justification

def test_every_line_but_the_last_fills_the_measure_with_even_spacing() -> None:
    """clreq #line_adjustment: justified lines end flush; the adjustment is spread evenly."""
    text = "岁月常易华章日新在攻坚克难风兴浪涌的砥砺前行中在踔厉奋发铿锵前行的坚定步伐中我们辨别难忘的一年迎来崭新的一年"
    lines = setl(text, 13, indent_em=2)
    assert len(lines) > 2
    assert lines[0].glyphs[0].x == pytest.approx(2 * EM)           # R12: 2-em first-line indent
    for line in lines[:-1]:
        assert right_edge(line) == pytest.approx(13 * EM)
        gaps = han_gaps(line)
        assert max(gaps) - min(gaps) < 1e-6                          # one spacing per line
        assert -0.04 * EM - 1e-9 <= gaps[0] <= 0.15 * EM + 1e-9      # within the limits
    assert han_gaps(lines[-1]) == pytest.approx([0.0] * len(han_gaps(lines[-1])))   # set solid
    assert "".join(chars(ln) for ln in lines) == text


def test_no_single_character_last_line() -> None:
    """clreq #adjustments_of_orphans_and_widows (孤字不成行): 21 characters at 10 em would
    leave one alone on the last line; the composer loosens earlier lines instead."""
    lines = setl("一二三四五六七八九十一二三四五六七八九十终。")
    assert [len(chars(ln)) for ln in lines] != [10, 10, 2]
    assert sum(is_han(c) for c in chars(lines[-1])) >= 2
    for line in lines[:-1]:
        assert right_edge(line) == pytest.approx(10 * EM)


def test_continued_paragraph_has_no_indent() -> None:
    lines = compose([Span("一二三四五六七八九十一二三")], TextStyle(size=EM, indent_em=2), 10 * EM,
                    FAKE, first_line=False)
    assert lines[0].glyphs[0].x == 0.0
    assert not lines[0].first


@pytest.mark.parametrize("align,offset", [(Align.LEFT, 0.0), (Align.CENTER, 2.0), (Align.RIGHT, 4.0)])
def test_ragged_alignments_keep_natural_spacing(align: Align, offset: float) -> None:
    (line,) = setl("一二三四五六", align=align)
    assert line.glyphs[0].x == pytest.approx(offset * EM)
    assert han_gaps(line) == pytest.approx([0.0] * 5)


# ---------------------------------------------------------------- R4 punctuation widths

def test_adjacent_marks_take_one_and_a_half_em() -> None:
    """clreq #h-adjustment_of_adjacent_punctuation_marks: two marks together 1.5 em."""
    (line,) = setl("他说：“好。”然后（“甲”）", 20)
    g = {i: gl for i, gl in enumerate(line.glyphs)}
    text = chars(line)
    colon, quote = text.index("："), text.index("“")
    assert g[colon].advance == pytest.approx(0.5 * EM)             # closing before a mark: ½
    assert g[quote].advance == pytest.approx(1.0 * EM)
    stop, close = text.index("。"), text.index("”")
    assert g[stop].advance + g[close].advance == pytest.approx(1.5 * EM)
    paren, inner = text.index("（"), text.rindex("“")
    assert g[paren].advance == pytest.approx(EM)
    assert g[inner].advance == pytest.approx(0.5 * EM)             # opening after opening: ½
    assert g[inner].x == pytest.approx(g[paren].x + EM - 0.5 * EM)  # its ink (right half) kept


def test_isolated_mark_keeps_its_full_em() -> None:
    """R4d: a mark between two Han characters keeps 1 em (no squeezing to fit a line)."""
    for line in setl("一二三，四五六七八九十一二三四，五六七八九十一二三四五六七八，九十一二" * 2, 9)[:-1]:
        g = line.glyphs
        for i in range(1, len(g) - 1):
            if g[i].char == "，" and is_han(g[i - 1].char) and is_han(g[i + 1].char):
                spacing = g[i].x - g[i - 1].x - g[i - 1].advance
                assert g[i + 1].x - g[i].x - spacing == pytest.approx(EM)


def test_closing_mark_at_line_end_is_half_width_and_flush() -> None:
    """GB/T 15834 §5.1.10 (clreq #h-compression_of_punctuation_marks_at_line_start): a
    line-final closing mark is set ½ em, its ink flush with the measure (R4c)."""
    lines = setl("一二三四五六七八九，十一二三四五六七八九十")
    first = lines[0]
    assert chars(first).endswith("，")
    assert first.glyphs[-1].x + 0.5 * EM == pytest.approx(10 * EM)
    assert first.glyphs[-1].advance == pytest.approx(0.5 * EM)


def test_middle_dot_is_centred_in_half_an_em() -> None:
    """clreq §3.1 (间隔号): the middle dot takes ½ em, the glyph centred in it."""
    (line,) = setl("马克·吐温")
    dot = line.glyphs[2]
    assert dot.advance == pytest.approx(0.5 * EM)
    assert dot.x == pytest.approx(2 * EM + (0.5 - 0.3) / 2 * EM)
    assert line.glyphs[3].x == pytest.approx(2.5 * EM)


def test_two_em_dash_is_one_unbroken_unspread_unit() -> None:
    """clreq 破折号 (R3): —— spans 2 em, its halves touch, and it never breaks or spreads."""
    text = "一二三四五六七八——九十一二三四五六七八九十一二三四五——六七八九十"
    for measure in (9, 10, 11):
        for line in setl(text, measure):
            g = line.glyphs
            for i in range(len(g) - 1):
                if g[i].char == g[i + 1].char == "—":
                    assert g[i + 1].x == pytest.approx(g[i].x + 0.9 * EM)     # contiguous
            assert not chars(line).startswith("—") or chars(line).startswith("——")
            assert not chars(line).endswith("—") or chars(line).endswith("——")
    (line,) = setl("甲——乙", 10)
    assert line.glyphs[1].x == pytest.approx(EM + 0.1 * EM)          # ink centred in 2 em
    assert line.glyphs[3].x == pytest.approx(3 * EM)


@pytest.mark.parametrize("punct,widths", [
    (PunctStyle.KAIMING, {"，": 0.5, "。": 1.0, "“": 0.5}),
    (PunctStyle.BANJIAO, {"，": 0.5, "。": 0.5, "“": 0.5}),
])
def test_kaiming_and_banjiao_styles(punct: PunctStyle, widths: dict[str, float]) -> None:
    """clreq punctuation styles: kaiming keeps only the stops full width, banjiao none."""
    (line,) = setl("甲，乙“丙”。", 20, punct_style=punct)
    for glyph in line.glyphs:
        if glyph.char in widths:
            assert glyph.advance == pytest.approx(widths[glyph.char] * EM)


# ---------------------------------------------------------------- R9 hanging

def test_hanging_punctuation_when_asked() -> None:
    """clreq #hanging_punctuation_marks_at_line_end: with hanging on, a comma may sit past
    the measure instead of the line being spread; off by default."""
    text = "一二三四五六七八九十，一二三四五六七八九十一二"
    hung = setl(text, hanging=True)[0]
    assert chars(hung) == "一二三四五六七八九十，"
    assert hung.glyphs[-1].x == pytest.approx(10 * EM)                 # starts at the edge
    assert han_gaps(hung) == pytest.approx([0.0] * 9)
    plain = setl(text)[0]
    assert right_edge(plain) <= 10 * EM + 1e-6


# ---------------------------------------------------------------- R6 CJK–Latin spacing

def test_quarter_em_between_han_and_digits_and_none_at_line_edges() -> None:
    """clreq #mixed_text_composition_in_horizontal_writing_mode: ¼ em between Han and
    Latin letters or digits; a source space becomes that gap, not an extra one."""
    (line,) = setl("增长6%左右", 20)
    g = line.glyphs
    assert g[2].x - (g[1].x + g[1].advance) == pytest.approx(0.25 * EM)
    assert g[4].x - (g[3].x + g[3].advance) == pytest.approx(0.25 * EM)
    (spaced,) = setl("增长 6%左右", 20)
    digit = next(gl for gl in spaced.glyphs if gl.char == "6")
    assert digit.x == pytest.approx(g[2].x)                           # not doubled
    assert any(gl.char == " " for gl in spaced.glyphs)                # the space is kept as text
    for line in setl("在二〇二三年里有2023个目标和GDP增长" * 3, 8):
        first, last = line.glyphs[0], line.glyphs[-1]
        assert first.x == 0.0 or line.first
        assert first.char != " " and last.char != " "


def test_number_and_latin_word_stay_whole() -> None:
    """R3 / UAX #14 LB25: 11.6%, 4,000 and words are never split across lines."""
    text = "其中增长11.6%的项目有4,000个以上而且GDP总量和Jilin城市的发展都很好" * 2
    for measure in (6, 7, 8, 9):
        lines = setl(text, measure)
        assert "".join(chars(line) for line in lines) == text
        for a, b in zip(lines, lines[1:]):
            end, start = chars(a)[-1], chars(b)[0]
            assert not (end.isascii() and end.isalnum() and start.isascii() and start.isalnum())
            assert not (end.isdigit() and start in "%.,")


# ---------------------------------------------------------------- fonts

def test_emphasis_uses_its_own_font_and_widths() -> None:
    spans = [Span("增长"), Span("GDP", "strong"), Span("了")]
    style = TextStyle(size=EM, fonts={"regular": "serif", "strong": "bold"})
    (line,) = compose(spans, style, 20 * EM, FAKE)
    bold = [g for g in line.glyphs if g.role == "strong"]
    assert [g.font for g in bold] == ["bold"] * 3
    assert bold[1].x - bold[0].x == pytest.approx(0.6 * EM)


def test_missing_glyph_takes_the_fallback_font() -> None:
    (line,) = setl("甲〄乙")
    assert [g.font for g in line.glyphs] == ["serif", "fallback", "serif"]


def test_natural_width_sets_as_one_line() -> None:
    spans = [Span("把握历史机遇 推动全面振兴取得新突破")]
    style = TextStyle(size=EM, align=Align.CENTER)
    width = natural_width(spans, style, FAKE)
    assert width == pytest.approx(18 * EM)        # 17 Han + an ideographic space
    assert len(compose(spans, style, width, FAKE)) == 1


# ---------------------------------------------------------------- real fonts, real text

@pytest.fixture(scope="module")
def seed_lines() -> list[list[Line]]:
    book = FontBook()
    style = TextStyle(size=9.5, indent_em=2)
    paragraphs = [normalise_punctuation(p.strip())[0] for p in SEED.read_text("utf-8").split("\n")
                  if len(p.strip()) > 30]
    return [compose([Span(p)], style, 14 * 9.5, book) for p in paragraphs]


@pytest.mark.skipif(not SEED.exists(), reason="shared reference text not present")
def test_seed_text_keeps_kinsoku_and_fills_lines(seed_lines: list[list[Line]]) -> None:
    """R1, R2, R5, R8 on the reference spread's text with the real Noto Serif SC metrics."""
    tracks = []
    for lines in seed_lines:
        for n, line in enumerate(lines):
            text = chars(line).strip()
            if n:
                assert text[0] not in NO_LINE_START
            if not line.last:
                assert text[-1] not in NO_LINE_END
                edge = line.glyphs[-1].x + (0.5 * 9.5 if text[-1] in CLOSING else line.glyphs[-1].advance)
                assert edge == pytest.approx(14 * 9.5, abs=0.05 * 9.5)
                gaps = han_gaps(line)
                if gaps:
                    tracks.append(statistics.median(gaps) / 9.5)
        if len(lines) > 1:
            assert sum(is_han(c) or c.isdigit() for c in chars(lines[-1])) >= 2
    assert max(tracks) <= 0.25 and min(tracks) >= -0.05
    assert sorted(tracks)[int(0.95 * len(tracks))] <= 0.10


# ---------------------------------------------------------------- vertical setting

def vset(text: str) -> list[VGlyph]:
    return compose_vertical([Span(text)], TextStyle(size=EM), FAKE)


def test_vertical_ideographs_stack_one_em_apart() -> None:
    """clreq #vertical_writing_mode: upright CJK, one character per em down the column."""
    glyphs = vset("回眸往昔")
    assert [g.top for g in glyphs] == pytest.approx([0, EM, 2 * EM, 3 * EM])
    assert all(not g.rotate and g.x == 0.0 for g in glyphs)
    assert glyphs[1].y - glyphs[0].y == pytest.approx(EM)


def test_vertical_two_digits_share_one_cell_and_long_runs_turn() -> None:
    """Tate-chu-yoko for one or two digits; longer Latin or digit runs are rotated 90°."""
    glyphs = vset("第12届GDP")
    one, two = glyphs[1], glyphs[2]
    assert one.top == two.top == pytest.approx(EM + 0.25 * EM)       # after the ¼ em gap
    assert not one.rotate and two.x == pytest.approx(one.x + 0.5 * EM)
    assert one.x >= 0 and two.x + 0.5 * EM <= EM + 1e-9               # both inside the cell
    latin = [g for g in glyphs if g.char in "GDP"]
    assert all(g.rotate for g in latin)
    assert [g.top for g in latin] == pytest.approx([latin[0].top + k * 0.5 * EM for k in range(3)])
    (year,) = [g for g in vset("2023年") if g.char == "2"][:1]
    assert year.rotate                                                # four digits: turned


def test_vertical_punctuation_positions() -> None:
    """Pause and stop marks sit in the upper right of their cell; brackets and quotes take
    their vertical forms (quotation marks as corner brackets, clreq)."""
    glyphs = vset("启航，（新）“好”")
    comma = glyphs[2]
    assert comma.char == "，"
    assert comma.x == pytest.approx(0.5 * EM)
    assert comma.y == pytest.approx(comma.top + 0.88 * EM - 0.5 * EM)
    assert [g.char for g in glyphs[3:]] == ["︵", "新", "︶", "﹁", "好", "﹂"]


def test_centred_headline_breaks_at_its_phrase_space() -> None:
    """A centred two-line headline breaks where the writer put the space, not mid-phrase."""
    lines = setl("把握历史机遇 推动全面振兴取得新突破", 12, align=Align.CENTER)
    assert [chars(line).strip() for line in lines] == ["把握历史机遇", "推动全面振兴取得新突破"]
    assert lines[0].glyphs[0].x == pytest.approx(3 * EM)
