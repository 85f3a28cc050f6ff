"""Hostile inputs and faults: promise P7 (a hostile file costs at most its own rejection) and P1-P5.

``TRIED`` records, per hostile input, the databases it ran on; ``conftest.py`` prints the tally at
the end of the run ("hostile inputs tried: N").
"""

TRIED: dict[str, set[str]] = {}
