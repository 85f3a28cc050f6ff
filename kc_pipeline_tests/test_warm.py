import sys
from pathlib import Path

import pytest

from kc_pipeline.warm import warm_imports


def test_modules_are_imported_in_a_thread_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kc_warm_probe.py").write_text(
        "import threading\nIMPORTED_BY = threading.current_thread().name\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "kc_warm_probe", raising=False)
    thread = warm_imports(["kc_warm_probe"])
    thread.join(timeout=30)
    assert thread.daemon and not thread.is_alive()
    assert sys.modules["kc_warm_probe"].IMPORTED_BY == "kc-warm-imports"


def test_a_module_that_fails_is_left_for_its_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "kc_warm_broken.py").write_text("raise RuntimeError('broken on import')\n", encoding="utf-8")
    (tmp_path / "kc_warm_after.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("kc_warm_broken", "kc_warm_after", "kc_warm_missing"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    warm_imports(["kc_warm_missing", "kc_warm_broken", "kc_warm_after"]).join(timeout=30)
    assert "kc_warm_broken" not in sys.modules and sys.modules["kc_warm_after"].VALUE == 1
    with pytest.raises(RuntimeError, match="broken on import"):
        __import__("kc_warm_broken")
