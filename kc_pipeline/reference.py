"""Reference data (units, funding sources, catalogue, sectors, column aliases, row rules).

Everything a clerk may need to extend lives in ``data/reference/*.csv`` rather than in code. The
files are checked when loaded; a broken file is a :class:`ReferenceDataError` naming file and line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from kc_pipeline.paths import reference_dir
from kc_pipeline.text import fold, nfc

COUNT_KINDS = frozenset({"trainees", "models", "clusters"})
COLUMN_KINDS = frozenset({"text", "code", "money", "count", "period", "year"})
QUANTITY_KINDS = frozenset({"money", "count"})  # column kinds that hold amounts
ROW_RULES = frozenset({"subtotal", "total", "note", "signature"})


class ReferenceDataError(ValueError):
    """A reference file is missing, malformed or inconsistent; the message names file and line."""


@dataclass(frozen=True, slots=True)
class OrgUnit:
    unit_code: str
    name: str
    unit_type: str
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    slug: str
    aliases: tuple[str, ...]

    def valid_in(self, year: int) -> bool:
        """True when the unit existed on some day of ``year``."""
        starts_ok = self.valid_from is None or self.valid_from.year <= year
        ends_ok = self.valid_to is None or self.valid_to.year >= year
        return starts_ok and ends_ok


@dataclass(frozen=True, slots=True)
class FundingSource:
    code: str
    name_vi: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Programme:
    programme_code: str
    name_vi: str
    aliases: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class Activity:
    activity_code: str
    programme_code: str
    name_vi: str
    counts: frozenset[str]
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class Sector:
    sector_code: str
    name_vi: str
    priority: bool
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ValueChain:
    value_chain_code: str
    name_vi: str
    aliases: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ColumnField:
    field: str
    kind: str
    aliases: tuple[str, ...]
    # Headings of a generic field ("Tổng số", "Tổng") name a total of whatever they go on to name:
    # "Tổng số học viên" is the trainees column, not the total amount.
    generic: bool = False
    # Words that, right after one of the field's aliases, make the heading name something else:
    # "thuế" after "Mã số" ("Mã số thuế", a tax code) for project_code.
    not_followed_by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowRule:
    rule: str
    match: str
    pattern: str
    description: str
    matches: Callable[[str], bool] = field(compare=False, repr=False)


class AliasIndex:
    """Folded alias -> code, for names that must match accent-, case- and punctuation-insensitively."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.exact_map: dict[str, str] = {}
        for alias, code in pairs:
            key = fold(alias)
            if key:
                self.exact_map.setdefault(key, code)
        alternatives = sorted(self.exact_map, key=len, reverse=True)
        body = "|".join(re.escape(a) for a in alternatives) or "(?!)"
        self._search = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])")

    def exact(self, text: str) -> str | None:
        return self.exact_map.get(fold(text))

    def search(self, text: str) -> str | None:
        """Code of the longest alias found as whole words anywhere in ``text``."""
        found = self._search.findall(fold(text))
        if not found:
            return None
        return self.exact_map[max(found, key=len)]

    def search_all(self, text: str) -> list[str]:
        """Codes of every alias found as whole words in ``text``, in order of appearance, each once."""
        return list(dict.fromkeys(self.exact_map[a] for a in self._search.findall(fold(text))))


@lru_cache(maxsize=1024)
def _lowered(text: str) -> str:
    """``nfc(text).lower()``, remembered: a row's free text goes through several keyword indexes in
    turn (activity, twice when a programme is known, sector, value chain)."""
    return nfc(text).lower()


class KeywordIndex:
    """Keywords -> code for classifying free text (titles, beneficiaries).

    Text typed with diacritics is matched with diacritics ("chè" is not "chế"); text typed without
    them is matched on the folded form. The longest keyword found wins; ties go to catalogue order.
    """

    def __init__(self, entries: Iterable[tuple[str, str]]) -> None:
        self._by_lower: dict[str, tuple[str, int]] = {}
        self._by_folded: dict[str, tuple[str, int]] = {}
        for order, (keyword, code) in enumerate(entries):
            lower = nfc(keyword).lower()
            if lower:
                self._by_lower.setdefault(lower, (code, order))
                self._by_folded.setdefault(fold(keyword), (code, order))
        self._lower_rx = self._compile(self._by_lower, r"\w")
        self._folded_rx = self._compile(self._by_folded, r"[a-z0-9]")

    @staticmethod
    def _compile(keys: Mapping[str, object], word: str) -> re.Pattern[str]:
        body = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True)) or "(?!)"
        return re.compile(rf"(?<!{word})(?:{body})(?!{word})")

    def classify(
        self,
        text: str,
        allowed: frozenset[str] | None = None,
        patterns: tuple[re.Pattern[str], re.Pattern[str]] | None = None,
    ) -> str | None:
        """Code of the best keyword in ``text`` (among ``allowed`` codes when given).

        ``patterns`` (lower-case, folded) replace the index's own alternations with equivalent,
        faster ones (the reader's trie-shaped regexes)."""
        if not text:
            return None
        lower_rx, folded_rx = patterns or (self._lower_rx, self._folded_rx)
        if text.isascii():
            table, found = self._by_folded, folded_rx.findall(fold(text))
        else:
            table, found = self._by_lower, lower_rx.findall(_lowered(text))
        if allowed is not None:
            found = [k for k in found if table[k][0] in allowed]
        if not found:
            return None
        best = min(found, key=lambda k: (-len(k), table[k][1]))
        return table[best][0]


@dataclass(frozen=True, eq=False)
class Reference:
    directory: Path
    units: Mapping[str, OrgUnit]
    funding_sources: Mapping[str, FundingSource]
    programmes: Mapping[str, Programme]
    activities: Mapping[str, Activity]
    sectors: Mapping[str, Sector]
    value_chains: Mapping[str, ValueChain]
    columns: tuple[ColumnField, ...]
    row_rules: tuple[RowRule, ...]
    unit_names: AliasIndex
    funding_names: AliasIndex
    programme_names: AliasIndex
    activity_names: AliasIndex
    sector_names: AliasIndex
    value_chain_names: AliasIndex
    column_names: AliasIndex
    activity_keywords: KeywordIndex
    sector_keywords: KeywordIndex
    value_chain_keywords: KeywordIndex

    @cached_property
    def units_by_slug(self) -> dict[str, OrgUnit]:
        return {u.slug: u for u in self.units.values()}

    @cached_property
    def activities_by_programme(self) -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for activity in self.activities.values():
            out.setdefault(activity.programme_code, set()).add(activity.activity_code)
        return {k: frozenset(v) for k, v in out.items()}

    def column_kind(self, field_name: str) -> str:
        return next(c.kind for c in self.columns if c.field == field_name)

    @cached_property
    def _row_rules_by_word(
        self,
    ) -> tuple[dict[str, tuple[tuple[int, RowRule], ...]], tuple[tuple[int, RowRule], ...]]:
        """Prefix/exact rules keyed by their first word; regex and mark rules apart (they are tried
        on every row)."""
        by_word: dict[str, list[tuple[int, RowRule]]] = {}
        regexes: list[tuple[int, RowRule]] = []
        for order, rule in enumerate(self.row_rules):
            if rule.match in ("regex", "mark"):
                regexes.append((order, rule))
            else:
                by_word.setdefault(fold(rule.pattern).split(" ")[0], []).append((order, rule))
        return {k: tuple(v) for k, v in by_word.items()}, tuple(regexes)

    def row_rule(self, folded_text: str, lead: str = "") -> str | None:
        """Name of the first row rule matching a row's folded label, in file order. ``lead`` is
        what the label has before its first letter or digit ("*"), which folding drops: rules of
        kind ``mark`` match it."""
        by_word, regexes = self._row_rules_by_word
        candidates = by_word.get(folded_text.split(" ", 1)[0], ())
        for _, rule in sorted((*candidates, *regexes), key=lambda pair: pair[0]):
            if rule.matches(lead if rule.match == "mark" else folded_text):
                return rule.rule
        return None


# ---------------------------------------------------------------------------------------- loading


class _Rows:
    """CSV rows with their line numbers, and helpers that raise errors naming file and line."""

    def __init__(self, path: Path, required: tuple[str, ...]) -> None:
        self.path = path
        if not path.is_file():
            raise ReferenceDataError(f"{path}: reference file is missing")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise ReferenceDataError(f"{path}:1: missing column(s) {', '.join(missing)}")
            self.rows: list[tuple[int, dict[str, str]]] = []
            for row in reader:
                if None in row:
                    raise ReferenceDataError(f"{path}:{reader.line_num}: more cells than columns")
                if not any((v or "").strip() for v in row.values()):
                    continue
                self.rows.append((reader.line_num, {k: nfc(v or "") for k, v in row.items()}))

    def fail(self, line: int, message: str) -> ReferenceDataError:
        return ReferenceDataError(f"{self.path}:{line}: {message}")

    def need(self, line: int, row: Mapping[str, str], column: str) -> str:
        value = row[column]
        if not value:
            raise self.fail(line, f"'{column}' is empty")
        return value

    def date(self, line: int, row: Mapping[str, str], column: str) -> date | None:
        value = row.get(column, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(line, f"'{column}' is not a date (YYYY-MM-DD): {value!r}") from None

    def unique(self, seen: dict[str, int], line: int, key: str, what: str) -> None:
        if key in seen:
            raise self.fail(line, f"duplicate {what} {key!r} (first on line {seen[key]})")
        seen[key] = line


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split("|") if part.strip())


def _load_units(directory: Path) -> dict[str, OrgUnit]:
    rows = _Rows(
        directory / "org_units.csv", ("unit_code", "name", "unit_type", "valid_from", "valid_to", "slug")
    )
    units: dict[str, OrgUnit] = {}
    seen: dict[str, int] = {}
    slugs: dict[str, int] = {}
    for line, row in rows.rows:
        code = rows.need(line, row, "unit_code")
        if not code.isdigit():
            raise rows.fail(line, f"unit_code must be a GSO code of digits, got {code!r}")
        rows.unique(seen, line, code, "unit_code")
        slug = rows.need(line, row, "slug")
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
            raise rows.fail(line, f"slug must be lower-case ascii words joined by '-', got {slug!r}")
        rows.unique(slugs, line, slug, "slug")
        unit = OrgUnit(
            unit_code=code,
            name=rows.need(line, row, "name"),
            unit_type=rows.need(line, row, "unit_type"),
            parent_code=row.get("parent_code") or None,
            valid_from=rows.date(line, row, "valid_from"),
            valid_to=rows.date(line, row, "valid_to"),
            slug=slug,
            aliases=(row["name"], *_split(row.get("aliases", ""))),
        )
        if unit.valid_from and unit.valid_to and unit.valid_to < unit.valid_from:
            raise rows.fail(line, "valid_to is before valid_from")
        units[code] = unit
    for code, unit in units.items():
        if unit.parent_code and unit.parent_code not in units:
            raise rows.fail(seen[code], f"unit {code} has unknown parent_code {unit.parent_code!r}")
    return units


def _load_simple(
    path: Path, key: str, required: tuple[str, ...], build: Callable[[_Rows, int, dict[str, str]], object]
) -> dict[str, object]:
    rows = _Rows(path, (key, *required))
    out: dict[str, object] = {}
    seen: dict[str, int] = {}
    for line, row in rows.rows:
        code = rows.need(line, row, key)
        if not re.fullmatch(r"[A-Za-z0-9_]+", code):
            raise rows.fail(line, f"{key} must be letters, digits and '_', got {code!r}")
        rows.unique(seen, line, code, key)
        out[code] = build(rows, line, row)
    return out


def _row_rule_matcher(rows: _Rows, line: int, match: str, pattern: str) -> Callable[[str], bool]:
    if match == "regex":
        try:
            rx = re.compile(pattern)
        except re.error as exc:
            raise rows.fail(line, f"bad regex {pattern!r}: {exc}") from None
        return lambda text: rx.search(text) is not None
    if match == "mark":  # among the marks before the label's first letter or digit ("(*)")
        mark = "".join(pattern.split())
        if not mark or any(ch.isalnum() for ch in mark):
            raise rows.fail(line, f"a mark pattern is punctuation only, got {pattern!r}")
        return lambda lead: mark in lead
    folded = fold(pattern)
    if not folded:
        raise rows.fail(line, "pattern is empty after folding")
    if match == "exact":
        return lambda text: text == folded
    if match == "prefix":
        prefix = folded + " "
        return lambda text: text == folded or text.startswith(prefix)
    raise rows.fail(line, f"match must be prefix, exact, regex or mark, got {match!r}")


def load_reference(directory: Path | None = None) -> Reference:
    """Load and check ``data/reference``; cached until a file changes."""
    directory = (directory or reference_dir()).resolve()
    stamp = (
        tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*.csv")))
        if directory.is_dir()
        else ()
    )
    return _load_reference_cached(directory, stamp)


@lru_cache(maxsize=8)
def _load_reference_cached(directory: Path, _stamp: tuple[tuple[str, int], ...]) -> Reference:
    if not directory.is_dir():
        raise ReferenceDataError(f"{directory}: reference directory is missing")
    units = _load_units(directory)

    funding = _load_simple(
        directory / "funding_sources.csv",
        "code",
        ("name_vi", "aliases"),
        lambda r, ln, row: FundingSource(row["code"], r.need(ln, row, "name_vi"), _split(row["aliases"])),
    )
    programmes = _load_simple(
        directory / "programmes.csv",
        "programme_code",
        ("name_vi", "aliases"),
        lambda r, ln, row: Programme(
            row["programme_code"],
            r.need(ln, row, "name_vi"),
            _split(row["aliases"]),
            r.date(ln, row, "valid_from"),
            r.date(ln, row, "valid_to"),
        ),
    )

    def build_activity(r: _Rows, ln: int, row: dict[str, str]) -> Activity:
        programme = r.need(ln, row, "programme_code")
        if programme not in programmes:
            raise r.fail(ln, f"unknown programme_code {programme!r} (not in programmes.csv)")
        counts = frozenset(_split(row.get("counts", "")))
        if counts - COUNT_KINDS:
            raise r.fail(
                ln, f"counts must be among {sorted(COUNT_KINDS)}, got {sorted(counts - COUNT_KINDS)}"
            )
        return Activity(
            row["activity_code"],
            programme,
            r.need(ln, row, "name_vi"),
            counts,
            _split(row["aliases"]),
            _split(row["keywords"]),
            r.date(ln, row, "valid_from"),
            r.date(ln, row, "valid_to"),
        )

    activities = _load_simple(
        directory / "activities.csv",
        "activity_code",
        ("programme_code", "name_vi", "aliases", "keywords"),
        build_activity,
    )

    def build_sector(r: _Rows, ln: int, row: dict[str, str]) -> Sector:
        priority = row["priority"].lower()
        if priority not in {"yes", "no"}:
            raise r.fail(ln, f"priority must be yes or no, got {row['priority']!r}")
        return Sector(
            row["sector_code"],
            r.need(ln, row, "name_vi"),
            priority == "yes",
            _split(row["aliases"]),
            _split(row["keywords"]),
        )

    sectors = _load_simple(
        directory / "sectors.csv", "sector_code", ("name_vi", "priority", "aliases", "keywords"), build_sector
    )
    chains = _load_simple(
        directory / "value_chains.csv",
        "value_chain_code",
        ("name_vi", "aliases", "keywords"),
        lambda r, ln, row: ValueChain(
            row["value_chain_code"],
            r.need(ln, row, "name_vi"),
            _split(row["aliases"]),
            _split(row["keywords"]),
        ),
    )

    column_seen: dict[str, tuple[str, int]] = {}  # folded heading -> (field, line)

    def build_column(r: _Rows, ln: int, row: dict[str, str]) -> ColumnField:
        kind = r.need(ln, row, "kind")
        if kind not in COLUMN_KINDS:
            raise r.fail(ln, f"kind must be among {sorted(COLUMN_KINDS)}, got {kind!r}")
        aliases = _split(r.need(ln, row, "aliases"))
        for alias in aliases:
            other, other_line = column_seen.setdefault(fold(alias), (row["field"], ln))
            if other != row["field"]:
                names = f"{other} (line {other_line}) and {row['field']}"
                raise r.fail(ln, f"heading {alias!r} names both {names}")
        generic = row.get("generic", "")
        if generic not in ("", "yes", "no"):
            raise r.fail(ln, f"generic must be yes, no or empty, got {generic!r}")
        if generic == "yes" and kind not in QUANTITY_KINDS:
            raise r.fail(ln, f"only a field of kind {' or '.join(sorted(QUANTITY_KINDS))} can be generic")
        stops = _split(row.get("not_followed_by", ""))
        if any(not fold(stop) for stop in stops):
            raise r.fail(ln, f"a word in not_followed_by is empty after folding: {stops!r}")
        return ColumnField(row["field"], kind, aliases, generic == "yes", stops)

    columns = _load_simple(directory / "columns.csv", "field", ("kind", "aliases"), build_column)

    rule_rows = _Rows(directory / "row_rules.csv", ("rule", "match", "pattern"))
    rules: list[RowRule] = []
    for line, row in rule_rows.rows:
        rule = rule_rows.need(line, row, "rule")
        if rule not in ROW_RULES:
            raise rule_rows.fail(line, f"rule must be among {sorted(ROW_RULES)}, got {rule!r}")
        pattern = rule_rows.need(line, row, "pattern")
        matcher = _row_rule_matcher(rule_rows, line, row["match"], pattern)
        rules.append(RowRule(rule, row["match"], pattern, row.get("description", ""), matcher))

    acts = [a for a in activities.values() if isinstance(a, Activity)]
    secs = [s for s in sectors.values() if isinstance(s, Sector)]
    vcs = [v for v in chains.values() if isinstance(v, ValueChain)]
    return Reference(
        directory=directory,
        units=units,
        funding_sources=funding,  # type: ignore[arg-type]
        programmes=programmes,  # type: ignore[arg-type]
        activities={a.activity_code: a for a in acts},
        sectors={s.sector_code: s for s in secs},
        value_chains={v.value_chain_code: v for v in vcs},
        columns=tuple(c for c in columns.values() if isinstance(c, ColumnField)),
        row_rules=tuple(rules),
        unit_names=AliasIndex((a, u.unit_code) for u in units.values() for a in u.aliases),
        funding_names=AliasIndex(
            (a, f.code)
            for f in funding.values()
            if isinstance(f, FundingSource)
            for a in (f.code, f.name_vi, *f.aliases)
        ),
        programme_names=AliasIndex(
            (a, p.programme_code)
            for p in programmes.values()
            if isinstance(p, Programme)
            for a in (p.name_vi, *p.aliases)
        ),
        activity_names=AliasIndex(
            (a, x.activity_code) for x in acts for a in (x.activity_code, x.name_vi, *x.aliases)
        ),
        sector_names=AliasIndex(
            (a, s.sector_code) for s in secs for a in (s.sector_code, s.name_vi, *s.aliases)
        ),
        value_chain_names=AliasIndex(
            (a, v.value_chain_code) for v in vcs for a in (v.value_chain_code, v.name_vi, *v.aliases)
        ),
        column_names=AliasIndex(
            (a, c.field) for c in columns.values() if isinstance(c, ColumnField) for a in c.aliases
        ),
        activity_keywords=KeywordIndex((k, a.activity_code) for a in acts for k in (*a.keywords, *a.aliases)),
        sector_keywords=KeywordIndex((k, s.sector_code) for s in secs for k in (*s.keywords, *s.aliases)),
        value_chain_keywords=KeywordIndex(
            (k, v.value_chain_code) for v in vcs for k in (*v.keywords, *v.aliases)
        ),
    )
