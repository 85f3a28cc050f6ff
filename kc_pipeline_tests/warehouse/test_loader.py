"""Loading with history, on SQLite and on PostgreSQL (the same tests run against both)."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from kc_pipeline.warehouse.loader import load_unit_year
from kc_pipeline_tests.validate.workbooks import MACHINE
from kc_pipeline_tests.warehouse.batches import A, B, C, D, batch, district_file, project

UNIT, YEAR = "171", 2021


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a load writes, for before/after comparisons."""
    out = {}
    with engine.connect() as conn:
        for table, order in (
            ("core_projects", "id"),
            ("core_source_files", "file_id"),
            ("core_quarantined_rows", "id"),
            ("core_loads", "id"),
        ):
            out[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]
    return out


def current(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM core_projects WHERE valid_to IS NULL")).mappings()
        return {r["title"]: dict(r) for r in rows}


def test_load_then_same_bytes_again_changes_nothing(warehouse_engine: Engine, tmp_path: Path) -> None:
    path = district_file(tmp_path / "2021" / "dai-tu" / "a.xlsx", [A, B, C])
    first = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(path))
    assert (first.inserted, first.updated, first.unchanged, first.closed) == (3, 0, 0, 0)
    before = snapshot(warehouse_engine)
    again = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(path))
    assert again.nothing_changed and (again.inserted, again.updated, again.closed) == (0, 0, 0)
    assert again.unchanged == 3
    assert snapshot(warehouse_engine) == before
    projects = current(warehouse_engine)
    assert projects[MACHINE + " A"]["support_vnd"] == 100_000_000
    assert projects[MACHINE + " A"]["unit_code"] == UNIT and projects[MACHINE + " A"]["year"] == YEAR


def test_every_timestamp_of_a_project_is_written_alike(warehouse_engine: Engine, tmp_path: Path) -> None:
    """On SQLite timestamps are text: valid_from and valid_to in one format compare as times do."""
    first = district_file(tmp_path / "v1" / "2021" / "dai-tu" / "a.xlsx", [A, B])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(first), now=datetime(2021, 12, 1, 9, 0, tzinfo=UTC))
    second = district_file(tmp_path / "v2" / "2021" / "dai-tu" / "a.xlsx", [A])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(second), now=datetime(2021, 12, 2, 9, 0, 0, 5, UTC))
    with warehouse_engine.connect() as conn:
        sql = (
            "SELECT valid_from, valid_to, valid_to > valid_from FROM core_projects WHERE valid_to IS NOT NULL"
        )
        closed = conn.execute(text(sql)).one()
        loaded_at = conn.execute(text("SELECT MAX(loaded_at) FROM core_source_files")).scalar_one()
    assert closed[2]
    if warehouse_engine.dialect.name == "sqlite":  # as SQLAlchemy writes loaded_at and valid_to
        second_load = "2021-12-02 09:00:00.000005"
        assert (closed[0], closed[1], loaded_at) == ("2021-12-01 09:00:00.000000", second_load, second_load)


def test_a_corrected_resubmission_gives_exactly_the_expected_versions(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    first = district_file(tmp_path / "v1" / "2021" / "dai-tu" / "a.xlsx", [A, B, C])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(first))
    changed_a = project(1, MACHINE + " A", 110_000_000, beneficiary=A[2])  # same project, new amount
    second = district_file(tmp_path / "v2" / "2021" / "dai-tu" / "a.xlsx", [changed_a, C, D])  # B removed
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(second))
    assert (summary.inserted, summary.updated, summary.unchanged, summary.closed) == (1, 1, 1, 1)
    assert summary.superseded_files == 1
    with warehouse_engine.connect() as conn:
        versions = conn.execute(
            text(
                "SELECT title, support_vnd, valid_to IS NULL AS is_current FROM core_projects "
                "ORDER BY title, valid_from"
            )
        ).all()
        files = dict(conn.execute(text("SELECT path, status FROM core_source_files")).all())
    by_title: dict[str, list[tuple[int, bool]]] = {}
    for title, support, is_current in versions:
        by_title.setdefault(title, []).append((support, bool(is_current)))
    assert by_title[MACHINE + " A"] == [(100_000_000, False), (110_000_000, True)]
    assert by_title[MACHINE + " B"] == [(120_000_000, False)]  # closed, never deleted
    assert [current for _, current in by_title[C[1]]] == [True]  # unchanged: one version
    assert by_title[MACHINE + " D"] == [(90_000_000, True)]
    assert sorted(files.values()) == ["loaded", "superseded"]


def test_a_second_file_adds_and_a_removed_file_closes(warehouse_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "2021" / "dai-tu"
    national = district_file(folder / "kcqg.xlsx", [project(1, MACHINE + " QG", 300_000_000, funding="KCQG")])
    local = district_file(folder / "kcdp.xlsx", [A, B])
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(national, local))
    assert summary.inserted == 3 and set(current(warehouse_engine)) == {MACHINE + " QG", A[1], B[1]}
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(local))  # kcqg.xlsx taken out of the folder
    assert (summary.closed, summary.unchanged, summary.superseded_files) == (1, 2, 1)
    assert set(current(warehouse_engine)) == {A[1], B[1]}


@pytest.mark.parametrize("validated", ["together", "apart"])
def test_the_same_project_in_two_current_files_is_a_conflict_on_both(
    warehouse_engine: Engine, tmp_path: Path, validated: str
) -> None:
    """Validated together (a run validates a unit-year's files as one batch), validation
    quarantines both copies; validated apart, the loader's own guard does the same."""
    folder = tmp_path / "2021" / "dai-tu"
    one = district_file(folder / "one.xlsx", [A, B])
    two = district_file(folder / "two.xlsx", [A, D])
    if validated == "together":
        files, rows = batch(one, two)
    else:
        (files_one, rows_one), (files_two, rows_two) = batch(one), batch(two)
        files, rows = files_one + files_two, rows_one + rows_two
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, files, rows)
    assert summary.inserted == 2 and summary.quarantined == 2
    assert summary.conflicts == (0 if validated == "together" else 2)
    assert set(current(warehouse_engine)) == {B[1], D[1]}
    with warehouse_engine.connect() as conn:
        reasons = [
            json.loads(r) for r in conn.execute(text("SELECT reasons FROM core_quarantined_rows")).scalars()
        ]
    assert len(reasons) == 2 and all(any(x["check"] == "project_key_conflict" for x in r) for r in reasons)
    if validated == "apart":
        assert {d["file_id"] for d in summary.conflict_details} == {f["file_id"] for f in files}
    messages = sorted(x["message"] for r in reasons for x in r if x["check"] == "project_key_conflict")
    assert [m.split(" (sheet")[0] for m in messages] == [
        "the same project is also in one.xlsx",
        "the same project is also in two.xlsx",
    ]  # the other copy by the name a clerk knows, with its sheet and row
    assert all(m.endswith("(sheet 'Sheet', row 5) of this unit-year; correct one of them") for m in messages)


def test_a_row_no_longer_quarantined_leaves_the_quarantine(warehouse_engine: Engine, tmp_path: Path) -> None:
    """The conflict resolved by taking the other file away: the row loads, and nobody is asked to
    correct it any more; the other file's row stays recorded with its superseded file."""
    folder = tmp_path / "2021" / "dai-tu"
    one = district_file(folder / "one.xlsx", [A, B])
    two = district_file(folder / "two.xlsx", [A, D])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(one, two))
    two.unlink()
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(one))
    assert summary.quarantined == 0 and set(current(warehouse_engine)) == {A[1], B[1]}
    with warehouse_engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT f.path, f.status FROM core_quarantined_rows q JOIN core_source_files f "
                "ON f.file_id = q.source_file_id AND f.unit_code = q.unit_code AND f.year = q.year"
            )
        ).all()
    assert [(Path(p).name, status) for p, status in left] == [("two.xlsx", "superseded")]


def test_quarantined_and_rejected_are_recorded_with_reasons(warehouse_engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "2021" / "dai-tu"
    good = district_file(folder / "good.xlsx", [A, project(2, "", 5_000_000)])  # the second has no title
    empty = folder / "empty.xlsx"
    empty.write_bytes(b"")
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(good, empty))
    assert summary.inserted == 1 and summary.quarantined == 1
    with warehouse_engine.connect() as conn:
        files = {r.path.rsplit("/", 1)[-1]: r for r in conn.execute(text("SELECT * FROM core_source_files"))}
        [quarantined] = conn.execute(text("SELECT * FROM core_quarantined_rows")).mappings().all()
    assert files["empty.xlsx"].status == "rejected" and files["empty.xlsx"].error.startswith("empty_file")
    assert files["good.xlsx"].status == "loaded"
    assert (files["good.xlsx"].rows_loaded, files["good.xlsx"].rows_quarantined) == (1, 1)
    read = files["good.xlsx"]
    assert read.rows_read == read.rows_loaded + read.rows_quarantined + read.rows_ignored
    assert quarantined["source_row"] == 6 and quarantined["source_file_id"] == files["good.xlsx"].file_id
    assert json.loads(quarantined["raw"])["Kinh phí khuyến công hỗ trợ"] == 5_000_000
    assert any(r["check"] == "title_not_null" for r in json.loads(quarantined["reasons"]))


def test_a_crash_inside_the_transaction_leaves_the_warehouse_as_it_was(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    first = district_file(tmp_path / "v1" / "2021" / "dai-tu" / "a.xlsx", [A, B])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(first))
    before = snapshot(warehouse_engine)
    second = district_file(tmp_path / "v2" / "2021" / "dai-tu" / "a.xlsx", [A, C, D])

    def crash(step: str) -> None:
        if step == "inserted":
            raise RuntimeError("the machine fell over")

    with pytest.raises(RuntimeError):
        load_unit_year(warehouse_engine, UNIT, YEAR, *batch(second), hook=crash)
    assert snapshot(warehouse_engine) == before
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, *batch(second))
    assert (summary.inserted, summary.closed, summary.unchanged) == (2, 1, 1)


def test_content_hash_is_the_standard_librarys_json_of_the_contents() -> None:
    """Stored hashes must stay valid across versions: the hash is sha256 of exactly this text."""
    import hashlib
    import json

    from kc_pipeline.keys import content_hash
    from kc_pipeline.warehouse.schema import PROJECT_DATA_COLUMNS

    row = {c: None for c in PROJECT_DATA_COLUMNS} | {
        "year": 2024,
        "unit_code": "171",
        "title": "Hỗ trợ ứng dụng máy sao chè",
        "support_vnd": 150_000_000,
    }
    values = [row["year"], row["unit_code"], *(row[c] for c in PROJECT_DATA_COLUMNS)]
    expected = hashlib.sha256(json.dumps(values, ensure_ascii=False, default=str).encode()).hexdigest()
    assert content_hash(row) == expected


def test_the_readers_content_hash_is_the_one_the_loader_would_compute(tmp_path: Path) -> None:
    """The reader's workers hash each row's contents; after validation the loader keeps that hash,
    so it must equal the hash of the values the loader stores, for every row."""
    from kc_pipeline.keys import content_hash
    from kc_pipeline.warehouse.loader import _project_row

    path = district_file(tmp_path / "2021" / "dai-tu" / "a.xlsx", [A, B, C, D])
    _files, rows = batch(path)
    assert len(rows) == 4 and all(r.get("content_hash") for r in rows)
    for r in rows:
        stored = _project_row(r, UNIT, YEAR, now=datetime.now(UTC))
        recomputed = content_hash({k: v for k, v in stored.items() if k != "content_hash"})
        assert stored["content_hash"] == r["content_hash"] == recomputed


def test_a_rows_own_hash_stands_only_where_its_file_says_it_belongs(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    from kc_pipeline.keys import content_hash

    path = district_file(tmp_path / "2021" / "dai-tu" / "a.xlsx", [A])
    files, rows = batch(path)
    marked = [dict(r, content_hash="f" * 64) for r in rows]
    load_unit_year(warehouse_engine, UNIT, YEAR, files, marked)
    with warehouse_engine.connect() as conn:
        assert conn.execute(text("SELECT content_hash FROM core_projects")).scalar_one() == "f" * 64
    # Filed under another year, the row's values (its year included) are hashed again.
    load_unit_year(warehouse_engine, UNIT, YEAR + 1, files, marked)
    with warehouse_engine.connect() as conn:
        stored = (
            conn.execute(text("SELECT * FROM core_projects WHERE year = :y"), {"y": YEAR + 1})
            .mappings()
            .one()
        )
    assert stored["content_hash"] == content_hash(dict(stored)) != "f" * 64
