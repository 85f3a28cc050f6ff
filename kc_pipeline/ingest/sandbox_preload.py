"""Imported once by the sandbox's fork server, so that every worker forked from it starts warm.

Native thread pools are capped first: the fork server must stay single-threaded (forking a
process that runs threads can deadlock the child), and numpy, which openpyxl imports, would
otherwise start OpenBLAS threads on import.
"""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ[_variable] = "1"

import kc_pipeline.ingest.batch  # noqa: E402, F401  (the reader and everything it imports)
