"""The Great Expectations suite for canonical project rows, wrapped so callers never touch GX.

Why a wrapper: dagster-ge does not support GX 1.x, and the pipeline needs one finding per bad row
(file, sheet, row, value), not GX's per-expectation summary. So:

* :func:`build_expectations` turns the reference data into :class:`ExpectationSpec` objects, plain
  frozen data (GX class name + kwargs) that can be listed, compared and documented without GX;
* :func:`run_suite` validates a whole run's frame in one GX batch with ``COMPLETE`` results and
  ``unexpected_index_column_names`` and maps every unexpected row back to a :class:`Failure`.
  The suite's overall ``success`` is never used: a ``mostly`` could hide bad rows.

GX is imported lazily (it takes seconds to import), only inside functions; importing this module
must stay cheap. The GX context is ephemeral, in memory, built once per process, with progress
bars off (they would spam the logs) and analytics off (never network).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.expectations import Expectation

    from kc_pipeline.reference import Reference

GxSeverity = Literal["ERROR", "WARN"]

INDEX_COLUMNS: tuple[str, ...] = ("file_id", "source_sheet", "source_row")
REQUIRED_COLUMNS: tuple[str, ...] = (
    "year",
    "unit_code",
    "funding_source",
    "programme_code",
    "activity_code",
    "title",
    "support_vnd",
)
AMOUNT_COLUMNS: tuple[str, ...] = ("support_vnd", "counterpart_vnd", "total_vnd")
# The checked fields as the district clerk who corrects the file knows them: the reasons of a
# quarantined row reach the report's "Dòng bị loại" sheet, and a clerk reads Vietnamese.
FIELD_LABELS: dict[str, str] = {
    "year": "Năm",
    "unit_code": "Đơn vị báo cáo",
    "unit_year": "Đơn vị báo cáo trong năm",
    "funding_source": "Nguồn kinh phí",
    "programme_code": "Chương trình",
    "activity_code": "Nội dung hoạt động",
    "title": "Tên đề án",
    "support_vnd": "Kinh phí khuyến công hỗ trợ",
    "counterpart_vnd": "Kinh phí đối ứng",
    "total_vnd": "Tổng kinh phí",
    "sector_code": "Ngành nghề",
    "value_chain_code": "Chuỗi giá trị",
    "trainees": "Số lao động được đào tạo",
    "project_key": "Đề án",
}
# Years over which unit validity is expanded into "unit_code:year" pairs.
VALIDITY_YEARS = range(1990, 2101)

_DATA_SOURCE = "kc_pipeline_rows"
_ASSET = "project_rows"
_BATCH_DEFINITION = "whole_frame"
_CHECK_NAME_KEY = "kc_check_name"


class GxSuiteError(RuntimeError):
    """GX could not evaluate an expectation (missing column, bad type): the suite is broken.

    Raised rather than reported as a row failure, because an expectation that did not run would
    otherwise pass silently.
    """


@dataclass(frozen=True)
class ExpectationSpec:
    """One check of the suite, as plain data: GX is only imported by :meth:`build`.

    ``condition`` restricts the check to rows whose column value is in a set (GX ``row_condition``).
    """

    check_name: str
    severity: GxSeverity
    description: str
    column: str
    expectation_type: str  # class name in ``great_expectations.expectations``
    kwargs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    condition: tuple[str, tuple[str, ...]] | None = None

    def __post_init__(self) -> None:
        # Read-only kwargs keep the frozen promise; tuples inside are turned into lists by build().
        object.__setattr__(self, "kwargs", MappingProxyType(dict(self.kwargs)))

    def __reduce__(self) -> tuple[Any, ...]:
        """Picklable (a mappingproxy is not), so specs can be sent to the GX service process."""
        return (
            ExpectationSpec,
            (
                self.check_name,
                self.severity,
                self.description,
                self.column,
                self.expectation_type,
                dict(self.kwargs),
                self.condition,
            ),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """Every frame column the check reads, so a missing one is reported before GX runs."""
        names = [self.column]
        if "column" in self.kwargs:
            names.append(self.kwargs["column"])
        names.extend(self.kwargs.get("column_list", ()))
        if self.condition is not None:
            names.append(self.condition[0])
        return tuple(dict.fromkeys(names))

    def build(self) -> Expectation:
        """The GX expectation, tagged with ``check_name`` in its meta to map results back."""
        import great_expectations.expectations as gxe

        kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in self.kwargs.items()}
        if self.condition is not None:
            kwargs.update(_row_condition(*self.condition))
        expectation_class = getattr(gxe, self.expectation_type)
        return expectation_class(
            **kwargs, meta={_CHECK_NAME_KEY: self.check_name}, description=self.description
        )


@dataclass(frozen=True, slots=True)
class Failure:
    """One row that broke one check; every field is JSON-safe."""

    check_name: str
    severity: GxSeverity
    column: str
    file_id: str | None
    source_sheet: str | None
    source_row: int | None
    value: Any  # str, int, float, bool or None
    message: str


# ------------------------------------------------------------------------------------------- suite


def build_expectations(
    reference: Reference, *, amount_ceiling_vnd: int = 50_000_000_000
) -> list[ExpectationSpec]:
    """The suite for canonical rows; every value set comes from ``reference``, none is written here."""
    specs: list[ExpectationSpec] = [
        ExpectationSpec(
            check_name=f"{name}_not_null",
            severity="ERROR",
            description=f"mỗi đề án phải có {FIELD_LABELS[name]} (ở cột, hoặc ở dòng mục phía trên đề án).",
            column=name,
            expectation_type="ExpectColumnValuesToNotBeNull",
            kwargs={"column": name},
        )
        for name in REQUIRED_COLUMNS
    ]
    code_sets: list[tuple[str, GxSeverity, Iterable[str], str]] = [
        ("unit_code", "ERROR", reference.units, "org_units.csv"),
        ("funding_source", "ERROR", reference.funding_sources, "funding_sources.csv"),
        ("programme_code", "ERROR", reference.programmes, "programmes.csv"),
        ("activity_code", "ERROR", reference.activities, "activities.csv"),
        ("sector_code", "WARN", reference.sectors, "sectors.csv"),
        ("value_chain_code", "WARN", reference.value_chains, "value_chains.csv"),
    ]
    for name, severity, codes, source in code_sets:
        specs.append(
            ExpectationSpec(
                check_name=f"{name}_in_reference",
                severity=severity,
                description=f"{FIELD_LABELS[name]} không có trong danh mục ({source}).",
                column=name,
                expectation_type="ExpectColumnValuesToBeInSet",
                kwargs={"column": name, "value_set": tuple(sorted(codes))},
            )
        )
    ceiling = f"{amount_ceiling_vnd:,}".replace(",", ".")  # Vietnamese digit grouping
    for name in AMOUNT_COLUMNS:
        specs.append(
            ExpectationSpec(
                check_name=f"amounts_within_bounds_{name}",
                severity="ERROR",
                description=(
                    f"{FIELD_LABELS[name]} phải từ 0 đến {ceiling} đồng; ngoài khoảng này thường là nhầm "
                    "đơn vị (đồng / triệu đồng) hoặc nhầm dấu."
                ),
                column=name,
                expectation_type="ExpectColumnValuesToBeBetween",
                kwargs={"column": name, "min_value": 0, "max_value": amount_ceiling_vnd},
            )
        )
    valid_pairs = sorted(
        f"{code}:{year}"
        for code, unit in reference.units.items()
        for year in VALIDITY_YEARS
        if unit.valid_in(year)
    )
    specs.append(
        ExpectationSpec(
            check_name="year_within_unit_validity",
            severity="ERROR",
            description=(
                "đơn vị không còn (hoặc chưa có) trong năm của đề án: cấp huyện kết thúc ngày 30/6/2025."
            ),
            column="unit_year",
            expectation_type="ExpectColumnValuesToBeInSet",
            kwargs={"column": "unit_year", "value_set": tuple(valid_pairs)},
        )
    )
    training = tuple(sorted(code for code, a in reference.activities.items() if "trainees" in a.counts))
    if training:
        specs.append(
            ExpectationSpec(
                check_name="trainees_for_training_activities",
                severity="ERROR",
                description="đề án đào tạo phải ghi số lao động (học viên) được đào tạo.",
                column="trainees",
                expectation_type="ExpectColumnValuesToNotBeNull",
                kwargs={"column": "trainees"},
                condition=("activity_code", training),
            )
        )
    specs.append(
        ExpectationSpec(
            check_name="project_key_unique_in_file",
            severity="ERROR",
            description=(
                "đề án này xuất hiện hai lần trong tệp: dòng sao chép, hoặc hai đề án không phân biệt "
                "được (cùng tên, cùng cơ sở thụ hưởng)."
            ),
            column="project_key",
            expectation_type="ExpectCompoundColumnsToBeUnique",
            # A row missing its key is not a duplicate of another keyless row.
            kwargs={"column_list": ("file_id", "project_key"), "ignore_row_if": "any_value_is_missing"},
        )
    )
    return specs


def _row_condition(column: str, values: tuple[str, ...]) -> dict[str, Any]:
    """GX kwargs restricting an expectation to rows whose ``column`` is in ``values``.

    GX >= 1.9 takes a ``Condition`` object (string conditions are deprecated there); older 1.x
    only knows the pandas query string.
    """
    try:
        from great_expectations.expectations.row_conditions import Column
    except ImportError:  # GX < 1.9
        return {"row_condition": f"{column} in {list(values)!r}", "condition_parser": "pandas"}
    return {"row_condition": Column(column).is_in(values)}


# ------------------------------------------------------------------------------------------ GX state


@dataclass(frozen=True)
class _Gx:
    batch_definition: BatchDefinition


_GX_LOCK = threading.Lock()
_GX_STATE: _Gx | None = None


def _gx() -> _Gx:
    """The process-wide GX objects, built on first use: context, data source, asset, batch definition.

    ``get_context`` also makes this context GX's "current" one, which GX validation requires; if
    other code later makes another context current, ours keeps working (GX resolves a batch
    definition through the context that owns it).
    """
    global _GX_STATE
    with _GX_LOCK:
        if _GX_STATE is None:
            # Read by GX releases that still had usage statistics; 1.24 has none, so this is inert.
            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
                analytics_enabled=False,
            )
            _skip_frame_fingerprints()
            context = gx.get_context(mode="ephemeral", project_config=config)
            asset = context.data_sources.add_pandas(_DATA_SOURCE).add_dataframe_asset(_ASSET)
            _GX_STATE = _Gx(batch_definition=asset.add_batch_definition_whole_dataframe(_BATCH_DEFINITION))
        return _GX_STATE


def _skip_frame_fingerprints() -> None:
    """GX fingerprints every batch's frame (an md5 of pandas' hash of each row, twice per
    validation: a fifth of a 30,000-row validation) only to label the result's batch markers,
    which nothing here reads. It skips frames of ``HASH_THRESHOLD`` bytes and more: a threshold
    of 0 skips them all. The failures found are the same."""
    from great_expectations.execution_engine import pandas_execution_engine

    if isinstance(getattr(pandas_execution_engine, "HASH_THRESHOLD", None), int | float):
        pandas_execution_engine.HASH_THRESHOLD = 0


def warm() -> None:
    """Import GX and build its context now (the GX service does this before its first request)."""
    _gx()


@lru_cache(maxsize=16)
def _gx_suite(specs: tuple[ExpectationSpec, ...]) -> ExpectationSuite:
    """The GX suite for ``specs``, cached so repeated runs with the same specs skip building it."""
    from great_expectations.core import ExpectationSuite

    # Not added to the context: it is only validated, never stored, so its name need not be unique.
    return ExpectationSuite(name="kc_project_rows", expectations=[spec.build() for spec in specs])


# ------------------------------------------------------------------------------------------- running


def run_suite(frame: pd.DataFrame, specs: Sequence[ExpectationSpec]) -> list[Failure]:
    """Every row that breaks a check, from ONE GX validation of the whole frame (all files of a run).

    Sorted by file, sheet, row, then the order of ``specs``.
    """
    return start_suite(frame, specs)()


def start_suite(frame: pd.DataFrame, specs: Sequence[ExpectationSpec]) -> Callable[[], list[Failure]]:
    """:func:`run_suite` in two halves: the validation starts now (in the GX service when one runs,
    see :mod:`~kc_pipeline.validate.gx_service`), and the returned function gives its failures, so
    the caller can do other work while GX runs on the other core."""
    from kc_pipeline.validate import gx_service

    specs = _checked_specs(frame, specs)
    if frame.empty or not specs:
        return list  # nothing can fail; skip GX entirely
    data, as_float = _gx_frame(frame, specs)
    remote = gx_service.submit(data, as_float, specs)

    def failures() -> list[Failure]:
        found = remote() if remote is not None else None
        return _sorted(found if found is not None else validate_data(data, as_float, specs), specs)

    return failures


def run_suite_per_file(frame: pd.DataFrame, specs: Sequence[ExpectationSpec]) -> list[Failure]:
    """Like :func:`run_suite` but one GX validation per ``file_id``: a baseline for benchmarks."""
    specs = _checked_specs(frame, specs)
    if frame.empty or not specs:
        return []
    failures: list[Failure] = []
    for _, part in frame.groupby("file_id", sort=False, dropna=False):
        failures.extend(_validate(part, specs))
    return _sorted(failures, specs)


def _checked_specs(frame: pd.DataFrame, specs: Sequence[ExpectationSpec]) -> tuple[ExpectationSpec, ...]:
    """``specs`` as a tuple, after checking names are unique and the frame has every column read."""
    specs = tuple(specs)
    names = [s.check_name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate check_name in specs: {sorted({n for n in names if names.count(n) > 1})}")
    needed = dict.fromkeys([*INDEX_COLUMNS, *(c for s in specs for c in s.columns)])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns the suite reads: {missing}")
    return specs


RESULT_FORMAT: dict[str, Any] = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": list(INDEX_COLUMNS),
    # GX would otherwise also build a "df.filter(items=[...])" string listing every bad index.
    "return_unexpected_index_query": False,
}


def _validate(frame: pd.DataFrame, specs: tuple[ExpectationSpec, ...]) -> list[Failure]:
    """One GX validation of ``frame``, in this process."""
    data, as_float = _gx_frame(frame, specs)
    return validate_data(data, as_float, specs)


def validate_data(
    data: pd.DataFrame, as_float: frozenset[str], specs: tuple[ExpectationSpec, ...]
) -> list[Failure]:
    """One GX validation of ``data`` (from :func:`_gx_frame`); each unexpected row of each
    expectation becomes a Failure."""
    by_name = {s.check_name: s for s in specs}
    batch = _gx().batch_definition.get_batch(batch_parameters={"dataframe": data})
    result = batch.validate(_gx_suite(specs), result_format=RESULT_FORMAT)
    failures: list[Failure] = []
    seen: set[str] = set()
    for outcome in result.results:
        check_name = (outcome.expectation_config.meta or {}).get(_CHECK_NAME_KEY)
        spec = by_name.get(check_name)  # type: ignore[arg-type]
        if spec is None:
            raise GxSuiteError(
                f"GX returned a result for an unknown expectation: {outcome.expectation_config}"
            )
        seen.add(spec.check_name)
        error = _exception_message(outcome.exception_info)
        if error is not None:
            raise GxSuiteError(f"{spec.check_name}: GX could not evaluate the expectation: {error}")
        details = outcome.result or {}
        rows: list[dict[str, Any]] = details.get("unexpected_index_list") or []
        if len(rows) != (details.get("unexpected_count") or 0):
            raise GxSuiteError(
                f"{spec.check_name}: GX reported {details.get('unexpected_count')} unexpected rows "
                f"but listed {len(rows)}"
            )
        if not outcome.success and not rows:
            raise GxSuiteError(f"{spec.check_name}: GX reported a failure without any unexpected row")
        failures.extend(_failure(spec, row, spec.column in as_float) for row in rows)
    if seen != set(by_name):
        raise GxSuiteError(f"GX returned no result for: {sorted(set(by_name) - seen)}")
    return failures


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """The error GX caught while evaluating an expectation, if any.

    GX reports it either flat (``{"raised_exception": True, ...}``) or, for a failed metric,
    keyed by metric id (``{"MetricConfigurationID(...)": {"raised_exception": True, ...}}``).
    """
    if not info:
        return None
    nested = [v for v in info.values() if isinstance(v, Mapping)]
    for entry in (info, *nested):
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error")
    return None


def _gx_frame(frame: pd.DataFrame, specs: tuple[ExpectationSpec, ...]) -> tuple[pd.DataFrame, frozenset[str]]:
    """The frame GX sees, and which integer columns were handed over as float64.

    * Only the columns the suite reads: GX fingerprints the batch, and list/dict columns (``raw``,
      ``inferred``) would make it pickle the whole frame.
    * Nullable integer ("Int64") columns of range checks become float64: GX checks ranges
      vectorised only on numpy dtypes and calls Python per value otherwise (3x slower). Exact up
      to 2**53 đồng; beyond that the value is far over any ceiling anyway.
    * One consolidated copy: GX boolean-indexes the frame once per expectation, and pandas would
      consolidate a many-block frame on every one of those (the largest cost before this).
    """
    needed = list(dict.fromkeys([*INDEX_COLUMNS, *(c for s in specs for c in s.columns)]))
    ranged = {s.kwargs["column"] for s in specs if s.expectation_type == "ExpectColumnValuesToBeBetween"}
    as_float = frozenset(
        name
        for name in ranged
        if isinstance(frame[name].dtype, pd.api.extensions.ExtensionDtype)
        and pd.api.types.is_integer_dtype(frame[name].dtype)
    )
    data = frame[needed].astype(dict.fromkeys(as_float, "float64")) if as_float else frame[needed]
    return data.copy(), as_float


def _failure(spec: ExpectationSpec, row: Mapping[str, Any], integer: bool) -> Failure:
    value = _json_safe(row.get(spec.column))
    if integer and isinstance(value, float) and value.is_integer():
        value = int(value)  # undo _gx_frame's float64 hand-over
    source_row = _json_safe(row.get("source_row"))
    return Failure(
        check_name=spec.check_name,
        severity=spec.severity,
        column=spec.column,
        file_id=_json_safe(row.get("file_id")),
        source_sheet=_json_safe(row.get("source_sheet")),
        source_row=int(source_row) if source_row is not None else None,
        value=value,
        message=f"{FIELD_LABELS.get(spec.column, spec.column)} {_shown(value)}: {spec.description}",
    )


def _shown(value: Any) -> str:
    """A checked value as the message shows it to a clerk."""
    if value is None or value == "":
        return "(trống)"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"= {value:,}".replace(",", ".")
    return f"= {value}"


def _json_safe(value: Any) -> Any:
    """numpy/pandas scalars and missing markers (None, NaN, NA, NaT) -> plain Python or None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _sorted(failures: list[Failure], specs: tuple[ExpectationSpec, ...]) -> list[Failure]:
    order = {s.check_name: i for i, s in enumerate(specs)}

    def key(f: Failure) -> tuple[Any, ...]:
        return (
            f.file_id is None,
            f.file_id or "",
            f.source_sheet is None,
            f.source_sheet or "",
            f.source_row is None,
            f.source_row or 0,
            order[f.check_name],
        )

    return sorted(failures, key=key)
