"""Session-wide promise: every workbook the tests read must also add up after validation (P1)."""

from collections.abc import Iterator

import pytest

from kc_pipeline_tests.checks import READ_DOCUMENTS

# warehouse_url / warehouse_engine: every database test runs on SQLite and on PostgreSQL.
pytest_plugins = ["kc_pipeline_tests.warehouse.fixtures"]


@pytest.fixture(autouse=True)
def reports_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never write reports (or anything else) under the repository's data/ folder."""
    monkeypatch.setenv("KC_REPORTS_DIR", str(tmp_path_factory.mktemp("reports")))


def _repository_data() -> set[str]:
    from kc_pipeline.paths import PROJECT_ROOT

    root = PROJECT_ROOT / "data"
    return {
        str(p.relative_to(root))
        for d in ("incoming", "staging", "warehouse", "reports")
        if (root / d).exists()
        for p in (root / d).rglob("*")
    }


@pytest.fixture(scope="session", autouse=True)
def nothing_written_under_the_repository_data() -> Iterator[None]:
    before = _repository_data()
    yield
    assert _repository_data() == before, "a test wrote under the repository's data/ folder"


@pytest.fixture(scope="session", autouse=True)
def every_test_file_adds_up_after_validation() -> Iterator[None]:
    yield
    if not READ_DOCUMENTS:
        return
    from kc_pipeline.validate.validator import validate_documents

    # One document per path (a test may read the same file twice); the same bytes at two paths stay two.
    unique = list({doc["path"]: doc for doc in READ_DOCUMENTS}.values())
    verdict = validate_documents(unique)
    broken = [f.path for f in verdict.files if not f.adds_up]
    assert not broken, f"files whose counts do not add up after validation: {broken}"
    print(f"\n{len(unique)} workbooks written by the reader tests validated in one batch; all add up (P1)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """``make test`` says how many hostile inputs were tried, and on which databases."""
    from kc_pipeline_tests.hostile import TRIED
    from kc_pipeline_tests.hostile.corpus import CORPUS

    if not TRIED:
        return
    databases = sorted({d for found in TRIED.values() for d in found})
    per_database = ", ".join(f"{sum(1 for found in TRIED.values() if d in found)} on {d}" for d in databases)
    terminalreporter.write_sep("-", "hostile inputs")
    terminalreporter.write_line(
        f"hostile inputs tried: {len(TRIED)} of {len(CORPUS)} in the corpus, each beside a good file "
        f"through the real pipeline: {per_database}"
    )
