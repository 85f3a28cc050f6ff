"""The GX service process: same failures as GX in this process, and never a reason for a run to fail."""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Iterator

import pytest

from kc_pipeline.validate import gx_service
from kc_pipeline.validate.gx_suite import ExpectationSpec, GxSuiteError, run_suite
from kc_pipeline_tests.validate.test_gx_suite import CASES, broken_spec, frame, keys, reference, specs

__all__ = ["reference", "specs"]


@pytest.fixture
def service() -> Iterator[None]:
    gx_service.start()
    try:
        yield
    finally:
        gx_service.stop()


def _bad_frame():  # type: ignore[no-untyped-def]
    """One row per case of the suite's own tests, each breaking its check."""
    return frame(*({**change, "source_row": 10 + i} for i, (_, change, _) in enumerate(CASES)))


def test_specs_survive_pickling(specs: list[ExpectationSpec]) -> None:
    assert pickle.loads(pickle.dumps(specs)) == specs
    assert all(
        dict(a.kwargs) == dict(b.kwargs)
        for a, b in zip(pickle.loads(pickle.dumps(specs)), specs, strict=True)
    )


def test_the_service_gives_what_gx_here_gives(specs: list[ExpectationSpec], service: None) -> None:
    gx_service.stop()
    local_failures = run_suite(_bad_frame(), specs)
    assert local_failures  # the frame does break checks
    gx_service.start()
    remote = run_suite(_bad_frame(), specs)
    assert gx_service.running()  # answered by the service, which is still there
    assert keys(remote) == keys(local_failures)
    assert [f.message for f in remote] == [f.message for f in local_failures]


def test_a_dead_service_falls_back_to_gx_here(specs: list[ExpectationSpec], service: None) -> None:
    expected = keys(run_suite(_bad_frame(), specs))
    process = gx_service._SERVICE.process  # type: ignore[union-attr]
    os.kill(process.pid, signal.SIGKILL)
    process.join(timeout=10)
    assert keys(run_suite(_bad_frame(), specs)) == expected
    assert not gx_service.running()


def test_a_broken_expectation_raises_through_the_service(specs: list[ExpectationSpec], service: None) -> None:
    with pytest.raises(GxSuiteError, match="impossible_bounds"):
        run_suite(frame({}), [*specs, broken_spec()])
    assert gx_service.running()  # a suite error is an answer, not a broken service


DEFERRED_PROBE = """
import sys
from kc_pipeline.validate import gx_service
print(gx_service.defer_imports())
from kc_pipeline.validate import gx_suite
gx_suite.warm()
print(type(sys.modules["scipy.stats"]).__name__)
from scipy import stats
print(stats.norm.cdf(0.0), type(sys.modules["scipy.stats"]).__name__)
"""


def test_gx_loads_without_scipy_stats_until_it_is_used() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", DEFERRED_PROBE], capture_output=True, text=True, timeout=300, check=True
    ).stdout.splitlines()
    assert out == ["['scipy.stats']", "_LazyModule", "0.5 module"]


def test_deferring_leaves_imported_and_unknown_modules_alone() -> None:
    import json
    import sys

    assert gx_service.defer_imports(("json", "kc_no_such_module", "kc_no_such_package.child")) == []
    assert sys.modules["json"] is json
