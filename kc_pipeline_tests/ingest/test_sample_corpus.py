"""The reader against ground truth: every sample workbook, every layout, every expected value."""

from collections import Counter
from pathlib import Path

import pytest

from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.reference import load_reference
from kc_pipeline.samples import GeneratedFile, generate_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[GeneratedFile]:
    return generate_corpus(tmp_path_factory.mktemp("corpus"))


def test_every_sample_file_is_read_exactly(corpus: list[GeneratedFile]) -> None:
    reference = load_reference()
    mismatches: list[str] = []
    layouts: Counter[str] = Counter()
    for generated in corpus:
        layouts[generated.layout] += 1
        result = read_workbook(generated.path, reference)
        assert result.status == "read", (generated.path, result.error)
        errors = [i for i in result.issues if i.severity == "ERROR"]
        assert not errors, (generated.path, errors)
        assert result.unit_code == generated.unit_code and result.year == generated.year
        got = {(row.source_sheet, row.source_row): row for row in result.rows}
        assert len(got) == len(generated.expected), generated.path
        for expected in generated.expected:
            row = got.get((expected["source_sheet"], expected["source_row"]))
            if row is None:
                mismatches.append(
                    f"{generated.path}: no row at {expected['source_sheet']}!{expected['source_row']}"
                )
                continue
            for key, value in expected.items():
                if getattr(row, key) != value:
                    mismatches.append(
                        f"{generated.path}:{row.source_row} {key}: {getattr(row, key)!r} != {value!r}"
                    )
    assert not mismatches, "\n".join(mismatches[:20])
    assert set(layouts) >= {
        "one_row_header",
        "two_row_header",
        "sections",
        "sheet_per_source",
        "text_amounts",
        "legacy_tcvn3",
        "legacy_vni",
    }


def test_every_row_of_every_read_sheet_is_accounted_for(corpus: list[GeneratedFile]) -> None:
    """Promise P1 at the reader: each row is a project or ignored by a named rule, exactly once."""
    reference = load_reference()
    for generated in corpus:
        result = read_workbook(generated.path, reference)
        assert result.rows_read == len(result.rows) + len(result.ignored), generated.path
        for sheet in result.sheets:
            seen = sorted(
                [r.source_row for r in result.rows if r.source_sheet == sheet.name]
                + [i.source_row for i in result.ignored if i.source_sheet == sheet.name]
            )
            assert seen == list(range(1, sheet.rows_read + 1)), (generated.path, sheet.name)


def test_legacy_workbooks_are_converted_and_recorded(corpus: list[GeneratedFile]) -> None:
    legacy = [g for g in corpus if g.legacy_encoding]
    assert {g.legacy_encoding for g in legacy} == {"tcvn3", "vni"}
    for generated in legacy:
        result = read_workbook(generated.path)
        assert all(row.converted == generated.legacy_encoding for row in result.rows)
        assert any(i.code == "legacy_text_converted" for i in result.issues)


def test_corpus_is_written_under_year_and_unit_folders(corpus: list[GeneratedFile]) -> None:
    slugs = {u.unit_code: u.slug for u in load_reference().units.values()}
    for generated in corpus:
        assert generated.path.parent.name == slugs[generated.unit_code]
        assert generated.path.parent.parent.name == str(generated.year)
        assert isinstance(generated.path, Path)
