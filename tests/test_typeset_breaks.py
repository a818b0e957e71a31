"""Line breaking: UAX #14 against Unicode's LineBreakTest.txt, and the clreq tailoring.

The test strings below are verbatim lines of LineBreakTest-16.0.0.txt (Unicode Character
Database, auxiliary/; © Unicode, Inc., https://www.unicode.org/terms_of_use.html), chosen
because every character in them has a class this typesetter handles (ID, CL, CP, OP, NS, QU,
NU, PO, PR, AL, B2, IN, IS, EX, SY, HY, BA, GL, SP, CM): "÷" marks a break opportunity,
"×" none. The file itself is not shipped with any installed package, so it is quoted here.
"""

from __future__ import annotations

import random

import pytest
from uniseg.linebreak import line_break_boundaries

from briefing.typeset.breaks import break_opportunities, segments, uax14_breaks

LINE_BREAK_TEST = """
× 0023 × 0030 ÷
× 0023 × 0020 ÷ 0030 ÷
× 0023 × 0308 × 0030 ÷
× 0023 ÷ 2329 ÷
× 0023 × 0025 ÷
× 0023 × 0024 ÷
× 0023 × 0022 ÷
× 0023 × 0020 ÷ 0022 ÷
× 0023 × 002F ÷
× 0023 × 0020 × 002F ÷
× 0023 × 00AB ÷
× 0023 × 0020 ÷ 00AB ÷
× 0023 × 00BB ÷
× 0023 × 0020 × 00BB ÷
× 0023 × 0029 ÷
× 0023 × 0028 ÷
× 0023 × 0020 ÷ 0028 ÷
× 0063 × 006F × 0064 × 0065 × 0028 × 0073 × 002E × 0029 ÷
× 0063 × 006F × 0064 × 0065 × 0028 × 0073 × 0029 × 0021 ÷
× 0063 × 006F × 0064 × 0065 × 005C ÷ 0028 × 0073 × 005C × 0029 ÷
× 0063 × 006F × 0064 × 0065 × 0028 × 0020 × 0073 × 0020 × 0029 ÷
× 0063 × 006F × 0064 × 0065 × 007B × 0073 × 007D × 002E ÷
× 0063 × 006F × 0064 × 0065 × 007B × 0020 × 0073 × 0020 × 007D ÷
× 0063 × 006F × 0064 × 0028 × 0065 × 0029 × 2026 ÷ 0028 × 0073 × 0029 ÷
× 007B × 0063 × 006F × 0064 × 007B × 0065 × 007D × 2026 × 007D ÷ 0073 ÷
× 0028 × 0063 × 006F × 006E × 002D × 0029 × 006C × 0061 × 006E × 0067 ÷
× 0028 × 0063 × 006F × 006E × 0029 × 002D ÷ 006C × 0061 × 006E × 0067 ÷
× 007B × 0063 × 006F × 006E × 002D × 007D ÷ 006C × 0061 × 006E × 0067 ÷
× 0063 × 0072 × 0065 × 0301 × 0028 × 0065 × 0301 × 0029 ÷ 0028 × 0065 × 0029 ÷
× 0028 × 0068 × 0074 × 0074 × 0070 × 003A × 002F × 002F × 0029 × 0078 × 006E × 002D × 002D ÷ 0061 ÷
× 0028 × 0030 × 002C × 0031 × 0029 × 002B × 0028 × 0032 × 002C × 0033 × 0029 × 2295 × 0028 × 2212 × 0034 × 002C × 0035 × 0029 × 2296 × 0028 × 0036 × 002C × 0037 × 0029 ÷
× 007B × 0030 × 002C × 0031 × 007D × 002B × 007B × 0032 × 002C × 0033 × 007D ÷ 2295 × 007B × 2212 × 0034 × 002C × 0035 × 007D ÷ 2296 × 007B × 0036 × 002C × 0037 × 007D ÷
× 0073 × 0074 × 0061 × 0072 × 0074 × 0020 ÷ 002E × 0037 × 0038 × 0039 × 0020 ÷ 0065 × 006E × 0064 ÷
× 0024 × 002D × 0035 × 0020 ÷ 002D × 002E × 0033 × 0020 ÷ 00A3 × 0028 × 0031 × 0032 × 0033 × 002E × 0034 × 0035 × 0036 × 0029 × 0020 ÷ 0031 × 0032 × 0033 × 002E × 20AC × 0020 ÷ 002B × 002E × 0032 × 0035 × 0020 ÷ 0031 × 002F × 0032 ÷
× 5370 ÷ 672C ÷
× 4F4D × 3002 ÷ 8A18 ÷
× 967A × 300D ÷ 306E ÷
× 307E ÷ 0061 ÷ 672C ÷
× 3046 × 3000 ÷ 3048 × 3000 ÷ 304A × 300D ÷
× 0061 × 002E × 0032 × 0020 ÷ 672C ÷
× 0061 × 002E × 0032 × 3000 ÷ 672C ÷
× 0061 × 002E × 0032 × 3000 ÷ 0033 ÷
× 0061 × 0062 × 002E × 0020 ÷ 0032 ÷
× 0061 × 002E × 0032 × 3000 ÷ 300C ÷
× 306B ÷ 300C × 30D0 ÷ 0028 × 0062 × 0061 × 0029 × 300D ÷ 3084 ÷ 300C × 30B9 ÷
× 306F × 3001 ÷ 300C × 003D × 0072 × 0061 × 006E × 0064 × 0028 × 0029 × 300D ÷ 3068 ÷
× 3067 × 3001 ÷ 300C × 0021 × 300D ÷ 3068 ÷
× 5178 ÷ 300E × 30A6 × 30A3 ÷ 30AD ÷
× 0028 × 0073 × 0029 × 0020 ÷ 672C ÷
× 672C ÷ FF08 × 307E ÷
× 672C × 0020 ÷ 0028 × 0061 ÷
× 70B9 × 0020 ÷ 005B × 7DE8 ÷ 96C6 × 005D ÷
× 0070 ÷ FF08 × 30AF ÷ 30A4 × 30C3 ÷ 30AF × 30FB ÷ 30D6 ÷
× 0028 × 5370 ÷ 672C × 0029 ÷
× 0073 × 0029 × 300D ÷ 307E ÷
× 30C9 × 300D × FF09 × 3001 ÷ 30A8 ÷
× 30AF ÷ 0028 × 0061 × 0062 × 0020 ÷ 0063 × 0064 × 0029 × 300D ÷ 3082 ÷
× 8CA8 × 0029 × 0020 ÷ 002D × 0020 ÷ 0028 × 0070 × 006F ÷
× 91CF × 0029 × 0020 × 301C × 0020 ÷ 0028 × 0070 × 006F ÷
× 30C9 ÷ 91CD × FF09 × 0020 × 301C × 0020 ÷ 529B × 30FB ÷ 91CD ÷
× 0061 × 0062 × 0022 × FF08 × 307E ÷
× 306F × 0020 ÷ 0022 × 0073 × 0022 × 0020 ÷
× 306F × 3001 × 0022 × 0054 × 0068 × 0065 × 0020 ÷
× 0064 × 006F × 0067 × 0022 × 0020 ÷ 3092 ÷
× 0039 × 0030 × 0022 × 0020 ÷ 3068 ÷
× 672C × 003A × 0020 ÷ 30AF ÷
× 51FA ÷ 5178 × 003A × 0020 ÷ 30D5 ÷ 30EA × 30FC ÷ 767E ÷
× 5F8C × 2026 ÷ 306B ÷
× 3057 × 3087 ÷ 3046 × 3002 × 3002 × 3002 ÷
× 304D × 3001 × 0021 × 0021 × 3001 × 0021 × 0021 × 0021 ÷ 3068 ÷
× 306F × 3001 × 003F ÷ 3068 × 0021 ÷ 3092 ÷
× 305F × 3001 × 2049 ÷ 0028 × 0021 × 003F × 0029 ÷ 306E ÷
× 305F × 0020 ÷ 203D ÷ 3068 ÷
× 305B × FF01 ÷ 0031 × 0030 × 0030 × 0025 ÷ 306E ÷ 5B8C ÷
× 0032 × 0033 ÷ 672C ÷
× 4F8B × FF1A ÷ 00A3 × 0032 × 0033 ÷
× 8A18 ÷ 53F7 × 0020 ÷ 00A3 × 3002 ÷
× 307E × 3002 ÷ 0061 × 0062 × 0020 ÷
× 8A9E ÷ 306E ÷ 0069 × 006F ÷ 306E × 3001 ÷ 0032 ÷ 5B57 ÷ 3092 ÷
× 3001 ÷ 548C ÷
× 3057 × 3001 ÷ 0061 × 0062 ÷ 3068 ÷
"""


def _parse(line: str) -> tuple[str, list[int]]:
    """A LineBreakTest line as (text, break positions after the start)."""
    text, breaks = "", []
    for token in line.split()[1:]:
        if token == "÷":
            breaks.append(len(text))
        elif token != "×":
            text += chr(int(token, 16))
    return text, breaks


CASES = [_parse(line) for line in LINE_BREAK_TEST.strip().splitlines()]


def _positions(ops: list[bool]) -> list[int]:
    return [i for i, allowed in enumerate(ops) if allowed]


@pytest.mark.parametrize("text,expected", CASES, ids=[t for t, _ in CASES])
def test_uax14_matches_line_break_test(text: str, expected: list[int]) -> None:
    assert _positions(uax14_breaks(text)) == expected


# One sample of each class handled, for a randomised comparison with `uniseg`, which runs the
# whole of LineBreakTest.txt in its own test suite (the same Unicode 16.0 rules).
SAMPLES = "#a中、，。“”‘’「」（）()[]{}!?,.;:%$¥—…-–0123456789 \u00a0\u2060/・〜～«»\"'\u3000\u2024+\u2212"


def test_uax14_agrees_with_uniseg_on_random_strings() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        text = "".join(rng.choice(SAMPLES) for _ in range(rng.randint(1, 7)))
        expected = sorted(set(line_break_boundaries(text)) - {0})
        assert _positions(uax14_breaks(text)) == expected, text


def _marked(text: str) -> str:
    ops = break_opportunities(text)
    return "".join(("|" if ops[i] and i else "") + ch for i, ch in enumerate(text))


@pytest.mark.parametrize("text,expected", [
    # clreq #prohibition_rules_for_line_start_end: closing marks and pauses stay with what
    # precedes, opening marks with what follows; curly quotes are brackets in Chinese.
    ("年，迎来", "年，|迎|来"),
    ("的“一主六双”高", "的|“一|主|六|双”|高"),
    ("（一〇二三）。", "（一|〇|二|三）。"),
    # the middle dot is line-start prohibited (UAX #14 has it AI, breakable before)
    ("马克·吐温", "马|克·|吐|温"),
    # clreq §3.1.6: —— and …… are one unit; a break may come before or after ——
    ("发展——战略……好", "发|展|——|战|略……|好"),
])
def test_clreq_tailoring(text: str, expected: str) -> None:
    assert _marked(text) == expected


@pytest.mark.parametrize("text,expected", [
    # UAX #14 LB25 numbers with their affixes: 6%, 11.6%, 4,000, ¥5 never split (R3);
    # a number may part from the Han character after it, and 6%—7% only at the dash.
    ("增长6%—7%左右", "增|长|6%|—|7%|左|右"),
    ("达到94.7%。", "达|到|94.7%。"),
    ("4,000元", "4,000|元"),
    ("为¥5，", "为|¥5，"),
    ("32977元", "32977|元"),
    # GB style: no line ends with a currency sign or a slash, even before a space.
    ("价格 $ 5", "价|格 |$ 5"),
    ("甲/乙", "甲/乙"),
    # Latin words and URLs are not broken (R3); a space is a break opportunity.
    ("访问https://www.gov.cn/a-b，或", "访|问|https://www.gov.cn/a-b，|或"),
    ("the GDP growth", "the |GDP |growth"),
])
def test_unbreakable_sequences(text: str, expected: str) -> None:
    assert _marked(text) == expected


def test_segments_cover_the_text_and_keep_trailing_spaces() -> None:
    text = "2023 预期目标"
    spans = segments(text)
    assert "".join(text[a:b] for a, b in spans) == text
    assert [text[a:b] for a, b in spans] == ["2023 ", "预", "期", "目", "标"]
