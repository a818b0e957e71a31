"""Editions: extends chains, selection, summaries, layout changes, large-print reflow, grey."""

from __future__ import annotations

import pytest
import yaml

from briefing.edition import Edition, describe, edition_names, resolve_edition
from briefing.errors import InputError
from briefing.layoutspec import MM, Layout, Region, Style
from briefing.load import parse_briefing, read_yaml
from briefing.model import KeywordBox, Paragraphs, Section

CONTENT = """\
title: 周报
pages:
  - layout: grid5
    regions:
      top:
        - banner: {text: 周报, id: banner}
      side:
        - figures: {title: 数字, items: [{label: 用电, value: "12"}], tags: [key]}
        - section: {heading: 分析, body: 长文, summary: 短文, tags: [key, detail]}
      main:
        - keywords:
            title: 要点
            items: [{lead: "甲;", text: 很长的说明}]
            summary: 一句话
            tags: [key]
        - text: {body: 附录, tags: [appendix]}
  - layout: grid5
    regions:
      main:
        - text: {body: 第二版, id: page-two, tags: [detail]}
editions:
"""


def grid5() -> Layout:
    regions = {"top": Region("top", 1, 5, 1, 6), "side": Region("side", 1, 2, 7, -1, text_columns=2),
               "main": Region("main", 3, 5, 7, -1, text_columns=3)}
    styles = {"body": Style("body", size=10.0), "banner": Style("banner", size=60.0, rows=4)}
    return Layout(name="grid5", width=270 * MM, height=390 * MM, margin_top=20 * MM, margin_bottom=15 * MM,
                  margin_inside=12 * MM, margin_outside=12 * MM, columns=5, gutter=4 * MM, pitch=16.0,
                  body_style="body", regions=regions, styles=styles)


@pytest.fixture
def source(tmp_path):
    """Returns a function: editions YAML -> (briefing, raw editions, layouts)."""
    def make(editions: str):
        path = tmp_path / "briefing.yaml"
        path.write_text(CONTENT + editions, encoding="utf-8")
        raw = read_yaml(path)
        return parse_briefing(raw, path), raw["editions"], {"grid5": grid5()}
    return make


def resolve(source, editions: str, name: str) -> tuple[Edition, object, dict]:
    briefing, raw, layouts = source(editions)
    return resolve_edition(raw, name, ref=briefing.ref), briefing, layouts


def blocks(briefing) -> list:
    return [(n, region, type(b).__name__) for n, page in enumerate(briefing.pages, 1)
            for region, bs in page.regions.items() for b in bs]


# ------------------------------------------------------------------ resolving
def test_base_edition_changes_nothing(source):
    briefing, raw, layouts = source("  public: {}\n")
    edition = resolve_edition(raw, None, ref=briefing.ref)
    assert edition == Edition()
    assert edition.apply(briefing, layouts) == (briefing, layouts)


def test_extends_chain_deep_merges_child_first(source):
    edition, *_ = resolve(source, """\
  a: {description: A, colour: grayscale, select: {tags: [key], pages: [1]}}
  b: {extends: a, profile: office, select: {exclude_tags: [appendix]}}
  c: {extends: b, description: C, select: {tags: [detail]}}
""", "c")
    assert edition.chain == ("c", "b", "a")
    assert (edition.description, edition.colour, edition.profile) == ("C", "grayscale", "office")
    # mappings merge key by key; lists are replaced by the child's
    assert edition.select.tags == ("detail",)
    assert edition.select.exclude_tags == ("appendix",)
    assert edition.select.pages == (1,)


def test_extends_base_ends_the_chain(source):
    edition, *_ = resolve(source, "  a: {extends: base, summary: true}\n", "a")
    assert edition.chain == ("a",) and edition.summary


def test_a_loop_of_extends_names_the_chain_and_line(source):
    briefing, raw, _ = source("  a: {extends: b}\n  b: {description: B,\n      extends: c}\n  c: {extends: a}\n")
    with pytest.raises(InputError) as err:
        resolve_edition(raw, "a", ref=briefing.ref)
    assert "loop: a → b → c → a" in err.value.message
    ref = err.value.ref
    assert ref.file.endswith("briefing.yaml")
    assert ref.line == CONTENT.count("\n") + 4        # the `extends: a` of edition c


def test_unknown_parent_and_unknown_edition(source):
    briefing, raw, _ = source("  a: {extends: b}\n  b: {extends: publc}\n")
    with pytest.raises(InputError) as err:
        resolve_edition(raw, "a", ref=briefing.ref)
    assert "extends unknown edition 'publc' (chain: a → b)" in err.value.message
    assert err.value.ref.line == CONTENT.count("\n") + 2
    with pytest.raises(InputError) as err:
        resolve_edition(raw, "c", ref=briefing.ref)
    assert "no edition 'c'" in err.value.message and "a, b" in err.value.hint


def test_extends_names_one_edition(source):
    briefing, raw, _ = source("  a: {extends: [b]}\n  b: {}\n")
    with pytest.raises(InputError, match="edition a: 'extends' must be text, found a list") as err:
        resolve_edition(raw, "a", ref=briefing.ref)
    assert err.value.ref.line == CONTENT.count("\n") + 1


def test_an_edition_that_is_not_a_mapping_names_its_line(source):
    briefing, raw, _ = source("  a: {summary: true}\n  b: public\n")
    with pytest.raises(InputError, match="edition b must be a mapping") as err:
        resolve_edition(raw, "b", ref=briefing.ref)
    assert err.value.ref.line == CONTENT.count("\n") + 2


@pytest.mark.parametrize("settings, message", [
    ("{colour: sepia}", "colour must be one of colour, grayscale, mono"),
    ("{profile: inkjet}", "profile must be one of press, newsprint, office, screen"),
    ("{columns: 0}", "columns must be a whole number of 1 or more"),
    ("{type_scale: -1}", "type_scale must be more than 0"),
    ("{paper: A9}", "unknown paper 'A9'"),
    ("{select: {tag: [key]}}", "unknown key 'tag'"),
    ("{select: {pages: [first]}}", "pages are page numbers"),
    ("{size: big}", "unknown key 'size'"),
])
def test_bad_settings_are_input_errors_with_a_line(source, settings, message):
    briefing, raw, _ = source(f"  x:\n    {settings}\n")
    with pytest.raises(InputError) as err:
        resolve_edition(raw, "x", ref=briefing.ref)
    assert message in err.value.message
    assert err.value.ref.line == CONTENT.count("\n") + 2


def test_base_is_a_reserved_name(source):
    briefing, raw, _ = source("  public: {}\n  base: {summary: true}\n")
    with pytest.raises(InputError, match="may not be called 'base'") as err:
        resolve_edition(raw, None, ref=briefing.ref)
    assert err.value.ref.line == CONTENT.count("\n") + 2


def test_edition_names_in_file_order(source):
    _, raw, _ = source("  zeta: {}\n  alpha: {}\n")
    assert edition_names(raw) == ["zeta", "alpha"] and edition_names(None) == []


# ------------------------------------------------------------------ content
def test_select_by_tag_drops_empty_regions_and_pages(source):
    edition, briefing, layouts = resolve(source, "  key: {select: {tags: [key]}}\n", "key")
    out, _ = edition.apply(briefing, layouts)
    assert blocks(out) == [(1, "side", "KeyFigures"), (1, "side", "Section"), (1, "main", "KeywordBox")]


def test_select_by_id_and_exclude(source):
    edition, briefing, layouts = resolve(
        source, "  x: {select: {ids: [banner, page-two], tags: [key], exclude_tags: [detail]}}\n", "x")
    out, _ = edition.apply(briefing, layouts)
    assert blocks(out) == [(1, "top", "Banner"), (1, "side", "KeyFigures"), (1, "main", "KeywordBox")]


def test_select_by_page(source):
    edition, briefing, layouts = resolve(source, "  x: {select: {pages: [2]}}\n", "x")
    out, _ = edition.apply(briefing, layouts)
    assert blocks(out) == [(1, "main", "Paragraphs")]


def test_selecting_what_does_not_exist_is_an_error(source):
    for select, what in (("{ids: [banner, baner]}", "id 'baner'"), ("{tags: [kye]}", "tag 'kye'"),
                         ("{pages: [3]}", "page 3")):
        edition, briefing, layouts = resolve(source, f"  x: {{select: {select}}}\n", "x")
        with pytest.raises(InputError) as err:
            edition.apply(briefing, layouts)
        assert f"selects {what}" in err.value.message
        assert err.value.ref.line == CONTENT.count("\n") + 1


def test_summary_replaces_bodies_that_have_one(source):
    edition, briefing, layouts = resolve(source, "  brief: {summary: true}\n", "brief")
    out, _ = edition.apply(briefing, layouts)
    side, main = out.pages[0].regions["side"], out.pages[0].regions["main"]
    section = next(b for b in side if isinstance(b, Section))
    assert "".join(s.text for p in section.paragraphs for s in p) == "短文"
    keywords = next(b for b in main if isinstance(b, KeywordBox))
    assert [(i.lead, "".join(s.text for s in i.text)) for i in keywords.items] == [("", "一句话")]
    untouched = next(b for b in main if isinstance(b, Paragraphs))
    assert untouched == briefing.pages[0].regions["main"][1]
    # the input is not changed
    original = next(b for b in briefing.pages[0].regions["side"] if isinstance(b, Section))
    assert "".join(s.text for p in original.paragraphs for s in p) == "长文"


# ------------------------------------------------------------------ layouts
def test_large_print_reflows_into_fewer_wider_columns(source):
    edition, briefing, layouts = resolve(source, "  large: {paper: A4, columns: 2, type_scale: 1.6}\n", "large")
    _, out = edition.apply(briefing, layouts)
    before, after = layouts["grid5"], out["grid5"]
    assert (round(after.width / MM), round(after.height / MM)) == (210, 297)
    assert after.columns == 2
    # each region keeps its share of the width: side 2 of 5 columns -> 1 of 2; main 3 of 5 -> 1 of 2
    assert [(r.col_start, r.col_end, r.text_columns) for r in after.regions.values()] == \
        [(1, 2, None), (1, 1, 1), (2, 2, 1)]
    assert after.body.size == 16.0 and after.style("banner").size == 96.0
    assert after.pitch == pytest.approx(16.0 * 1.6)
    assert (after.margin_inside, after.margin_outside, after.gutter) == \
        (before.margin_inside, before.margin_outside, before.gutter)
    assert after.margin_bottom == pytest.approx(before.margin_bottom * 1.6)   # room for the running foot
    # column width grows: 2 columns of A4 are wider than 5 of the tabloid, measured in body em
    old_measure = (before.width - 24 * MM - 4 * 4 * MM) / 5 / before.body.size
    new_measure = (after.width - 24 * MM - 4 * MM) / 2 / after.body.size
    assert new_measure > old_measure
    assert layouts["grid5"] == grid5()                   # the input layouts are not changed


def test_columns_that_leave_a_region_no_room_are_an_error(source):
    edition, briefing, layouts = resolve(source, "  one: {columns: 1}\n", "one")
    with pytest.raises(InputError) as err:
        edition.apply(briefing, layouts)
    assert "region 'side'" in err.value.message and "no column" in err.value.message
    assert err.value.ref.line == CONTENT.count("\n") + 1


def test_layout_swaps_every_page_and_checks_regions(source):
    edition, briefing, layouts = resolve(source, "  other: {layout: other}\n", "other")
    other = Layout(**{**grid5().__dict__, "name": "other"})
    out, _ = edition.apply(briefing, {**layouts, "other": other})
    assert [p.layout for p in out.pages] == ["other", "other"]
    narrow = Layout(**{**grid5().__dict__, "name": "other", "regions": {"main": Region("main", 1, 5, 1, -1)}})
    with pytest.raises(InputError) as err:
        edition.apply(briefing, {**layouts, "other": narrow})
    assert "has no region 'side'" in err.value.message and "regions of 'other': main" in err.value.hint
    with pytest.raises(InputError, match="no layout 'other'"):
        edition.apply(briefing, layouts)


def test_grayscale_and_profile(source):
    edition, briefing, layouts = resolve(source, "  gray: {colour: grayscale, profile: office}\n", "gray")
    assert (edition.colour, edition.profile) == ("grayscale", "office")
    assert edition.apply(briefing, layouts) == (briefing, layouts)


def test_describe_is_plain_yaml(source):
    edition, *_ = resolve(source, "  a: {select: {tags: [key]}, paper: A4}\n  b: {extends: a, type_scale: 1.6,"
                                  " colour: mono, description: 大字版}\n", "b")
    data = yaml.safe_load(yaml.safe_dump(describe(edition), allow_unicode=True))
    assert data == {"name": "b", "description": "大字版", "extends": ["a"], "select": {"tags": ["key"]},
                    "summary": False, "layout": None, "paper": "A4", "columns": None, "type_scale": 1.6,
                    "colour": "mono", "profile": None}


def test_the_cli_shows_a_resolved_edition(source, tmp_path, capsys):
    from briefing.cli import main

    source("  a: {colour: grayscale}\n  b: {extends: a, summary: true}\n")
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "grid5.yaml").write_text("name: grid5\ncolumns: 5\nstyles: {body: {size: 10pt}}\nregions:\n"
                                        "  top: {columns: 1-5, rows: 1-6}\n  side: {columns: 1-2, rows: 7-end}\n"
                                        "  main: {columns: 3-5, rows: 7-end}\n", encoding="utf-8")
    assert main(["config", "show", str(tmp_path), "--edition", "b"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out)["editions"]["b"]
    assert shown["extends"] == ["a"] and shown["colour"] == "grayscale" and shown["summary"] is True
