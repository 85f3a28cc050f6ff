"""Deterministic sample corpus of district khuyến công workbooks, with the rows a reader must recover."""

from kc_pipeline.samples.generator import (
    LAYOUTS,
    GeneratedFile,
    choose_layout,
    generate_corpus,
    parse_years,
    plan_corpus,
)

__all__ = ["LAYOUTS", "GeneratedFile", "choose_layout", "generate_corpus", "parse_years", "plan_corpus"]
