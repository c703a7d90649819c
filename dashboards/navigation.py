"""The dashboard's pages, in menu order: the app, the tests and the benchmark all read this list."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str  # the file app_pages/<name>.py, and the page's URL path
    title: str
    icon: str

    @property
    def path(self) -> str:
        """Relative to dashboards/app.py, as st.Page and AppTest.switch_page take it."""
        return f"app_pages/{self.name}.py"


PAGES = (
    PageSpec("overview", "Overview", ":material/dashboard:"),
    PageSpec("outcomes", "Outcomes", ":material/trending_down:"),
    PageSpec("safety", "Safety", ":material/health_and_safety:"),
    PageSpec("quality_improvement", "Quality improvement", ":material/query_stats:"),
    PageSpec("safety_follow_up", "Safety follow-up", ":material/assignment_late:"),
    PageSpec("data_quality", "Data quality", ":material/fact_check:"),
    PageSpec("definitions", "Definitions", ":material/menu_book:"),
)
