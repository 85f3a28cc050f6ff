"""The UI's funding chart: a PNG drawn without pyplot (no global figure state in a server process)."""

import subprocess
import sys

SCRIPT = """
import sys
import pandas as pd
from kc_pipeline.report.chart import funding_chart_png
summary = pd.DataFrame(
    {"year": [2021, 2021, 2022], "funding_source": ["KCDP", "KCQG", "KCDP"], "support_vnd": [1e9, 2e9, 3e9]}
)
full = funding_chart_png(summary, "Kinh phí khuyến công hỗ trợ theo năm 2021-2022")
empty = funding_chart_png(summary.iloc[0:0], "Chưa có dữ liệu")
assert full.startswith(b"\\x89PNG") and empty.startswith(b"\\x89PNG") and full != empty
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""


def test_the_chart_is_a_png_for_data_and_for_none_and_never_imports_pyplot() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
