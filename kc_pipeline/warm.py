"""Import what a run will need later in a thread, while the run itself waits on other processes.

Why: a nightly run with one changed file spends much of its time waiting (for the sandbox's
worker to read the file, for the GX service), and then imports matplotlib for the report's chart,
about half a second on its critical path. An import holds the interpreter lock while it runs
Python code, so this only pays where the run waits, which is where the runner starts it. A
module a thread is importing is simply waited for by anyone else who imports it.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Iterable


def warm_imports(names: Iterable[str]) -> threading.Thread:
    """Import ``names`` in a daemon thread; a module that fails to import is left for its user to
    import (and fail) as it would have."""
    wanted = tuple(names)

    def work() -> None:
        for name in wanted:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=work, name="kc-warm-imports", daemon=True)
    thread.start()
    return thread
