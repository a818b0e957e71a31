"""Data loading: messy statistics exports, encodings, selections, and errors that point at cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.data import format_number, load_table, parse_cell
from briefing.errors import DataError, SourceRef

FIXTURES = Path(__file__).parent / "fixtures" / "data"
JILIN = Path(__file__).parent.parent / "data" / "jilin-2023"
MESSY = FIXTURES / "messy-wide-gbk.csv"


def test_messy_gbk_export_loads_without_options():
    """This test ensures that a GBK export with a title, a unit line and footnotes loads as its table."""
    table = load_table(MESSY)
    assert table.columns == ("指标", "2020年", "2021年", "2022年", "增长")
    assert table.units == ("", "亿元", "亿元", "亿元", "%")
    assert table.rows[0] == ("地区生产总值", 1200.5, 1300.0, 1355.2, 4.2)
    assert table.rows[1] == ("第一产业", 150.0, None, 162.7, None)      # '-' and '…' are missing
    assert table.lines == (4, 5, 6)
    assert table.skipped == ("row 1: title lines", "row 2: unit line '单位：亿元'", "row 7: blank",
                             "row 8: footnote '注：本表为测试用示例数据…'", "row 9: footnote '资料来源：示例统计局。'")


def test_explicit_encoding_is_honoured(tmp_path):
    """This test ensures that a given encoding is used, and a wrong one is reported with its row."""
    assert load_table(MESSY, encoding="gbk").rows == load_table(MESSY).rows
    with pytest.raises(DataError) as err:
        load_table(MESSY, encoding="utf-8")
    assert "row 1" in str(err.value) and "utf-8" in str(err.value)


def test_gb18030_file_written_here_is_detected(tmp_path):
    """This test ensures that GB18030 bytes (not valid UTF-8) are detected without an encoding."""
    path = tmp_path / "收入.csv"
    path.write_bytes("类别,收入(元)\n城镇,\"32,977\"\n".encode("gb18030"))
    table = load_table(path)
    assert table.rows == (("城镇", 32977.0),)
    assert table.unit("收入") == "元"


def test_utf8_with_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeff类别,值\n甲,1\n".encode("utf-8"))
    assert load_table(path).columns == ("类别", "值")


def test_header_and_rows_by_number():
    """This test ensures that header_row and an inclusive 'first:last' row range pick exactly those rows."""
    table = load_table(MESSY, header_row=3, data_rows="5:5")
    assert [row[0] for row in table.rows] == ["第一产业"]
    assert "row 4: outside the selected rows" in table.skipped
    assert load_table(MESSY, data_rows=(5, None)).lines == (5, 6)


def test_bad_row_range_is_an_error():
    with pytest.raises(DataError, match="expected 'first:last'"):
        load_table(MESSY, data_rows="9:3")


def test_columns_pick_and_order():
    table = load_table(MESSY, columns=["2022年", "指标"])
    assert table.columns == ("2022年", "指标")
    assert table.rows[0] == (1355.2, "地区生产总值")


def test_transpose_wide_to_long_keeps_cell_locations():
    """This test ensures that after a transpose an error still names the source row and column."""
    table = load_table(MESSY, columns=["指标", "2020年", "2021年"], transpose=True)
    assert table.columns == ("指标", "地区生产总值", "第一产业", "第二产业")
    assert table.rows == (("2020年", 1200.5, 150.0, "约400"), ("2021年", 1300.0, None, 410.0))
    assert table.units[1] == "亿元"
    with pytest.raises(DataError) as err:
        table.numeric("第二产业")
    assert str(err.value) == f"{MESSY} row 6, column '2020年': expected a number, found '约400'"


def test_non_numeric_cell_names_file_row_and_column():
    ref = SourceRef("briefing.yaml", 12, 5)
    with pytest.raises(DataError) as err:
        load_table(MESSY).numeric("2020年", ref)
    assert err.value.ref == ref
    assert err.value.message == f"{MESSY} row 6, column '2020年': expected a number, found '约400'"


def test_missing_file():
    ref = SourceRef("briefing.yaml", 3)
    with pytest.raises(DataError) as err:
        load_table(FIXTURES / "nope.csv", ref=ref)
    assert "nope.csv" in str(err.value) and str(err.value).startswith("briefing.yaml:3:")


def test_missing_column_lists_available_ones():
    with pytest.raises(DataError) as err:
        load_table(MESSY).column("2023年")
    assert "messy-wide-gbk.csv" in err.value.message and "'2023年'" in err.value.message
    assert "'2020年'" in err.value.hint and "'增长'" in err.value.hint


def test_column_by_header_as_written():
    assert load_table(MESSY).column("增长（%）") == (4.2, None, 5.6)


def test_empty_series_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("类别,值\n甲,…\n乙,-\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_table(path).numeric("值")
    assert "empty.csv" in str(err.value) and "column '值'" in str(err.value) and "no values" in str(err.value)


def test_missing_value_not_allowed_names_the_cell():
    with pytest.raises(DataError) as err:
        load_table(MESSY).numeric("2021年", allow_missing=False)
    assert err.value.message == f"{MESSY} row 5, column '2021年': expected a number, found an empty cell"


def test_mismatched_column_lengths_in_json():
    with pytest.raises(DataError) as err:
        load_table(FIXTURES / "uneven.json")
    assert "uneven.json" in str(err.value) and "'城市': 3" in str(err.value) and "'人口(万人)': 2" in str(err.value)


def test_yaml_records_and_json_columns():
    records = load_table(FIXTURES / "records.yaml")
    assert records.columns == ("城市", "人口") and records.units == ("", "万人")
    assert records.column("人口") == (120.0, 1050.0, None)
    assert load_table(FIXTURES / "columns.json").rows == (("甲", 120.0), ("乙", 1050.0))


def test_yaml_record_errors_are_numbered_by_record(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- {城市: 甲, 人口: 12}\n- {城市: 乙, 人口: 很多}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.yaml record 2, column '人口': expected a number, found '很多'"):
        load_table(path).numeric("人口")


def test_duplicate_header_is_an_error(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("标题行\n甲,乙,甲\n1,2,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="dup.csv row 2: column '甲' appears twice"):
        load_table(path)


def test_messy_income_export_matches_the_clean_file():
    """This test ensures that the flagship's messy GB18030 income export gives the clean file's numbers."""
    clean = load_table(JILIN / "income-2022.csv")
    messy = load_table(JILIN / "income-messy-gbk.csv")
    assert messy.column("类别") == clean.column("类别")
    assert messy.numeric("2022年") == clean.numeric("人均可支配收入") == (32977.0, 17759.0)
    assert messy.unit("2022年") == clean.unit("人均可支配收入") == "元"
    assert messy.column("2021年") == (None, None)


@pytest.mark.parametrize("text, value", [
    ("32,977", 32977.0), ("１２.５", 12.5), ("4.2%", 4.2), ("−3", -3.0), ("1,234,567", 1234567.0),
    ("…", None), ("-", None), ("", None), ("约5", "约5"), ("2022年", "2022年"), ("1,2", "1,2"),
])
def test_parse_cell(text, value):
    assert parse_cell(text) == value


@pytest.mark.parametrize("value, kwargs, text", [
    (32977, {}, "32,977"),
    (1.2e9, {"unit": "元"}, "12亿元"),
    (1_160_000, {"unit": "头"}, "116万头"),
    (116, {"unit": "万头"}, "116万头"),
    (4, {"unit": "万头"}, "4万头"),
    (40000, {"unit": "万元"}, "4亿元"),
    (5000, {"unit": "万元"}, "5000万元"),
    (2023, {}, "2023"),
    (94.7, {"unit": "%"}, "94.7%"),
    (32977, {"scale": "万", "decimals": 2}, "3.30万"),
    (-1234567.891, {"scale": None}, "-1,234,567.89"),
    (32977, {"thousands": False}, "32977"),
    (None, {"unit": "元"}, "—"),
])
def test_format_number(value, kwargs, text):
    assert format_number(value, **kwargs) == text
