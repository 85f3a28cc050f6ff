"""The Dagster layer: only wiring. Reading, rules and SQL live in the plain packages beside it."""

import warnings

import dagster as dg

# Backfill policies are marked beta; we rely on them knowingly and keep the logs readable.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
