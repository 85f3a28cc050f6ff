"""Name a row's funding source, programme, activity, sector and value chain.

Columns win when present; then the section the row sits in; then keywords in the title and
beneficiary. Whatever did not come from the row's own columns is recorded as inferred.

Every lookup here is a pure function of its text and the reference data, and runs on every
project row, where the same commune, activity or funding text comes back again and again: the
answers are remembered (:func:`_remembered`), per :class:`Reference` object (which hashes by
identity), so a new reference never sees old answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache, update_wrapper
from typing import Any, TypeVar

from kc_pipeline.reference import KeywordIndex, Reference
from kc_pipeline.text import fold

_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|[A-Za-z]|\d+(?:\.\d+)*)\s*[.)/:-]\s*|^\s*[-+*•]\s*")
_ROMAN = re.compile(r"^[IVXLC]+$", re.IGNORECASE)
_MEMO = 1 << 16  # entries per lookup: far more distinct texts than a district file holds
_MISSING = object()
F = TypeVar("F", bound=Callable[..., Any])


def _remembered(func: F) -> F:
    """``func(text, reference, *extra)`` remembered in plain dicts, one per reference, emptied when full.

    Not ``lru_cache``: its entries are objects the cyclic garbage collector must walk, tens of
    thousands per file read, which made full collections frequent; a dict of strings is not walked.
    """
    tables: dict[Reference, dict[Any, Any]] = {}

    def remembered(text: str, reference: Reference, *extra: Any, **named: Any) -> Any:
        if named:  # only positional calls are remembered
            return func(text, reference, *extra, **named)
        table = tables.get(reference)
        if table is None:
            if len(tables) >= 8:
                tables.clear()
            table = tables[reference] = {}
        key = (text, *extra) if extra else text
        value = table.get(key, _MISSING)
        if value is _MISSING:
            if len(table) >= _MEMO:
                table.clear()
            value = table[key] = func(text, reference, *extra)
        return value

    remembered.cache_clear = tables.clear  # type: ignore[attr-defined]
    return update_wrapper(remembered, func)  # type: ignore[return-value]


def strip_numbering(text: str) -> str:
    """ "II. KHUYẾN CÔNG ĐỊA PHƯƠNG" -> "KHUYẾN CÔNG ĐỊA PHƯƠNG"; "1.2) Đào tạo" -> "Đào tạo"."""
    return _NUMBERING.sub("", text, count=1).strip()


def is_roman(text: str) -> bool:
    return bool(_ROMAN.match(text.strip().rstrip(".)"))) if text.strip() else False


class _TrieKeywords:
    """:meth:`KeywordIndex.classify` with its keyword alternation compiled as a trie: the same matches
    (at each position the longest keyword that ends on a word boundary), about twice as fast.

    Built from the index's own keyword tables; used only when the index's patterns are exactly the
    ones those tables give (else :meth:`KeywordIndex.classify` runs), so the two cannot drift apart.
    """

    def __init__(self, index: KeywordIndex) -> None:
        self.index = index
        self.by_lower: dict[str, tuple[str, int]] = index._by_lower
        self.by_folded: dict[str, tuple[str, int]] = index._by_folded
        self.lower_rx = _trie_regex(self.by_lower, r"\w")
        self.folded_rx = _trie_regex(self.by_folded, r"[a-z0-9]")

    @staticmethod
    def usable(index: KeywordIndex) -> bool:
        try:
            tables = (
                (index._by_lower, index._lower_rx, r"\w"),
                (index._by_folded, index._folded_rx, r"[a-z0-9]"),
            )
        except AttributeError:
            return False
        return all(
            keys
            and rx.pattern == rf"(?<!{word})(?:{_alternation(keys)})(?!{word})"
            and not rx.flags & ~re.UNICODE
            for keys, rx, word in tables
        )

    def classify(self, text: str, allowed: frozenset[str] | None = None) -> str | None:
        return self.index.classify(text, allowed, (self.lower_rx, self.folded_rx))


def _alternation(keys: Iterable[str]) -> str:
    """The alternation :class:`KeywordIndex` compiles: longest keyword first."""
    return "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))


def _trie_regex(keys: Iterable[str], word: str) -> re.Pattern[str]:
    """The keywords as one trie-shaped pattern between word boundaries. Within a node, longer
    continuations come before the end of a keyword, so the regex engine's backtracking tries the
    keywords that start at a position longest first, as the longest-first alternation does."""
    root: dict[str, dict] = {}
    for key in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, dict]) -> str:
        branches = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        if "" in node:
            branches.append("")
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"

    return re.compile(rf"(?<!{word})(?:{pattern(root)})(?!{word})")


@lru_cache(maxsize=64)
def keyword_classifier(index: KeywordIndex) -> _TrieKeywords | KeywordIndex:
    """The fastest classifier with exactly the behaviour of ``index.classify``."""
    return _TrieKeywords(index) if _TrieKeywords.usable(index) else index


@_remembered
def row_rule(folded: str, reference: Reference, lead: str = "") -> str | None:
    """:meth:`Reference.row_rule`, remembered: tried on the label of every row."""
    return reference.row_rule(folded, lead)


@_remembered
def funding_from_cell(text: str, reference: Reference) -> str | None:
    """A funding-source cell: short codes ("ĐP", "TW") are fine here, the column says what it is."""
    return reference.funding_names.exact(text) or reference.funding_names.search(text)


@lru_cache(maxsize=4096)
def _funding_section(folded: str, reference_id: int, reference: Reference) -> str | None:
    del reference_id
    # In free text only names of two words or more, or the codes, are taken: "tỉnh" alone is not a section.
    for alias, code in sorted(reference.funding_names.exact_map.items(), key=lambda kv: -len(kv[0])):
        if (" " in alias or alias in {"kcqg", "kcdp"}) and re.search(
            rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])", folded
        ):
            return code
    return None


def funding_from_text(text: str, reference: Reference) -> str | None:
    """Funding source named in a section row, sheet name or title ("I. KHUYẾN CÔNG QUỐC GIA")."""
    return _funding_section(fold(text), id(reference), reference)


@_remembered
def programme_from_text(text: str, reference: Reference) -> str | None:
    return reference.programme_names.exact(text) or reference.programme_names.search(text)


@_remembered
def activity_from_text(text: str, reference: Reference, programme: str | None = None) -> str | None:
    """Activity named in a cell or section label (aliases), else found by keywords."""
    found = reference.activity_names.exact(text)
    if found:
        return found
    return activity_from_keywords(text, reference, programme)


@_remembered
def activity_from_keywords(text: str, reference: Reference, programme: str | None = None) -> str | None:
    """Keyword match on free text; when the programme is known, its own activities win."""
    if programme is not None:
        allowed = reference.activities_by_programme.get(programme)
        if allowed:
            found = keyword_classifier(reference.activity_keywords).classify(text, allowed)
            if found:
                return found
            if len(allowed) == 1:
                return next(iter(allowed))
    return keyword_classifier(reference.activity_keywords).classify(text)


@_remembered
def sector_from_cell(text: str, reference: Reference) -> str | None:
    return (
        reference.sector_names.exact(text)
        or reference.sector_names.search(text)
        or keyword_classifier(reference.sector_keywords).classify(text)
    )


@_remembered
def value_chain_from_cell(text: str, reference: Reference) -> str | None:
    return reference.value_chain_names.exact(text) or keyword_classifier(
        reference.value_chain_keywords
    ).classify(text)


@_remembered
def sector_from_keywords(text: str, reference: Reference) -> str | None:
    """Sector named by keywords in a row's free text (title and beneficiary)."""
    return keyword_classifier(reference.sector_keywords).classify(text)


@_remembered
def value_chain_from_keywords(text: str, reference: Reference) -> str | None:
    """Value chain named by keywords in a row's free text (title and beneficiary)."""
    return keyword_classifier(reference.value_chain_keywords).classify(text)
