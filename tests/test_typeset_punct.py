"""Full-width punctuation in Chinese context (clreq Appendix A; checker rule R10)."""

from __future__ import annotations

import pytest

from briefing.typeset import Change, normalise_punctuation


@pytest.mark.parametrize("source,expected", [
    # the reference spread's extraction: ASCII marks inside Chinese sentences
    ("思想为指导,全面贯彻", "思想为指导，全面贯彻"),
    ("速览之启航(一〇二三)", "速览之启航（一〇二三）"),
    ("本版撰稿:李峰 丁佳佳", "本版撰稿：李峰 丁佳佳"),
    ("城市建设水平大幅提升;开工", "城市建设水平大幅提升；开工"),
    ("真的吗?!好", "真的吗？！好"),
    ("国内生产总值(GDP)增长", "国内生产总值（GDP）增长"),
    # straight quotes pair by alternation
    ('落实"一主六双"战略,大力实施"四六四五"', "落实“一主六双”战略，大力实施“四六四五”"),
    ("他说'走'了", "他说‘走’了"),
])
def test_chinese_context_becomes_full_width(source: str, expected: str) -> None:
    assert normalise_punctuation(source)[0] == expected


@pytest.mark.parametrize("source", [
    "增长3.5%和4,000元,比分3:2",          # numbers keep their separators (the comma after 元 goes)
    "It's a \"test\", isn't it? (Yes!)",  # an English sentence is left alone
    "见https://www.jl.gov.cn/a?b=1,c=2",  # so is a URL
    "a.b@example.com",
])
def test_latin_numbers_and_urls_keep_ascii(source: str) -> None:
    fixed, _ = normalise_punctuation(source)
    for keep in ("3.5", "4,000", "3:2", "It's", '"test", isn', "(Yes!)", "b=1,c=2", "a.b@example.com"):
        if keep in source:
            assert keep in fixed


def test_changes_report_each_mark() -> None:
    fixed, changes = normalise_punctuation('甲,乙"丙"')
    assert fixed == "甲，乙“丙”"
    assert changes == [Change(1, ",", "，"), Change(3, '"', "“"), Change(5, '"', "”")]
    assert normalise_punctuation("已经是全角，没有改动。") == ("已经是全角，没有改动。", [])
