"""Reader documents -> one pandas frame of every project row of a batch, ready for validation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from kc_pipeline.ingest.model import INTEGER_FIELDS, PROJECT_FIELDS
from kc_pipeline.keys import project_key

FRAME_COLUMNS = (
    "path",
    "file_id",
    *PROJECT_FIELDS,
    "project_key",
    "unit_year",
    "inferred",
    "converted",
    "raw",
)


def build_records(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per project row of every read document, with its file id, project key and unit-year.

    The reader computes each row's key; it is computed here only for rows that lack one.
    """
    records: list[dict[str, Any]] = []
    for doc in documents:
        if doc.get("status") != "read":
            continue
        file_id, path = doc["file_id"], doc["path"]
        for row in doc.get("rows", []):
            record = {name: row.get(name) for name in PROJECT_FIELDS}
            record["file_id"] = file_id
            record["path"] = path
            record["project_key"] = row.get("project_key") or project_key(
                row.get("unit_code"),
                row.get("year"),
                row.get("funding_source"),
                row.get("title"),
                row.get("project_code"),
                row.get("beneficiary"),
            )
            record["unit_year"] = f"{row.get('unit_code')}:{row.get('year')}"
            record["inferred"] = row.get("inferred", [])
            record["converted"] = row.get("converted")
            record["raw"] = row.get("raw", {})
            record["content_hash"] = row.get("content_hash")
            records.append(record)
    return records


def frame_from_records(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS))
    for name in INTEGER_FIELDS:
        frame[name] = (
            pd.array(frame[name].tolist(), dtype="Int64") if len(frame) else frame[name].astype("Int64")
        )
    return frame


def build_frame(documents: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Every project row of every read document, with its file id, project key and unit-year."""
    return frame_from_records(build_records(documents))
