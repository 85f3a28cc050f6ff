"""The narrative against the aggregates: the seed's structure, its wording, and numbers that agree."""

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kc_pipeline.aggregate.rebuild import replace_table
from kc_pipeline.aggregate.yearly import yearly_summary_rows
from kc_pipeline.reference import load_reference
from kc_pipeline.report.data import ReportData, load_report_data
from kc_pipeline.report.narrative import count, narrative, trieu
from kc_pipeline.warehouse.loader import load_unit_year
from kc_pipeline.warehouse.schema import out_yearly_summary
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING, WORKSHOP
from kc_pipeline_tests.warehouse.batches import batch, district_file, project

STUDY = "Tham quan khảo sát học tập kinh nghiệm làng nghề"


def load(
    engine: Engine, tmp_path: Path, year: int, projects: list[list], unit: str = "171", slug: str = "dai-tu"
) -> None:
    path = district_file(tmp_path / str(year) / slug / "a.xlsx", projects)
    load_unit_year(engine, unit, year, *batch(path))


def report(engine: Engine, first: int, last: int) -> ReportData:
    with engine.connect() as conn:
        rows = yearly_summary_rows(conn)
    replace_table(engine, out_yearly_summary, rows)
    return load_report_data(engine, load_reference(), first, last)


def test_numbers_and_wording_follow_the_seed(warehouse_engine: Engine, tmp_path: Path) -> None:
    load(
        warehouse_engine,
        tmp_path,
        2021,
        [
            project(1, MACHINE + " 1", 100_000_000),
            project(2, MACHINE + " 2", 50_500_000),
            project(3, WORKSHOP + " 3", 20_000_000),
            project(4, STUDY + " 4", 30_000_000),
            project(5, TRAINING + " 5", 40_000_000, trainees=125, funding="KCQG"),
        ],
    )
    text = narrative(report(warehouse_engine, 2021, 2021))
    assert (
        "Kết quả hoạt động Khuyến công địa phương: thực hiện 04 đề án, kinh phí khuyến công hỗ trợ "
        "200,5 triệu đồng." in text
    )
    assert (
        "Chương trình nâng cao năng lực quản lý cho các cơ sở công nghiệp nông thôn, nhận thức và năng lực "
        "áp dụng sản xuất sạch hơn: Hỗ trợ tổ chức hội thảo tập huấn 01 đề án; Hỗ trợ tham quan khảo sát "
        "trong nước: 01 đề án;"
    ) in text
    assert "Hỗ trợ chuyển giao ứng dụng máy móc thiết bị hiện đại, công nghệ tiên tiến 02 đề án." in text
    assert "Kết quả hoạt động Khuyến công quốc gia tại địa bàn: thực hiện 01 đề án" in text
    assert (
        "Chương trình đào tạo nghề, truyền nghề và nâng cao tay nghề: 01 đề án đào tạo nghề cho 125 lao động."
        in text
    )
    assert text.index("Khuyến công địa phương") < text.index("Khuyến công quốc gia")
    assert "năm sau cao hơn năm trước" not in text  # one year: nothing to compare
    assert "đối ứng của các cơ sở 200,5 triệu đồng; đào tạo cho 125 lao động, học viên." in text


def test_the_total_line_names_no_training_when_nobody_was_trained(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    load(warehouse_engine, tmp_path, 2021, [project(1, MACHINE + " 1", 100_000_000)])
    text = narrative(report(warehouse_engine, 2021, 2021))
    total = next(line for line in text.splitlines() if line.startswith("Tổng cộng:"))
    assert total.endswith("triệu đồng.") and "lao động" not in total and " 00 " not in text


def test_every_count_in_the_narrative_matches_the_summary(warehouse_engine: Engine, tmp_path: Path) -> None:
    load(
        warehouse_engine, tmp_path, 2021, [project(i, f"{MACHINE} {i}", 60_000_000 + i) for i in range(1, 13)]
    )
    load(
        warehouse_engine,
        tmp_path,
        2021,
        [project(1, TRAINING + " x", 30_000_000, trainees=40)],
        "170",
        "vo-nhai",
    )
    data = report(warehouse_engine, 2021, 2021)
    text = narrative(data)
    local = data.summary[data.summary["funding_source"] == "KCDP"]
    assert f"thực hiện {count(int(local['projects'].sum()))} đề án" in text
    assert f"{trieu(int(local['support_vnd'].sum()))} triệu đồng" in text
    machinery = int(local[local["activity_code"] == "machinery_transfer"]["projects"].sum())
    assert machinery == 12 and f"công nghệ tiên tiến {machinery} đề án" in text
    stated = sum(int(n) for n in re.findall(r"(\d+) đề án đào tạo nghề", text))
    assert stated == int(local[local["activity_code"] == "vocational_training"]["projects"].sum())


@pytest.mark.parametrize(
    ("supports", "sentence"),
    [
        (
            [[100], [100, 120], [100, 120, 130]],
            "số đề án triển khai thực hiện và nguồn kinh phí khuyến công hỗ trợ "
            "ngày càng tăng, năm sau cao hơn năm trước.",
        ),
        (
            [[100], [300], [400]],
            "nguồn kinh phí khuyến công hỗ trợ ngày càng tăng, năm sau cao hơn năm trước.",
        ),
        ([[100, 100], [300], [100, 10]], None),  # projects fell in 2022, support fell in 2023
    ],
)
def test_the_trend_sentence_is_written_only_when_the_data_bear_it_out(
    warehouse_engine: Engine, tmp_path: Path, supports: list[list[int]], sentence: str | None
) -> None:
    for offset, amounts in enumerate(supports):
        year = 2021 + offset
        load(
            warehouse_engine,
            tmp_path,
            year,
            [project(i, f"{MACHINE} {year} {i}", a * 1_000_000) for i, a in enumerate(amounts, 1)],
        )
    text = narrative(report(warehouse_engine, 2021, 2023))
    if sentence is None:
        assert "năm sau cao hơn năm trước" not in text
    else:
        assert f"Trong giai đoạn 2021-2023, {sentence}" in text


def test_counts_under_ten_have_two_digits_and_money_is_vietnamese() -> None:
    assert [count(n) for n in (0, 1, 6, 9, 10, 146, 1250)] == ["0", "01", "06", "09", "10", "146", "1.250"]
    assert (
        trieu(13_947_100_000) == "13.947,1" and trieu(200_000_000) == "200" and trieu(150_500_000) == "150,5"
    )
