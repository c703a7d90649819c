"""Dagster definitions, one folder per domain (ingest, transform, quality, publish)."""
