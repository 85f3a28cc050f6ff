"""Read workbooks into staging ahead of the runs that need them, in a thread beside the caller.

The runner reads the coming chunks while earlier ones are validated and loaded, so the reader's
worker processes and the runner's process work at the same time. Files already staged are
skipped, and nothing read here is kept in memory: the raw step of each run takes the staged
documents. (Reading the first chunk while Dagster is imported was tried: on two cores the import
then ran as much slower as the reading was earlier.)
"""

from __future__ import annotations

import threading
from pathlib import Path

from kc_pipeline.ingest.batch import stage_files
from kc_pipeline.ingest.staging import StagingStore

# Workbook bytes per Dagster run: a run holds its chunk's documents and rows in memory (about 50
# to 100 times the .xlsx size), so this bounds a cold run's memory whatever the corpus's size. A
# unit-year is never split, so one bigger than this runs alone.
CHUNK_BYTES = 4 * 1024**2
# Files per read-ahead call: the workers stage each file themselves; a stop is seen between calls.
READ_AHEAD_BATCH = 32


class ReadAhead:
    """One thread stages chunk after chunk, :data:`READ_AHEAD_BATCH` files at a time; ``wait(i)``
    returns once chunk ``i`` is staged. Any error here is left for the raw step, which reads (and
    reports) whatever is missing itself; the sandbox pool serialises the two."""

    def __init__(self, store: StagingStore, reference_dir: Path, chunks: list[list[Path]]) -> None:
        self._ready = [threading.Event() for _ in chunks]
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._read, args=(store, reference_dir, chunks), name="kc-read-ahead", daemon=True
        )
        self._thread.start()

    def _read(self, store: StagingStore, reference_dir: Path, chunks: list[list[Path]]) -> None:
        for ready, chunk in zip(self._ready, chunks, strict=True):
            try:
                for start in range(0, len(chunk), READ_AHEAD_BATCH):
                    if self._stop.is_set():
                        break
                    stage_files(chunk[start : start + READ_AHEAD_BATCH], store, reference_dir=reference_dir)
            except Exception:  # the raw step reads the file again and reports what is wrong
                pass
            finally:
                ready.set()

    def wait(self, chunk: int) -> None:
        self._ready[chunk].wait()

    def stop(self) -> None:
        """Read nothing more, and wait for the thread (it ends after its current batch)."""
        self._stop.set()
        self._thread.join()
