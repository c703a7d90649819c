"""Ingest: inbox files into the warehouse's raw and ops tables (spec/exports.md)."""
