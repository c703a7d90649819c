"""Figures the reliability tests measured, printed at the end of the session for
docs/reliability.md (tests/conftest.py prints them)."""

FIGURES: dict[str, object] = {}
