"""Validation rules kept as data, in the manner of DHIS2 validation rules.

``data/reference/validation_rules.csv``: each rule compares a left and a right expression
(canonical numeric fields, numbers, + - * /) with an operator, says what to do when a value is
missing (``SKIP_IF_ANY_VALUE_MISSING``, ``SKIP_IF_ALL_VALUES_MISSING`` - missing counts as 0 -, or
``NEVER_SKIP`` - missing counts as 0 -), a severity, the rows it applies to and a tolerance.
Staff add a rule by adding a line. Expressions are parsed with a whitelist, never ``eval``-ed.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from kc_pipeline.paths import reference_dir
from kc_pipeline.reference import Reference, ReferenceDataError, load_reference

RULES_FILE = "validation_rules.csv"
NUMERIC_FIELDS = frozenset(
    {"support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters", "year"}
)
STRATEGIES = frozenset({"SKIP_IF_ANY_VALUE_MISSING", "SKIP_IF_ALL_VALUES_MISSING", "NEVER_SKIP"})
OPERATORS: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


@dataclass(frozen=True, slots=True)
class Expression:
    text: str
    tree: ast.expr
    fields: frozenset[str]

    def evaluate(self, frame: pd.DataFrame, fill_missing: bool) -> pd.Series:
        return _evaluate(self.tree, frame, fill_missing).astype("float64")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    description: str
    left: Expression
    operator: str
    right: Expression
    missing_value_strategy: str
    severity: str
    applies_to: str
    tolerance: float

    @property
    def expression(self) -> str:
        return f"{self.left.text} {self.operator} {self.right.text}"


def _evaluate(node: ast.expr, frame: pd.DataFrame, fill: bool) -> pd.Series | float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        series = pd.to_numeric(frame[node.id], errors="coerce").astype("float64")
        return series.fillna(0.0) if fill else series
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, frame, fill)
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, frame, fill), _evaluate(node.right, frame, fill))
    raise ValueError(f"unsupported expression node {type(node).__name__}")


def parse_expression(text: str) -> Expression:
    """Parse ``text`` into a whitelisted arithmetic expression over numeric canonical fields."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {text!r}: {exc.msg}") from None
    fields: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in NUMERIC_FIELDS:
                raise ValueError(f"unknown field {node.id!r} (allowed: {', '.join(sorted(NUMERIC_FIELDS))})")
            fields.add(node.id)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float) or isinstance(node.value, bool):
                raise ValueError(f"only numbers are allowed as constants, got {node.value!r}")
        elif not isinstance(node, ast.BinOp | ast.UnaryOp | ast.operator | ast.unaryop | ast.Load):
            raise ValueError(f"{type(node).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise ValueError(f"operator {type(node.op).__name__} is not allowed in {text!r}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, ast.USub):
            raise ValueError(f"operator {type(node.op).__name__} is not allowed in {text!r}")
    return Expression(text.strip(), tree, frozenset(fields))


def _check_applies_to(value: str, reference: Reference) -> None:
    if not value:
        return
    kind, _, codes = value.partition(":")
    known = {
        "activity": set(reference.activities),
        "programme": set(reference.programmes),
        "funding": set(reference.funding_sources),
        "counts": {"trainees", "models", "clusters"},
    }
    if kind not in known:
        raise ValueError(f"applies_to must start with one of {', '.join(known)}, got {value!r}")
    unknown = [c for c in codes.split("|") if c not in known[kind]]
    if unknown or not codes:
        raise ValueError(f"unknown {kind} code(s) {unknown or codes!r} in applies_to")


def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    directory = (directory or reference_dir()).resolve()
    path = directory / RULES_FILE
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    return _load_rules_cached(directory, stamp)


@lru_cache(maxsize=8)
def _load_rules_cached(directory: Path, _stamp: int) -> tuple[Rule, ...]:
    import csv

    reference = load_reference(directory)
    path = directory / RULES_FILE
    if not path.is_file():
        raise ReferenceDataError(f"{path}: reference file is missing")
    rules: list[Rule] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        required = ("rule_id", "left", "operator", "right", "missing_value_strategy", "severity")
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ReferenceDataError(f"{path}:1: missing column(s) {', '.join(missing)}")
        for row in reader:
            line = reader.line_num
            try:
                rule = _rule_from_row({k: (v or "").strip() for k, v in row.items() if k}, reference)
            except ValueError as exc:
                raise ReferenceDataError(f"{path}:{line}: {exc}") from None
            if rule.rule_id in seen:
                raise ReferenceDataError(f"{path}:{line}: duplicate rule_id {rule.rule_id!r}")
            seen.add(rule.rule_id)
            rules.append(rule)
    return tuple(rules)


def _rule_from_row(row: dict[str, str], reference: Reference) -> Rule:
    if not row.get("rule_id"):
        raise ValueError("'rule_id' is empty")
    if row["operator"] not in OPERATORS:
        raise ValueError(f"operator must be one of {' '.join(OPERATORS)}, got {row['operator']!r}")
    if row["missing_value_strategy"] not in STRATEGIES:
        raise ValueError(f"missing_value_strategy must be one of {', '.join(sorted(STRATEGIES))}")
    if row["severity"] not in {"ERROR", "WARN"}:
        raise ValueError(f"severity must be ERROR or WARN, got {row['severity']!r}")
    _check_applies_to(row.get("applies_to", ""), reference)
    try:
        tolerance = float(row.get("tolerance") or 0)
    except ValueError:
        raise ValueError(f"tolerance must be a number, got {row.get('tolerance')!r}") from None
    return Rule(
        rule_id=row["rule_id"],
        description=row.get("description", ""),
        left=parse_expression(row["left"]),
        operator=row["operator"],
        right=parse_expression(row["right"]),
        missing_value_strategy=row["missing_value_strategy"],
        severity=row["severity"],
        applies_to=row.get("applies_to", ""),
        tolerance=tolerance,
    )


def applies_mask(rule: Rule, frame: pd.DataFrame, reference: Reference) -> pd.Series:
    if not rule.applies_to:
        return pd.Series(True, index=frame.index)
    kind, _, codes_text = rule.applies_to.partition(":")
    codes = set(codes_text.split("|"))
    if kind == "activity":
        return frame["activity_code"].isin(codes)
    if kind == "programme":
        return frame["programme_code"].isin(codes)
    if kind == "funding":
        return frame["funding_source"].isin(codes)
    activities = {a.activity_code for a in reference.activities.values() if a.counts & codes}
    return frame["activity_code"].isin(activities)


def violations(rule: Rule, frame: pd.DataFrame, reference: Reference) -> pd.Series:
    """Boolean mask of the rows that break ``rule``."""
    if frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    fields = sorted(rule.left.fields | rule.right.fields)
    missing = frame[fields].isna() if fields else pd.DataFrame(index=frame.index)
    if rule.missing_value_strategy == "SKIP_IF_ANY_VALUE_MISSING":
        skip = missing.any(axis=1) if fields else pd.Series(False, index=frame.index)
    elif rule.missing_value_strategy == "SKIP_IF_ALL_VALUES_MISSING":
        skip = missing.all(axis=1) if fields else pd.Series(False, index=frame.index)
    else:
        skip = pd.Series(False, index=frame.index)
    fill = rule.missing_value_strategy != "SKIP_IF_ANY_VALUE_MISSING"
    left = (
        rule.left.evaluate(frame, fill)
        if rule.left.fields
        else pd.Series(
            float(rule.left.tree.value),
            index=frame.index,  # type: ignore[attr-defined]
        )
    )
    right = (
        rule.right.evaluate(frame, fill)
        if rule.right.fields
        else pd.Series(
            float(rule.right.tree.value),
            index=frame.index,  # type: ignore[attr-defined]
        )
    )
    if rule.operator == "==" and rule.tolerance:
        holds = (left - right).abs() <= rule.tolerance
    elif rule.operator == "!=" and rule.tolerance:
        holds = (left - right).abs() > rule.tolerance
    else:
        holds = OPERATORS[rule.operator](left, right)
    holds = holds.fillna(False).astype(bool)
    return applies_mask(rule, frame, reference) & ~skip & ~holds
