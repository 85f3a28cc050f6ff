"""kc-pipeline: khuyến công district spreadsheets to a warehouse, aggregates and staff reports."""

__version__ = "0.1.0"
