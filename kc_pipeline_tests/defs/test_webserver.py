"""End to end through the Dagster UI's own server: the real ``dagster-webserver`` on a loopback port.

What a data engineer sees after a run: the code location loads in the webserver (not only in
``dg.materialize``), the asset graph has every asset with its upstream keys, and the latest
materialization of ``core_projects`` carries its partition and row count. The runs are made in
this process against the same ``DAGSTER_HOME`` (no daemon needed); the server only reads them.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from kc_pipeline.definitions import defs
from kc_pipeline.defs.core import VALIDATED_ROWS
from kc_pipeline.defs.load import CORE_PROJECTS
from kc_pipeline.defs.out import OUT_ASSETS
from kc_pipeline.defs.raw import RAW_WORKBOOKS
from kc_pipeline.defs.report import STAFF_REPORT
from kc_pipeline.defs.resources import ReportFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.paths import PROJECT_ROOT
from kc_pipeline_tests.defs.tiny_drop import TINY_PARTITIONS, TINY_PROJECTS, tiny_drop
from kc_pipeline_tests.defs.webserver import running_webserver

ASSET_GRAPH_QUERY = """
query AssetGraph {
  assetNodes {
    assetKey { path }
    groupName
    isPartitioned
    dependencyKeys { path }
    dependedByKeys { path }
  }
}
"""

LATEST_MATERIALIZATION_QUERY = """
query LatestMaterialization($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode {
      partitionStats { numMaterialized numPartitions numFailed }
      assetMaterializations(limit: 1) {
        runId
        partition
        timestamp
        metadataEntries {
          __typename
          label
          ... on IntMetadataEntry { intValue }
          ... on TextMetadataEntry { text }
        }
      }
    }
    ... on AssetNotFoundError { message }
  }
}
"""


@pytest.fixture
def local_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A DAGSTER_HOME holding the repository's local dagster.yaml, and every KC_* location in tmp_path."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "KC_INCOMING_DIR": str(tmp_path / "incoming"),
        "KC_STAGING_DIR": str(tmp_path / "staging"),
        "KC_REPORTS_DIR": str(tmp_path / "reports"),
        "KC_WAREHOUSE_URL": f"sqlite:///{tmp_path / 'warehouse' / 'kc.sqlite'}",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def _keys(keys: list[dict[str, Any]]) -> set[str]:
    return {"/".join(k["path"]) for k in keys}


def _ancestors(upstream: dict[str, set[str]], key: str) -> set[str]:
    seen: set[str] = set()
    todo = list(upstream[key])
    while todo:
        parent = todo.pop()
        if parent not in seen:
            seen.add(parent)
            todo.extend(upstream[parent])
    return seen


def test_webserver_shows_the_asset_graph_and_the_latest_load(
    tmp_path: Path, local_home: dict[str, str]
) -> None:
    started = time.monotonic()
    drop = tiny_drop(tmp_path)
    warehouse = Warehouse(url=local_home["KC_WAREHOUSE_URL"])
    # The instance first: it creates the SQLite storage the server then reads.
    with (
        dg.DagsterInstance.get() as instance,
        running_webserver({**os.environ, **local_home}, tmp_path / "webserver.log") as server,
    ):
        # The server imports the code location while the pipeline runs here: both take seconds.
        report = run_pipeline(
            drop, warehouse, instance, report_folder=ReportFolder(out_dir=local_home["KC_REPORTS_DIR"])
        )
        assert report.success, report.error
        ran = time.monotonic()
        location = server.wait_until_loaded()
        assert location["name"] == "kc_pipeline.definitions"
        ready = time.monotonic()

        nodes = {"/".join(n["assetKey"]["path"]): n for n in server.graphql(ASSET_GRAPH_QUERY)["assetNodes"]}
        latest = server.graphql(LATEST_MATERIALIZATION_QUERY, {"assetKey": {"path": [CORE_PROJECTS]}})
        print(f"\nwebserver test: pipeline done {ran - started:.1f} s, server ready {ready - started:.1f} s")

    # Every asset of the code location, with the same upstream keys as the definitions have.
    graph = defs.resolve_asset_graph()
    expected = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    upstream = {key: _keys(node["dependencyKeys"]) for key, node in nodes.items()}
    assert upstream == expected
    assert upstream[VALIDATED_ROWS] == {RAW_WORKBOOKS}
    assert upstream[CORE_PROJECTS] == {VALIDATED_ROWS}
    out_keys = {a.key.to_user_string() for a in OUT_ASSETS}
    for key in out_keys:  # directly, or through another out_* table (the trend reads the summary)
        assert CORE_PROJECTS in _ancestors(upstream, key), key
    assert upstream[STAFF_REPORT] == out_keys
    downstream = _keys(nodes[CORE_PROJECTS]["dependedByKeys"])
    assert downstream and downstream <= out_keys
    assert downstream == {key for key, keys in upstream.items() if CORE_PROJECTS in keys}
    assert {k for k, n in nodes.items() if n["isPartitioned"]} == {
        RAW_WORKBOOKS,
        VALIDATED_ROWS,
        CORE_PROJECTS,
    }
    assert {n["groupName"] for n in nodes.values()} == {"raw", "core", "out"}

    node = latest["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", node
    stats = node["partitionStats"]
    assert (stats["numMaterialized"], stats["numFailed"]) == (len(TINY_PARTITIONS), 0)
    [materialization] = node["assetMaterializations"]
    assert materialization["runId"] in report.runs
    assert materialization["partition"] in TINY_PARTITIONS
    entries = {e["label"]: e for e in materialization["metadataEntries"]}
    assert entries["dagster/row_count"]["__typename"] == "IntMetadataEntry"
    assert entries["dagster/row_count"]["intValue"] == TINY_PROJECTS
    assert entries["warehouse"]["text"].startswith("sqlite:///")
