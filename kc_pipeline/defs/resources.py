"""Resources: where files live. Every location can be set from the environment."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from kc_pipeline import paths
from kc_pipeline.ingest.staging import StagingStore
from kc_pipeline.reference import Reference, load_reference


class DropFolder(dg.ConfigurableResource):
    """The drop folder district offices write to, the staging area and the reference data."""

    incoming_dir: str = str(paths.incoming_dir())
    staging_dir: str = str(paths.staging_dir())
    reference_dir: str = str(paths.reference_dir())

    @property
    def incoming(self) -> Path:
        return Path(self.incoming_dir)

    @property
    def staging(self) -> StagingStore:
        return StagingStore(Path(self.staging_dir))

    def reference(self) -> Reference:
        return load_reference(Path(self.reference_dir))


class ReportFolder(dg.ConfigurableResource):
    """Where the staff report (xlsx + md) is written."""

    out_dir: str = str(paths.reports_dir())


def default_resources() -> dict[str, object]:
    from kc_pipeline.defs.warehouse import warehouse_resource

    return {"drop_folder": DropFolder(), "warehouse": warehouse_resource(), "report_folder": ReportFolder()}
