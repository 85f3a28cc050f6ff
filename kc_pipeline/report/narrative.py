"""The narrative staff write today, drafted from the warehouse in the seed report's structure.

"Kết quả hoạt động Khuyến công địa phương: thực hiện N đề án." then one paragraph per programme
with its activities in the staff's own wording (``data/reference/report_phrases.csv``, editable),
the same for the national programme, funding in triệu đồng, and a sentence on the trend only when
the numbers bear it out. Counts under ten are written with two digits, as in the seed.
"""

from __future__ import annotations

import csv
import string
from pathlib import Path

import pandas as pd

from kc_pipeline.reference import ReferenceDataError
from kc_pipeline.report.data import ReportData

PHRASES_FILE = "report_phrases.csv"
SOURCES = (("KCDP", "Kết quả hoạt động Khuyến công địa phương"),
           ("KCQG", "Kết quả hoạt động Khuyến công quốc gia tại địa bàn"))  # fmt: skip
PLACEHOLDERS = frozenset({"projects", "trainees", "models", "clusters", "support_trieu"})


def count(n: int) -> str:
    """Counts from one to nine with two digits, as the seed writes them ("09 đề án"); zero as "0"."""
    return f"{n:02d}" if 0 < n < 10 else f"{n:,}".replace(",", ".")


def trieu(vnd: int | float) -> str:
    """Đồng as triệu đồng in Vietnamese notation: 13947100000 -> "13.947,1"."""
    text = f"{vnd / 1_000_000:,.1f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".").removesuffix(",0")


def load_phrases(directory: Path) -> dict[str, str]:
    path = directory / PHRASES_FILE
    if not path.is_file():
        raise ReferenceDataError(f"{path}: reference file is missing")
    phrases: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            fields = {name for _, name, _, _ in string.Formatter().parse(row["phrase"]) if name}
            if not fields <= PLACEHOLDERS:
                raise ReferenceDataError(
                    f"{path}:{reader.line_num}: unknown placeholder(s) {sorted(fields - PLACEHOLDERS)} "
                    f"(allowed: {', '.join(sorted(PLACEHOLDERS))})"
                )
            phrases[row["activity_code"]] = row["phrase"]
    return phrases


def _phrase(template: str, part: pd.DataFrame) -> str:
    values = {
        "projects": count(int(part["projects"].sum())),
        "trainees": count(int(part["trainees"].sum())),
        "models": count(int(part["models"].sum()) or int(part["projects"].sum())),
        "clusters": count(int(part["clusters"].sum()) or int(part["projects"].sum())),
        "support_trieu": trieu(int(part["support_vnd"].sum())),
    }
    return template.format(**values)


def funding_paragraphs(data: ReportData, phrases: dict[str, str]) -> list[str]:
    reference = data.reference
    programme_order = list(reference.programmes)
    activity_order = list(reference.activities)
    out: list[str] = []
    for source, heading in SOURCES:
        part = data.summary[data.summary["funding_source"] == source]
        if part.empty:
            continue
        out.append(
            f"{heading}: thực hiện {count(int(part['projects'].sum()))} đề án, kinh phí khuyến công hỗ trợ "
            f"{trieu(int(part['support_vnd'].sum()))} triệu đồng."
        )
        programmes = sorted(part["programme_code"].unique(), key=programme_order.index)
        for i, programme in enumerate(programmes):
            rows = part[part["programme_code"] == programme]
            activities = sorted(rows["activity_code"].unique(), key=activity_order.index)
            texts = [
                _phrase(phrases.get(a, "{projects} đề án"), rows[rows["activity_code"] == a])
                for a in activities
            ]
            end = "." if i == len(programmes) - 1 else ";"
            out.append(f"{reference.programmes[programme].name_vi}: {'; '.join(texts)}{end}")
    return out


def trend_sentence(data: ReportData) -> str | None:
    """Written only when every year of the period is higher than the one before it."""
    rows = data.trend[data.trend["funding_source"] == "ALL"].sort_values("year")
    years = rows["year"].tolist()
    if len(years) < 2 or years != list(range(years[0], years[-1] + 1)):
        return None
    later = rows.iloc[1:]
    more_projects = bool((later["projects_change"] > 0).all())
    more_money = bool((later["support_change_vnd"] > 0).all())
    span = f"Trong giai đoạn {years[0]}-{years[-1]}"
    if more_projects and more_money:
        return (
            f"{span}, số đề án triển khai thực hiện và nguồn kinh phí khuyến công hỗ trợ ngày càng tăng, "
            "năm sau cao hơn năm trước."
        )
    if more_money:
        return f"{span}, nguồn kinh phí khuyến công hỗ trợ ngày càng tăng, năm sau cao hơn năm trước."
    if more_projects:
        return f"{span}, số đề án triển khai thực hiện ngày càng tăng, năm sau cao hơn năm trước."
    return None


def narrative(data: ReportData) -> str:
    """The report in Markdown; numbers from ``data.summary`` only."""
    lines = [f"# Báo cáo kết quả hoạt động khuyến công {data.period} – {data.unit_name}", ""]
    if data.empty:
        lines.append("Chưa có đề án nào được ghi nhận trong giai đoạn này.")
        return "\n".join(lines) + "\n"
    for paragraph in funding_paragraphs(data, load_phrases(data.reference.directory)):
        lines += [paragraph, ""]
    totals = data.summary
    trainees = int(totals["trainees"].sum())
    lines.append(
        f"Tổng cộng: {count(int(totals['projects'].sum()))} đề án, kinh phí khuyến công hỗ trợ "
        f"{trieu(int(totals['support_vnd'].sum()))} triệu đồng, kinh phí đối ứng của các cơ sở "
        f"{trieu(int(totals['counterpart_vnd'].sum()))} triệu đồng"
        + (f"; đào tạo cho {count(trainees)} lao động, học viên." if trainees else ".")
    )
    lines.append("")
    by_year = totals.groupby("year")[["projects", "support_vnd"]].sum()
    if len(by_year) > 1:
        lines.append(
            "Theo năm: "
            + "; ".join(
                f"năm {year}: {count(int(r.projects))} đề án, {trieu(int(r.support_vnd))} triệu đồng"
                for year, r in by_year.iterrows()
            )
            + "."
        )
        lines.append("")
    sentence = trend_sentence(data)
    if sentence:
        lines += [sentence, ""]
    return "\n".join(lines)
