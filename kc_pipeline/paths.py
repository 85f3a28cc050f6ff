"""Where the pipeline keeps its files; every location can be moved with an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    return Path(os.environ.get("KC_DATA_DIR", PROJECT_ROOT / "data"))


def reference_dir() -> Path:
    """Reference data ships with the code; KC_DATA_DIR moves the data, not the reference."""
    return Path(os.environ.get("KC_REFERENCE_DIR", PROJECT_ROOT / "data" / "reference"))


def incoming_dir() -> Path:
    return Path(os.environ.get("KC_INCOMING_DIR", data_dir() / "incoming"))


def staging_dir() -> Path:
    return Path(os.environ.get("KC_STAGING_DIR", data_dir() / "staging"))


def reports_dir() -> Path:
    return Path(os.environ.get("KC_REPORTS_DIR", data_dir() / "reports"))


def warehouse_dir() -> Path:
    return data_dir() / "warehouse"
