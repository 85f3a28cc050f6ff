import threading

import dagster as dg
import pytest
from sqlalchemy import event

from kc_pipeline.defs.instance import ephemeral_instance, keep_run_events_only, reuse_event_log_connections

PARTS = dg.StaticPartitionsDefinition([f"p{i:02d}" for i in range(20)])
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    for key in context.partition_keys:
        context.log_event(dg.AssetObservation(asset_key="counted", partition=key, metadata={"rows": 1}))
    return dg.MaterializeResult(metadata={"dagster/row_count": len(context.partition_keys)})


def _reusing_instance() -> dg.DagsterInstance:
    """An ephemeral instance with the connection reuse alone: every event still stored."""
    instance = dg.DagsterInstance.ephemeral()
    assert reuse_event_log_connections(instance.event_log_storage)
    return instance


def _materialize_counting_connections(instance: dg.DagsterInstance) -> tuple[dg.ExecuteInProcessResult, int]:
    opened: list[object] = []
    engine = instance.event_log_storage._engine  # type: ignore[attr-defined]
    listener = lambda *_: opened.append(1)  # noqa: E731
    event.listen(engine, "connect", listener)
    try:
        result = dg.materialize(
            [counted],
            instance=instance,
            run_config=QUIET,
            tags={"dagster/asset_partition_range_start": "p00", "dagster/asset_partition_range_end": "p19"},
        )
    finally:
        event.remove(engine, "connect", listener)
    return result, len(opened)


def test_the_event_log_opens_one_connection_instead_of_one_per_event() -> None:
    result, fast = _materialize_counting_connections(_reusing_instance())
    _, plain = _materialize_counting_connections(dg.DagsterInstance.ephemeral())
    assert result.success
    assert len(result.all_events) >= 40  # 20 partitions, each observed and materialized
    assert fast <= 2  # this thread's connection, and one to see that the tags table exists
    assert plain >= len(result.all_events)


def test_events_are_stored_and_read_back_as_before() -> None:
    instance = _reusing_instance()
    result, _ = _materialize_counting_connections(instance)
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    kept = {e.event_type_value for e in stored}
    # The result leaves out the planned events the run's creation stored; everything else matches.
    assert [e.event_type_value for e in stored if not e.event_type_value.endswith("_PLANNED")] == [
        e.event_type_value for e in result.all_events
    ]
    assert "ASSET_MATERIALIZATION_PLANNED" in kept
    key = dg.AssetKey("counted")
    assert instance.get_materialized_partitions(key) == set(PARTS.get_partition_keys())
    latest = instance.get_latest_materialization_event(key)
    assert latest is not None and latest.asset_materialization is not None
    assert latest.asset_materialization.metadata["dagster/row_count"].value == 20
    observed = instance.fetch_observations(key, limit=100).records
    assert sorted(r.partition_key for r in observed) == PARTS.get_partition_keys()


def test_a_failed_write_rolls_back_and_the_connection_stays_usable() -> None:
    storage = ephemeral_instance().event_log_storage
    insert = "INSERT INTO dynamic_partitions (partitions_def_name, partition) VALUES ('probe', 'x')"
    count = "SELECT count(*) FROM dynamic_partitions WHERE partitions_def_name = 'probe'"
    with pytest.raises(RuntimeError), storage._connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql(insert)
        raise RuntimeError("boom")
    with storage._connect() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql(count).scalar() == 0
        conn.exec_driver_sql(insert)
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with storage._connect() as conn:  # type: ignore[attr-defined]
        assert conn.exec_driver_sql(count).scalar() == 1


def test_each_thread_gets_its_own_connection_and_dispose_closes_them() -> None:
    storage = ephemeral_instance().event_log_storage
    seen: list[object] = []

    def use() -> None:
        with storage._connect() as conn:  # type: ignore[attr-defined]
            seen.append(conn)

    use()
    use()
    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert seen[0] is seen[1] and seen[2] is not seen[0]
    storage.dispose()
    assert all(conn.closed for conn in seen)  # type: ignore[attr-defined]


def test_other_storages_are_left_alone() -> None:
    class Other:
        def _connect(self) -> None: ...

    other = Other()
    assert reuse_event_log_connections(other) is False
    assert reuse_event_log_connections(object()) is False
    assert "_connect" not in vars(other)
    assert keep_run_events_only(other) is False
    assert "store_event" not in vars(other)


@dg.asset(check_specs=[dg.AssetCheckSpec("sane", asset="upstream", blocking=True)])
def upstream() -> dg.MaterializeResult:
    return dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="sane", passed=False)])


@dg.asset(deps=[upstream])
def downstream() -> None: ...


@dg.asset
def broken() -> None:
    raise RuntimeError("the step's own error")


def test_the_cli_instance_stores_the_run_events_only_and_the_result_keeps_them_all() -> None:
    instance = ephemeral_instance()
    result, _ = _materialize_counting_connections(instance)
    assert result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert kinds.count("ASSET_OBSERVATION") == 20 and kinds.count("ASSET_MATERIALIZATION") == 20
    stored = [r.dagster_event for r in instance.all_logs(result.run_id) if r.dagster_event]
    assert stored and all(e.is_job_event for e in stored)
    assert {dg.DagsterEventType.RUN_START, dg.DagsterEventType.RUN_SUCCESS} <= {e.event_type for e in stored}
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
    assert instance.get_materialized_partitions(dg.AssetKey("counted")) == set()
    # Year partitions are not events: still stored and read back.
    instance.add_dynamic_partitions("years", ["2025"])
    assert instance.get_dynamic_partitions("years") == ["2025"]


def test_a_failed_step_and_a_failed_blocking_check_still_fail_the_run() -> None:
    instance = ephemeral_instance()
    failed = dg.materialize([broken], instance=instance, raise_on_error=False, run_config=QUIET)
    assert not failed.success
    assert instance.get_run_by_id(failed.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
    assert any(e.is_step_failure for e in failed.all_events)

    blocked = dg.materialize(
        [upstream, downstream], instance=instance, raise_on_error=False, run_config=QUIET
    )
    assert not blocked.success
    materialized = {e.asset_key for e in blocked.all_events if e.event_type_value == "ASSET_MATERIALIZATION"}
    assert dg.AssetKey("downstream") not in materialized


def test_a_dagster_whose_events_cannot_tell_run_events_keeps_storing_everything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dagster._core.events import DagsterEvent

    monkeypatch.delattr(DagsterEvent, "is_job_event")
    storage = dg.DagsterInstance.ephemeral().event_log_storage
    assert keep_run_events_only(storage) is False
    assert "store_event" not in vars(storage)
