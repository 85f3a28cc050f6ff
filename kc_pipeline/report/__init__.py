"""The staff report: an Excel workbook with charts and the narrative drafted in Vietnamese."""
