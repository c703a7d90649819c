"""Publish: the read-only snapshot the dashboards serve from."""
